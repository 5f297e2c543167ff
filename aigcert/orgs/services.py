from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aigcert.core.api import DomainError, audit_record
from aigcert.orgs.models import Membership, Organization, Price

MAX_PRICE_FEN = 2_000_000_000


@transaction.atomic
def org_create(*, slug: str, name: str, actor, contact_name: str = "", contact_phone: str = "") -> Organization:
    org = Organization.objects.create(slug=slug, name=name, contact_name=contact_name, contact_phone=contact_phone)
    audit_record(actor=actor, action="org.create", target=org, data={"slug": slug, "name": name})
    return org


@transaction.atomic
def org_admin_add(*, org: Organization, user, actor) -> Membership:
    membership, created = Membership.objects.get_or_create(organization=org, user=user)
    if created:
        audit_record(actor=actor, action="org.admin_add", target=org, data={"user": user.pk})
    return membership


@transaction.atomic
def org_price_set(*, org: Organization, program_code: str, deposit_fen: int, balance_fen: int,
                  retake_fee_fen: int, actor) -> Price:
    for value in (deposit_fen, balance_fen, retake_fee_fen):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_PRICE_FEN:
            raise DomainError(_("Prices must be whole amounts between 0 and 20,000,000 yuan."))
    price = Price.objects.select_for_update().filter(organization=org, program_code=program_code).first()
    before = None
    if price is None:
        price = Price(organization=org, program_code=program_code)
    else:
        before = {"deposit_fen": price.deposit_fen, "balance_fen": price.balance_fen,
                  "retake_fee_fen": price.retake_fee_fen}
    price.deposit_fen, price.balance_fen, price.retake_fee_fen = deposit_fen, balance_fen, retake_fee_fen
    price.save()
    audit_record(actor=actor, action="org.price_set", target=org, data={
        "program": program_code, "before": before,
        "after": {"deposit_fen": deposit_fen, "balance_fen": balance_fen, "retake_fee_fen": retake_fee_fen},
    })
    return price
