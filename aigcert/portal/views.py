"""Pages that gather several contexts. They read other apps only through their api.py."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from aigcert.accounts import api as accounts_api
from aigcert.catalog import api as catalog_api
from aigcert.core.api import inbox_unread_count, join_list
from aigcert.credentials import api as credentials_api
from aigcert.enrolment import api as enrolment_api
from aigcert.learning import api as learning_api
from aigcert.orgs import api as orgs_api
from aigcert.results import api as results_api
from aigcert.scoring import api as scoring_api
from aigcert.talent import api as talent_api
from aigcert.tutor import api as tutor_api


def home(request):
    programs = catalog_api.program_list_open()
    return render(request, "portal/home.html", {"programs": programs})


@login_required
def center(request):
    """The personal center (个人中心). Later issues fill its sections through their own api.py."""
    enrolments = enrolment_api.enrolments_of(request.user)
    context = {
        "enrolments": enrolments,
        "has_booking": any(e.booking for e in enrolments),
        "unread": inbox_unread_count(request.user.pk),
        "orgs": orgs_api.orgs_of_admin(request.user),
        "profile": accounts_api.profile_summary(request.user),
        "roles": join_list(accounts_api.user_role_labels(request.user)),
        "is_staff_side": accounts_api.user_has_any_role(request.user, accounts_api.STAFF_SIDE_ROLES),
        "mocks": _mocks(request.user, enrolments),
        "courses": _courses(request.user, enrolments),
        "tutor_conversations": tutor_api.conversations_count(request.user.pk),
        "results": [(r, catalog_api.program_name(r.program_code)) for r in results_api.results_of(request.user.pk)],
        "certificates": credentials_api.certificates_of(request.user.pk),
        "talent": talent_api.talent_summary(request.user),
        "employer": talent_api.employer_verified(request.user),
    }
    return render(request, "portal/center.html", context)


def _mocks(user, enrolments) -> list[dict]:
    names = {e.program_code: e.program_name for e in enrolments}
    rows = []
    for code in enrolment_api.programs_unlocked(user):
        taken, best, to_retry = scoring_api.mock_summary(user.pk, code)
        rows.append({"code": code, "name": names.get(code, code), "taken": taken, "best": best,
                     "to_retry": to_retry})
    return rows


def _courses(user, enrolments) -> list[dict]:
    names = {e.program_code: e.program_name for e in enrolments}
    rows = []
    for code in enrolment_api.programs_unlocked(user):
        percent, continue_url = learning_api.course_summary(user, code)
        rows.append({"code": code, "name": names.get(code, code), "percent": percent, "continue_url": continue_url})
    return rows


@accounts_api.roles_required(*accounts_api.STAFF_SIDE_ROLES)
def staff_home(request):
    return render(request, "portal/staff_home.html", {
        "roles": join_list(accounts_api.user_role_labels(request.user)),
        "platform_staff": accounts_api.user_has_any_role(request.user, [accounts_api.Role.STAFF]),
    })
