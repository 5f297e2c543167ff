from __future__ import annotations

from collections.abc import Iterable

from aigcert.accounts import rules
from aigcert.accounts.models import Profile, RoleGrant, User


def user_roles(user) -> frozenset[str]:
    """The roles of a user, cached on the instance for the rest of the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_aigcert_roles", None)
    if cached is None:
        cached = frozenset(RoleGrant.objects.filter(user_id=user.pk).values_list("role", flat=True))
        user._aigcert_roles = cached
    return cached


def user_has_any_role(user, roles: Iterable[str]) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(user_roles(user) & set(roles))


def profile_of(user: User) -> Profile | None:
    return Profile.objects.filter(user=user).first()


def user_by_login(login: str) -> User | None:
    """The account a phone number or email address signs in with."""
    found = rules.classify_identifier(login or "")
    if found is None:
        return None
    kind, value = found
    return User.objects.filter(**{kind: value}, is_active=True).first()


def user_by_phone(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def email_taken_by_other(email: str, phone: str) -> bool:
    return User.objects.filter(email=email).exclude(phone=phone).exists()
