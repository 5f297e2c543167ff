"""What other apps may call in accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from aigcert.accounts import rules, selectors
from aigcert.accounts.data import DemoLogin, ProfileSummary
from aigcert.accounts.demo import demo_accounts_ensure, demo_logins, demo_user
from aigcert.accounts.roles import STAFF_SIDE_ROLES, Role

__all__ = [
    "STAFF_SIDE_ROLES",
    "DemoLogin",
    "ProfileSummary",
    "Role",
    "demo_accounts_ensure",
    "demo_logins",
    "demo_user",
    "profile_summary",
    "roles_required",
    "user_by_login",
    "user_has_any_role",
    "user_role_labels",
]

user_has_any_role = selectors.user_has_any_role
user_by_login = selectors.user_by_login


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
