"""The proctor console: a session's candidates, refreshing, and the actions a proctor takes (each with a reason)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aigcert.accounts import api as accounts
from aigcert.accounts.api import Role
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound
from aigcert.delivery import examday, selectors
from aigcert.delivery.examday_views import photo_response
from aigcert.delivery.models import CheckIn, ProctorAction
from aigcert.delivery.policy import exam_day_policy

desk_staff = accounts.roles_required(Role.EXAM_ADMIN, Role.STAFF, Role.PROCTOR)
# A session's pages answer 404 to everyone who may not proctor it, exactly as for a session that does not exist:
# these views only require a login, and selectors.access_desk decides. Only the list of sessions is a staff page
# that says "forbidden".
signed_in = login_required
FILTERS = ("all", "attention", "waiting", "absent", "open", "closed")


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in ("approve", "refuse", "pause", "resume", "extend", "terminate",
                                                       "incident")])
    ticket = forms.CharField(max_length=20, required=False)
    minutes = forms.IntegerField(required=False, min_value=1, max_value=examday.MAX_EXTRA_MINUTES)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=examday.REASON_MAX)


class DeskForm(forms.Form):
    approval_required = forms.BooleanField(label=gettext_lazy("A proctor admits each check-in"), required=False)
    stagger_seconds = forms.IntegerField(label=gettext_lazy("Unlock spread (seconds)"), min_value=0, max_value=600)
    latest_entry_minutes = forms.IntegerField(label=gettext_lazy("Latest entry (minutes after the start)"),
                                              min_value=0, max_value=600)
    proctors = forms.MultipleChoiceField(label=gettext_lazy("Proctors"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=examday.REASON_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proctors"].choices = [(str(pk), name) for pk, name in accounts.users_with_role(Role.PROCTOR)]


def _desk_or_404(request: HttpRequest, session_code):
    try:
        return selectors.access_desk(request.user, str(session_code))
    except NotFound:
        raise Http404 from None


def _is_admin(user) -> bool:
    return accounts.user_has_any_role(user, (Role.EXAM_ADMIN, Role.STAFF))


def _rows(request: HttpRequest, rows):
    chosen = request.GET.get("show", "all")
    query = request.GET.get("q", "").strip()
    if chosen == "attention":
        rows = [r for r in rows if r.flagged or r.stage in ("waiting", "paused")]
    elif chosen == "closed":
        rows = [r for r in rows if r.stage in ("submitted", "expired", "terminated")]
    elif chosen in ("waiting", "absent"):
        rows = [r for r in rows if r.stage == chosen]
    elif chosen == "open":
        rows = [r for r in rows if r.stage in ("open", "paused")]
    if query:
        rows = [r for r in rows if query in r.name or query in r.ticket_number]
    return rows, chosen, query


def _tally(rows) -> dict[str, int]:
    tally = {"seats": len(rows), "checked_in": 0, "started": 0, "finished": 0, "attention": 0}
    for row in rows:
        tally["checked_in"] += row.stage != "absent"
        tally["started"] += row.attempt_code != ""
        tally["finished"] += row.stage in ("submitted", "expired", "terminated")
        tally["attention"] += bool(row.flagged) or row.stage in ("waiting", "paused")  # as the filter counts
    return tally


@desk_staff
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = selectors.sessions_for_proctor(request.user)
    names = dict(catalog.program_choices())
    return render(request, "delivery/proctor_sessions.html", {
        "rows": [(s, names.get(s.program_code, s.program_code)) for s in sessions]})


@signed_in
def console(request: HttpRequest, session_code) -> HttpResponse:
    desk, session = _desk_or_404(request, session_code)
    all_rows = selectors.console_rows(session)
    rows, chosen, query = _rows(request, all_rows)
    context = {
        "session": session, "desk": desk, "program_name": dict(catalog.program_choices()).get(session.program_code),
        "rows": rows[:500], "more": max(0, len(rows) - 500), "tally": _tally(all_rows), "show": chosen,
        "q": query, "filters": FILTERS, "actions": selectors.session_actions(session),
        "papers": len(selectors.exams.session_papers(session.code)), "is_admin": _is_admin(request.user),
        "policy": exam_day_policy(session.program_code),
        "action_form": ActionForm(), "kinds": ProctorAction.Kind,
    }
    if request.headers.get("X-Refresh") == "rows":  # the console's refresh asks only for the table
        return render(request, "delivery/_proctor_rows.html", context)
    if context["is_admin"]:
        context["desk_form"] = DeskForm(initial={
            "approval_required": desk.approval_required, "stagger_seconds": desk.stagger_seconds,
            "latest_entry_minutes": desk.latest_entry_minutes,
            "proctors": [str(pk) for pk in desk.proctors.values_list("pk", flat=True)]})
    return render(request, "delivery/proctor_console.html", context)


@signed_in
@require_POST
def act(request: HttpRequest, session_code) -> HttpResponse:
    """One proctor action on one candidate (or an incident report on the session)."""
    _desk, session = _desk_or_404(request, session_code)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason: it is kept with the action.") if "reason" in form.errors else
                       " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("delivery:proctor_console", session_code=session.code)
    kind, reason, ticket = form.cleaned_data["kind"], form.cleaned_data["reason"], form.cleaned_data["ticket"]
    seat = next((s for s in selectors.enrolment.seats_of_session(session.code) if s.ticket_number == ticket), None)
    if seat is None and (ticket or kind != "incident"):
        raise Http404
    try:
        _apply(kind, session, seat, request.user, reason, form.cleaned_data.get("minutes"))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": ProctorAction.Kind(kind).label})
    return redirect("delivery:proctor_console", session_code=session.code)


def _apply(kind: str, session, seat, actor, reason: str, minutes: int | None) -> None:
    if kind == "incident":
        examday.incident_write(session_code=session.code, actor=actor, text=reason,
                               candidate_id=seat.candidate_id if seat else None)
        return
    if kind in ("approve", "refuse"):
        checkin = CheckIn.objects.filter(session_id=session.pk, candidate_id=seat.candidate_id).first()
        if checkin is None:
            raise DomainError(_("This candidate has not checked in."), code="absent")
        examday.checkin_decide(checkin=checkin, actor=actor, approve=kind == "approve", reason=reason)
        return
    if kind == "extend":
        if not minutes:
            raise DomainError(_("Say how many minutes to add."), code="minutes")
        examday.time_extend(session_code=session.code, candidate_id=seat.candidate_id, minutes=minutes,
                            actor=actor, reason=reason)
        return
    attempt = examday.attempt_in_session(seat.candidate_id, str(session.code))
    if attempt is None:
        raise DomainError(_("This candidate has not started."), code="not_started")
    operation = {"pause": examday.attempt_pause, "resume": examday.attempt_resume,
                 "terminate": examday.attempt_terminate}[kind]
    operation(attempt=attempt, session_pk=session.pk, actor=actor, reason=reason)


@signed_in
@require_POST
def desk_update(request: HttpRequest, session_code) -> HttpResponse:
    _desk, session = _desk_or_404(request, session_code)
    if not _is_admin(request.user):
        raise Http404
    form = DeskForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            examday.desk_update(session_code=session.code, actor=request.user,
                                approval_required=data["approval_required"], stagger_seconds=data["stagger_seconds"],
                                latest_entry_minutes=data["latest_entry_minutes"],
                                proctor_ids=[int(pk) for pk in data["proctors"]], reason=data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The session's settings are saved."))
    else:
        messages.error(request, _("Check the session settings: %(problems)s") % {
            "problems": "; ".join(f"{form.fields[f].label if f in form.fields else f}: {' '.join(e)}"
                                  for f, e in form.errors.items())})
    return redirect("delivery:proctor_console", session_code=session.code)


@signed_in
def candidate_photo(request: HttpRequest, session_code, ticket: str) -> HttpResponse:
    """A checked-in candidate's ID photo, for the proctor comparing it with the person."""
    _desk, session = _desk_or_404(request, session_code)
    checkin = CheckIn.objects.filter(session_id=session.pk, ticket_number=ticket).select_related("candidate").first()
    return photo_response(accounts.profile_photo(checkin.candidate) if checkin else None)


@signed_in
def candidate_events(request: HttpRequest, session_code, ticket: str) -> HttpResponse:
    """One candidate's integrity events and the actions taken on them."""
    _desk, session = _desk_or_404(request, session_code)
    row = next((r for r in selectors.console_rows(session) if r.ticket_number == ticket), None)
    if row is None:
        raise Http404
    events = selectors.integrity_events_of(row.attempt_code, session.code) if row.attempt_code else []
    actions = selectors.session_actions(session, candidate_id=row.candidate_id, limit=1000)
    return render(request, "delivery/proctor_candidate.html", {
        "session": session, "row": row, "events": events, "actions": actions,
        "checkin": CheckIn.objects.filter(session_id=session.pk, candidate_id=row.candidate_id).first()})
