"""What other apps may call in accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.crypto import constant_time_compare

from aigcert.accounts import rules, selectors, services, throttle
from aigcert.accounts.data import DemoLogin, ProfileSummary
from aigcert.accounts.demo import (
    demo_accounts_ensure,
    demo_holders_ensure,
    demo_logins,
    demo_sitters_ensure,
    demo_user,
)
from aigcert.accounts.models import Profile, User
from aigcert.accounts.roles import STAFF_SIDE_ROLES, Role

__all__ = [
    "ID_TYPE_RESIDENT",
    "STAFF_SIDE_ROLES",
    "DemoLogin",
    "ProfileSummary",
    "Role",
    "candidate_ensure_for_import",
    "client_ip",
    "demo_accounts_ensure",
    "demo_holders_ensure",
    "demo_logins",
    "demo_sitters_ensure",
    "demo_user",
    "email_taken_by_other",
    "id_number_is_valid",
    "legal_name_of",
    "legal_names",
    "login_still_valid",
    "mailing_address_of",
    "mask_phone",
    "normalize_email",
    "normalize_phone",
    "profile_has_photo",
    "profile_legal_name_and_id",
    "profile_photo",
    "profile_summary",
    "role_grant",
    "roles_required",
    "user_by_login",
    "user_by_phone",
    "user_has_any_role",
    "user_role_labels",
    "users_with_role",
]

user_has_any_role = selectors.user_has_any_role
user_by_login = selectors.user_by_login


def login_still_valid(session_hash: str, *, password: str, is_active: bool) -> bool:
    """The checks django.contrib.auth.get_user makes of a session against its user, for the exam's hot path that
    reads the user's two columns with its own row instead of loading the user: still active, and the password
    unchanged since this login (under SECRET_KEY or, while a key is being rotated, one of SECRET_KEY_FALLBACKS)."""
    user = User(password=password, is_active=is_active)
    if not user.is_active:
        return False
    return constant_time_compare(session_hash, user.get_session_auth_hash()) or any(
        constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash())


def user_role_labels(user) -> list[str]:
    roles = selectors.user_roles(user)
    return [str(label) for value, label in Role.choices if value in roles]


def profile_summary(user) -> ProfileSummary | None:
    profile = selectors.profile_of(user)
    if profile is None:
        return None
    return ProfileSummary(
        legal_name=profile.legal_name,
        id_type_label=str(profile.get_id_type_display()),
        id_number_masked=rules.mask_id_number(profile.id_number),
        has_mailing_address=profile.has_mailing_address,
    )


def legal_name_of(user) -> str:
    profile = selectors.profile_of(user)
    return (profile.legal_name if profile else "") or user.get_full_name()


def legal_names(user_ids) -> dict[int, str]:
    """user id → legal name (or the account's name when no profile has one), in two queries for any number."""
    ids = set(user_ids)
    names = dict(Profile.objects.filter(user_id__in=ids).exclude(legal_name="").values_list("user_id", "legal_name"))
    for user in User.objects.filter(pk__in=ids - set(names)):
        names[user.pk] = user.get_full_name() or str(user)
    return names


def users_with_role(role: str) -> list[tuple[int, str]]:
    """(id, name) of the active users holding a role, by name: for pickers such as a session's proctors."""
    users = User.objects.filter(is_active=True, role_grants__role=role).distinct()
    names = legal_names(u.pk for u in users)
    return sorted(((pk, name) for pk, name in names.items()), key=lambda pair: pair[1])


def profile_has_photo(user) -> bool:
    profile = selectors.profile_of(user)
    return bool(profile and profile.photo)


def profile_photo(user) -> bytes | None:
    """The candidate's ID photo, for the admission ticket and the proctor's check-in; None if there is none."""
    profile = selectors.profile_of(user)
    if profile is None or not profile.photo:
        return None
    with profile.photo.open("rb") as handle:
        return handle.read()


def email_taken_by_other(email: str, phone: str) -> bool:
    """Whether an account other than the one signing in with `phone` already uses `email`."""
    return selectors.email_taken_by_other(email, phone)


def user_by_phone(phone: str):
    return selectors.user_by_phone(phone)


def profile_legal_name_and_id(user) -> tuple[str, str] | None:
    """(legal name, full ID number) for matching a partner's spreadsheet row against an existing account."""
    profile = selectors.profile_of(user)
    return (profile.legal_name, profile.id_number) if profile else None


normalize_phone = rules.normalize_phone
normalize_email = rules.normalize_email
id_number_is_valid = rules.id_number_is_valid
mask_phone = rules.mask_phone
ID_TYPE_RESIDENT = rules.ID_TYPE_RESIDENT


candidate_ensure_for_import = services.candidate_ensure_for_import
role_grant = services.role_grant
client_ip = throttle.client_ip


def roles_required(*roles: str) -> Callable:
    """View decorator: anonymous visitors go to the login page; signed-in users without a role get 403."""
    allowed: Iterable[str] = roles

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not selectors.user_has_any_role(request.user, allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def mailing_address_of(user) -> str:
    """The profile's postal address as one block of text for an envelope ('' when it is incomplete)."""
    profile = selectors.profile_of(user)
    if profile is None or not profile.has_mailing_address:
        return ""
    place = "".join(part for part in (profile.province, profile.city, profile.district, profile.address_line) if part)
    lines = [f"{profile.recipient_name} {profile.recipient_phone}", place]
    if profile.postal_code:
        lines.append(profile.postal_code)
    return "\n".join(lines)
