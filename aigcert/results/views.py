"""Results pages: the candidate's results (nothing before release, never anyone else's), the JSON API with the
same gate, re-check requests; and the exam office's view of each session's scoring, marking and release."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from aigcert.accounts.api import Role, roles_required
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound
from aigcert.exams import api as exams
from aigcert.marking import api as marking
from aigcert.results import selectors, services
from aigcert.results.models import Result
from aigcert.scoring import api as scoring

ADMINS = (Role.EXAM_ADMIN,)


def _mine(request: HttpRequest) -> list[Result]:
    return selectors.results_of(request.user.pk)


def _labels(result: Result) -> dict:
    program = catalog.program_get(result.program_code)
    areas = {s.area_code: s.area_title for s in catalog.standard_items(result.program_code)}
    types = {t.value: t.label for t in catalog.ItemType}
    return {"program": program, "areas": areas, "types": types}


@login_required
def my_results(request: HttpRequest) -> HttpResponse:
    rows = []
    for result in _mine(request):
        visible = selectors.result_visible(result)
        rows.append({"result": result if visible else None, "session": result.session,
                     "program": catalog.program_get(result.program_code),
                     "session_data": exams.session_get(result.session.session_code)})
    return render(request, "results/mine.html", {"rows": rows})


def _parts(parts: list[dict], names: dict) -> list[dict]:
    out = []
    for part in parts:
        maximum = float(part["maximum"]) or 1
        out.append({**part, "name": names.get(part["code"], part["code"]),
                    "percent": int(float(part["awarded"]) * 100 / maximum)})
    return out


@login_required
def my_result(request: HttpRequest, code) -> HttpResponse:
    try:
        result = selectors.result_of(candidate=request.user, code=code)
    except NotFound:
        raise Http404 from None
    labels = _labels(result)
    error = None
    if request.method == "POST":
        try:
            services.recheck_request(candidate=request.user, result_code=code, reason=request.POST.get("reason", ""))
        except DomainError as problem:
            error = str(problem)
        else:
            messages.success(request, _("Your re-check request is in. You will be told the outcome."))
            return redirect("results:mine_detail", code=code)
    rechecks = marking.rechecks_of(result.attempt_code)
    return render(request, "results/detail.html", {
        "result": result, **labels, "session": exams.session_get(result.session.session_code),
        "sections": _parts(result.sections, labels["types"]), "areas_list": _parts(result.areas, labels["areas"]),
        "rechecks": rechecks, "recheck_open": selectors.recheck_window_open(result)
        and not any(r.state == "open" for r in rechecks), "error": error,
    }, status=400 if error else 200)


def api_results(request: HttpRequest) -> JsonResponse:
    """The candidate's released results as JSON; unreleased ones say only when they are due."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "login_required"}, status=401)
    rows = []
    for result in _mine(request):
        entry = {"program": result.program_code, "session": result.session.session_code,
                 "released": selectors.result_visible(result), "release_due": result.session.release_at.isoformat()}
        if entry["released"]:
            entry.update(code=str(result.code), total=str(result.total), maximum=str(result.maximum),
                         pass_line=str(result.pass_line), passed=result.passed, sections=result.sections,
                         areas=result.areas)
        rows.append(entry)
    return JsonResponse({"results": rows})


# ── the exam office ──────────────────────────────────────────────────────────────────────────────────────────
@roles_required(*ADMINS)
def office(request: HttpRequest) -> HttpResponse:
    rows = []
    for results in selectors.sessions_for_office():
        rows.append({"results": results, "scoring": scoring.session_scoring_get(results.session_code),
                     "marking": marking.session_marking_state(results.session_code),
                     "count": results.results.count(), "passed": results.results.filter(passed=True).count()})
    return render(request, "results/office.html", {"rows": rows})


@roles_required(*ADMINS)
def office_session(request: HttpRequest, session_code: str) -> HttpResponse:
    try:
        session = exams.session_get(session_code)
    except NotFound:
        raise Http404 from None
    results = selectors.session_results(session_code)
    state = scoring.session_scoring_get(session_code)
    preview = None
    if state is not None and state.done and not state.frozen and request.GET.get("rescore") == "1":
        try:
            preview = scoring.rescore_preview(session_code=session_code)
        except DomainError as error:
            messages.error(request, str(error))
    return render(request, "results/office_session.html", {
        "session": session, "results": results, "scoring": state,
        "marking": marking.session_marking_state(session_code), "preview": preview,
        "rows": results.results.order_by("-total")[:500] if results else [],
        "unreported": selectors.results_unreported(results) if results else [],
    })


@require_POST
@roles_required(*ADMINS)
def office_act(request: HttpRequest, session_code: str) -> HttpResponse:
    action, reason = request.POST.get("action"), request.POST.get("reason", "")
    try:
        if action == "score":
            scoring.session_scoring_request(session_code=session_code, actor=request.user)
            messages.success(request, _("Scoring is queued."))
        elif action == "judge_retry":
            scoring.machine_runs_retry(session_code=session_code, actor=request.user)
        elif action == "compute":
            services.session_results_compute(session_code=session_code)
        elif action == "release":
            services.session_results_release(session_code=session_code, actor=request.user, reason=reason)
            messages.success(request, _("Results released; candidates are told."))
        elif action == "rescore":
            rescore = scoring.rescore_apply(session_code=session_code, reason=reason, actor=request.user)
            changed = len(rescore.changes)
            messages.success(request, ngettext("Re-scored: %(count)d candidate changed.",
                                               "Re-scored: %(count)d candidates changed.", changed)
                             % {"count": changed})
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("results:office_session", session_code=session_code)
