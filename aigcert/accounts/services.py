"""Writes to accounts: one transaction each, audited, side effects after commit."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aigcert.accounts import rules
from aigcert.accounts.models import Consent, Profile, RoleGrant, User
from aigcert.accounts.roles import Role
from aigcert.core.api import DomainError, audit_record

TERMS_VERSION = "2026-11"

PROFILE_FIELDS = (
    "photo",
    "legal_name",
    "id_type",
    "id_number",
    "recipient_name",
    "recipient_phone",
    "province",
    "city",
    "district",
    "address_line",
    "postal_code",
)
# Values of these fields never go into the audit trail, only the fact that they changed.
SENSITIVE_PROFILE_FIELDS = frozenset({"id_number"})


def user_sign_up(*, identifier: str, password: str, language: str, display_name: str = "") -> User:
    """Create a candidate account from a phone number or email address. The caller validated the password."""
    found = rules.classify_identifier(identifier)
    if found is None:
        raise DomainError(_("Enter a valid mainland China mobile number or email address."), field="identifier")
    kind, value = found
    try:
        with transaction.atomic():
            user = User(**{kind: value}, display_name=display_name, language=language)
            user.set_password(password)
            user.save()
            RoleGrant.objects.create(user=user, role=Role.CANDIDATE)
            Consent.objects.create(user=user, purpose=Consent.Purpose.TERMS, version=TERMS_VERSION)
            audit_record(actor=user, action="user.sign_up", target=user, data={"via": kind})
    except IntegrityError as exc:
        # Two sign-ups racing for the same identifier: the loser gets the same answer as a form check.
        raise DomainError(identifier_taken_message(kind), field="identifier") from exc
    return user


def identifier_taken_message(kind: str) -> str:
    if kind == "phone":
        return _("This mobile number is already registered.")
    return _("This email address is already registered.")


def user_language_set(*, user: User, language: str) -> None:
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def role_grant(*, user: User, role: str, actor: User | None) -> RoleGrant:
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    with transaction.atomic():
        grant, created = RoleGrant.objects.get_or_create(user=user, role=role, defaults={"granted_by": actor})
        if created:
            audit_record(actor=actor, action="role.grant", target=user, data={"role": role})
    return grant


def role_revoke(*, user: User, role: str, actor: User | None) -> None:
    with transaction.atomic():
        deleted, _rows = RoleGrant.objects.filter(user=user, role=role).delete()
        if deleted:
            audit_record(actor=actor, action="role.revoke", target=user, data={"role": role})


def profile_update(*, user: User, actor: User, changes: dict) -> Profile:
    """Apply validated profile changes; an empty id_number means "keep the stored one"."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise DomainError(_("Unknown profile fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
        changed: dict[str, object] = {}
        for field, value in changes.items():
            if field == "id_number" and not value:
                continue
            if field == "photo":
                if value:
                    profile.photo.save(f"{profile.user_id}-{profile.code}.jpg", value, save=False)
                    changed["photo"] = "(changed)"
                continue
            if getattr(profile, field) != value:
                setattr(profile, field, value)
                changed[field] = "(changed)" if field in SENSITIVE_PROFILE_FIELDS else value
        id_type_changed = "id_type" in changed and "id_number" not in changed
        if id_type_changed and profile.id_number and not rules.id_number_is_valid(
            profile.id_type, profile.id_number
        ):
            raise DomainError(_("Enter the ID number again for the new ID type."), field="id_number")
        if changed:
            profile.save()
            audit_record(actor=actor, action="profile.update", target=profile, data={"changed": changed})
    return profile


def candidate_ensure_for_import(*, phone: str, legal_name: str, id_number: str, email: str | None, actor,
                                language: str) -> tuple[User, bool]:
    """A partner's candidate: the existing account with this phone, or a new one without a usable password
    (the person sets it through the reset link they are sent). The caller has validated every field."""
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user, False
    user = User(phone=phone, email=email or None, display_name=legal_name, language=language)
    user.set_unusable_password()
    user.save()
    RoleGrant.objects.create(user=user, role=Role.CANDIDATE)
    Profile.objects.create(user=user, legal_name=legal_name, id_number=id_number)
    audit_record(actor=actor, action="user.create_by_partner", target=user, data={"via": "import"})
    return user, True
