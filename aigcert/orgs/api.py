"""What other apps may ask about partner organizations."""

from __future__ import annotations

from aigcert.core.api import NotFound
from aigcert.orgs import services
from aigcert.orgs.data import OrgData, OrgPriceData
from aigcert.orgs.models import Membership, Organization, Price

__all__ = [
    "OrgData",
    "OrgPriceData",
    "org_admin_add",
    "org_by_code",
    "org_by_pk",
    "org_create",
    "org_ensure",
    "org_for_admin",
    "org_price",
    "org_price_set",
    "org_prices",
    "orgs_of_admin",
]


def _data(org: Organization) -> OrgData:
    return OrgData(pk=org.pk, code=str(org.code), slug=org.slug, name=org.name, active=org.active)


def orgs_of_admin(user) -> list[OrgData]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [_data(m.organization) for m in
            Membership.objects.filter(user=user, organization__active=True).select_related("organization")]


def org_for_admin(user, code: str) -> OrgData:
    """The organization `code` if `user` administers it; NotFound for missing and foreign alike."""
    membership = (Membership.objects.filter(user=user, organization__code=code, organization__active=True)
                  .select_related("organization").first()) if getattr(user, "is_authenticated", False) else None
    if membership is None:
        raise NotFound()
    return _data(membership.organization)


def org_by_code(code: str) -> OrgData:
    org = Organization.objects.filter(code=code).first()
    if org is None:
        raise NotFound()
    return _data(org)


def org_by_pk(pk: int) -> OrgData:
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise NotFound()
    return _data(org)


def org_price(org_pk: int, program_code: str) -> OrgPriceData | None:
    price = Price.objects.filter(organization_id=org_pk, program_code=program_code).first()
    if price is None:
        return None
    return OrgPriceData(program_code=price.program_code, deposit_fen=price.deposit_fen,
                        balance_fen=price.balance_fen, retake_fee_fen=price.retake_fee_fen)


def org_prices(org_pk: int) -> dict[str, OrgPriceData]:
    return {
        p.program_code: OrgPriceData(program_code=p.program_code, deposit_fen=p.deposit_fen,
                                     balance_fen=p.balance_fen, retake_fee_fen=p.retake_fee_fen)
        for p in Price.objects.filter(organization_id=org_pk)
    }


def org_create(*, slug: str, name: str, actor, contact_name: str = "", contact_phone: str = "") -> OrgData:
    return _data(services.org_create(slug=slug, name=name, actor=actor, contact_name=contact_name,
                                     contact_phone=contact_phone))


def org_ensure(*, slug: str, name: str, actor) -> OrgData:
    """Create the organization once (demo data, fixtures); later calls return it unchanged."""
    org = Organization.objects.filter(slug=slug).first()
    return _data(org) if org else org_create(slug=slug, name=name, actor=actor)


def org_admin_add(*, org_pk: int, user, actor) -> None:
    services.org_admin_add(org=Organization.objects.get(pk=org_pk), user=user, actor=actor)


def org_price_set(*, org_pk: int, program_code: str, deposit_fen: int, balance_fen: int, retake_fee_fen: int,
                  actor) -> OrgPriceData:
    price = services.org_price_set(org=Organization.objects.get(pk=org_pk), program_code=program_code,
                                   deposit_fen=deposit_fen, balance_fen=balance_fen, retake_fee_fen=retake_fee_fen,
                                   actor=actor)
    return OrgPriceData(program_code=price.program_code, deposit_fen=price.deposit_fen,
                        balance_fen=price.balance_fen, retake_fee_fen=price.retake_fee_fen)
