"""Pages that gather several contexts. They read other apps only through their api.py."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from aigcert.accounts import api as accounts_api
from aigcert.catalog import api as catalog_api
from aigcert.core.api import join_list


def home(request):
    programs = catalog_api.program_list_open()
    return render(request, "portal/home.html", {"programs": programs})


@login_required
def center(request):
    """The personal center (个人中心). Later issues fill its sections through their own api.py."""
    context = {
        "profile": accounts_api.profile_summary(request.user),
        "roles": join_list(accounts_api.user_role_labels(request.user)),
        "is_staff_side": accounts_api.user_has_any_role(request.user, accounts_api.STAFF_SIDE_ROLES),
    }
    return render(request, "portal/center.html", context)


@accounts_api.roles_required(*accounts_api.STAFF_SIDE_ROLES)
def staff_home(request):
    return render(request, "portal/staff_home.html", {"roles": join_list(accounts_api.user_role_labels(request.user))})
