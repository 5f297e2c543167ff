"""Talent pages: the holder's profile and requests (/me/talent/), employers' application, search, profiles and
requests (/talent/), and staff review of employers (/staff/talent/)."""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from aigcert.accounts import api as accounts
from aigcert.core.api import DomainError, NotFound, UnicodeJSONEncoder, today
from aigcert.credentials import api as credentials
from aigcert.talent import rules, selectors, services, throttle
from aigcert.talent.forms import AnswerForm, ContactForm, EmployerApplyForm, ProfileForm, ReviewForm, SearchForm
from aigcert.talent.models import Employer
from aigcert.talent.policy import consent_text, talent_policy


def _form_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error))


def employer_required(view):
    """Employers only: the employer role and a verified organization. Anonymous visitors go to the login page,
    anyone else gets 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not accounts.user_has_any_role(request.user, [accounts.Role.EMPLOYER]):
            raise PermissionDenied
        employer = selectors.verified_employer(request.user)
        if employer is None:
            raise PermissionDenied
        return view(request, employer, *args, **kwargs)

    return wrapped


def _limited(request: HttpRequest, message) -> HttpResponse:
    return render(request, "talent/limited.html", {"message": message}, status=429)


# -- the holder -----------------------------------------------------------------------------------------------------


def _profile_initial(profile) -> dict:
    if profile is None:
        return {"name_shown": "masked"}
    links = [*profile.links, "", "", ""]
    return {"region": profile.region, "name_shown": profile.name_shown, "bio": profile.bio,
            "link_1": links[0], "link_2": links[1], "link_3": links[2]}


@login_required
def me(request: HttpRequest) -> HttpResponse:
    profile = selectors.own_profile(request.user)
    held = credentials.holdings_of(request.user.pk)
    chosen = [s.key for s in profile.skills.all()] if profile else []
    form = ProfileForm(initial=_profile_initial(profile))
    if request.method == "POST":
        form = ProfileForm(request.POST)
        chosen = request.POST.getlist("skills")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.profile_save(user=request.user, region=data["region"], bio=data["bio"],
                                      links=[data["link_1"], data["link_2"], data["link_3"]], skills=chosen,
                                      name_shown=data["name_shown"], consent=data["consent"])
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Your talent profile is saved."))
                return redirect("talent:me")
    requests = list(selectors.holder_requests(request.user).select_related("employer")) if profile else []
    searchable = bool(profile) and selectors.searchable_profiles().filter(pk=profile.pk).exists()
    return render(request, "talent/me.html", {
        "profile": profile, "held": held, "form": form, "chosen": set(chosen), "searchable": searchable,
        "skill_groups": selectors.skill_groups({h.program_code for h in held}),
        "consent": consent_text(), "requests": requests,
        "cards": selectors.cards([profile]) if profile else [],
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def me_withdraw(request: HttpRequest) -> HttpResponse:
    try:
        services.consent_withdraw(user=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You have left the talent database: employers can no longer find you."))
    return redirect("talent:me")


@login_required
@require_POST
def me_delete(request: HttpRequest) -> HttpResponse:
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm that your profile is to be deleted."))
        return redirect("talent:me")
    try:
        services.profile_delete(user=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your talent profile is deleted."))
    return redirect("talent:me")


@login_required
def me_export(request: HttpRequest) -> HttpResponse:
    body = json.dumps(selectors.holder_export(request.user), cls=UnicodeJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="talent-data-{today():%Y%m%d}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def me_request(request: HttpRequest, code) -> HttpResponse:
    contact = selectors.holder_request(request.user, code)
    if contact is None:
        raise Http404
    form = AnswerForm()
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                services.contact_request_answer(user=request.user, request_code=code,
                                                accept=request.POST.get("action") == "accept",
                                                reply=form.cleaned_data["reply"])
            except NotFound:
                raise Http404 from None
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Your answer is sent."))
                return redirect("talent:me_request", code=code)
    return render(request, "talent/me_request.html", {"contact": contact, "form": form})


# -- employers ------------------------------------------------------------------------------------------------------


@login_required
def employer_apply(request: HttpRequest) -> HttpResponse:
    employer = selectors.employer_of(request.user)
    form = EmployerApplyForm(initial={"organization_name": employer.organization_name,
                                      "credit_code": employer.credit_code,
                                      "contact_person": employer.contact_person} if employer else None)
    if request.method == "POST":
        form = EmployerApplyForm(request.POST)
        if form.is_valid():
            try:
                services.employer_apply(user=request.user, **form.cleaned_data)
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Your application is sent. Platform staff will check it."))
                return redirect("talent:employer_apply")
    verified = employer is not None and employer.status == Employer.Status.VERIFIED
    return render(request, "talent/apply.html", {"employer": employer, "form": form, "verified": verified})


LEVEL_OR_ABOVE = gettext_lazy("%(level)s or above")


@employer_required
def search(request: HttpRequest, employer: Employer) -> HttpResponse:
    if not throttle.search_allowed(request.user.pk):
        return _limited(request, _("Too many searches. Please wait a while before searching again."))
    policy = talent_policy()
    choices = selectors.search_choices(LEVEL_OR_ABOVE)
    form = SearchForm(request.GET or None, choices=choices)
    page_number = request.GET.get("page", "1")
    page_number = int(page_number) if page_number.isascii() and page_number.isdigit() else 1
    page_number = max(page_number, 1)
    context = {"form": form, "employer": employer, "results": [], "page": page_number, "searched": False,
               "too_far": False, "has_next": False, "max_page": policy.max_page}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if len(data["skills"]) > policy.skills_max_filter:
            form.add_error("skills", _("Choose at most %(n)s skills.") % {"n": policy.skills_max_filter})
        elif not rules.page_allowed(page_number, policy.max_page):
            context["too_far"] = True
        else:
            filters = selectors.SearchFilters(program=data["program"], level=data["level"],
                                              direction=data["direction"], region=data["region"],
                                              skills=tuple(data["skills"]))
            start = (page_number - 1) * policy.page_size
            # One more than a page tells whether there is a next one, without counting the whole database.
            rows = list(selectors.search(filters)[start:start + policy.page_size + 1])
            context.update(searched=True, results=selectors.cards(rows[:policy.page_size]),
                           has_next=len(rows) > policy.page_size and page_number < policy.max_page,
                           at_cap=len(rows) > policy.page_size and page_number >= policy.max_page)
        query = request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
    return render(request, "talent/search.html", context)


@require_http_methods(["GET", "POST"])  # any other method would render the profile past the daily view limit
@employer_required
def profile(request: HttpRequest, employer: Employer, code) -> HttpResponse:
    found = selectors.profile_for_employer(code)
    if found is None:
        raise Http404
    if request.method == "GET" and not throttle.profile_view_allowed(request.user.pk):
        return _limited(request, _("Too many profiles opened today. Please come back tomorrow."))
    form = ContactForm()
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        status = 400
        if not throttle.contact_request_allowed(request.user.pk):
            return _limited(request, _("Too many contact requests today. Please come back tomorrow."))
        if form.is_valid():
            try:
                services.contact_request_send(employer=employer, profile_code=code, **form.cleaned_data)
            except NotFound:
                raise Http404 from None
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Your request is sent. You will be told when it is answered."))
                return redirect("talent:profile", code=code)
    earlier = list(selectors.employer_requests(employer).filter(profile=found))
    return render(request, "talent/profile.html", {"card": selectors.cards([found])[0], "form": form,
                                                   "earlier": earlier, "employer": employer}, status=status)


@employer_required
def requests_sent(request: HttpRequest, employer: Employer) -> HttpResponse:
    return render(request, "talent/requests.html", {"requests": list(selectors.employer_requests(employer)[:200]),
                                                    "employer": employer})


@employer_required
def request_detail(request: HttpRequest, employer: Employer, code) -> HttpResponse:
    contact = selectors.employer_request(employer, code)
    if contact is None:
        raise Http404
    visible = contact.profile is not None and selectors.searchable_profiles().filter(pk=contact.profile_id).exists()
    return render(request, "talent/request.html", {"contact": contact, "profile_visible": visible})


# -- staff -----------------------------------------------------------------------------------------------------------


@accounts.roles_required(accounts.Role.STAFF)
def staff_employers(request: HttpRequest) -> HttpResponse:
    return render(request, "talent/staff_employers.html", {"employers": selectors.employers_for_review(),
                                                           "form": ReviewForm()})


@accounts.roles_required(accounts.Role.STAFF)
@require_POST
def staff_employer_review(request: HttpRequest, code) -> HttpResponse:
    employer = selectors.employer_by_code(code)
    if employer is None:
        raise Http404
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reason is longer than 300 characters."))
        return redirect("talent:staff_employers")
    verify = request.POST.get("action") == "verify"
    try:
        services.employer_review(employer=employer, actor=request.user, verify=verify,
                                 reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(organization)s is verified.") % {"organization": employer.organization_name}
                         if verify else _("%(organization)s is rejected.")
                         % {"organization": employer.organization_name})
    return redirect("talent:staff_employers")
