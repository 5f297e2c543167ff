from __future__ import annotations

from collections.abc import Iterable

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
