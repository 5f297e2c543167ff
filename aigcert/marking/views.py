"""Marking pages: the marker's queues and marking form (blind: no candidate anywhere), and the chief marker's
session overview, arbitration, gold scripts, stopping markers and re-checks. Thin: the rules are in services."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigcert.accounts.api import Role, legal_names, roles_required, user_has_any_role
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound
from aigcert.exams import api as exams
from aigcert.marking import selectors, services
from aigcert.marking.models import Mark, MarkingItem, Script

MARKERS = (Role.MARKER, Role.CHIEF_MARKER)
CHIEFS = (Role.CHIEF_MARKER,)


def _scores(request: HttpRequest, item: MarkingItem) -> list[tuple[str, str]]:
    return [(request.POST.get(f"points_{i}", ""), request.POST.get(f"comment_{i}", ""))
            for i in range(len(item.rubric))]


def _rubric(item: MarkingItem, given: list[dict] | None = None, current: list[dict] | None = None) -> list[dict]:
    """The rubric as the form shows it: each criterion with its levels, what was typed (after a refusal) and, on a
    re-check, the final mark it has now (shown beside the field, not filled in: a mean of two marks may be off-step)."""
    maxima = services.criterion_maxima(item.rubric)
    return [{"index": i, "name": c["name"], "levels": c["levels"], "max": maxima[i],
             "given": (given[i] if given and i < len(given) else {}),
             "current": (current[i].get("points") if current and i < len(current) else None)}
            for i, c in enumerate(item.rubric)]


@roles_required(*MARKERS)
def home(request: HttpRequest) -> HttpResponse:
    is_chief = user_has_any_role(request.user, CHIEFS)
    items = [p for p in selectors.items_progress() if p.done < p.scripts]
    sessions = selectors.sessions_progress() if is_chief else []
    titles = {code: _session_title(code) for code in {p.item.session_code for p in items}
              | {s.session_code for s in sessions}}
    return render(request, "marking/home.html", {
        "items": [(p, titles[p.item.session_code]) for p in items],
        "sessions": [(s, titles[s.session_code]) for s in sessions],
        "is_chief": is_chief,
        "held": selectors.marks_held(request.user),
    })


@require_POST
@roles_required(*MARKERS)
def take(request: HttpRequest, code) -> HttpResponse:
    try:
        mark = services.script_take(item_code=code, marker=request.user)
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("marking:home")
    if mark is None:
        messages.info(request, _("Nothing left in this queue for you. Thank you!"))
        return redirect("marking:home")
    return redirect("marking:mark", code=mark.code)


@roles_required(*MARKERS)
def mark(request: HttpRequest, code) -> HttpResponse:
    try:
        held = services.mark_of(mark_code=code, marker=request.user)
    except NotFound:
        raise Http404 from None
    item = held.script.item
    error = None
    if request.method == "POST":
        try:
            services.mark_submit(mark_code=code, marker=request.user, scores=_scores(request, item))
        except DomainError as problem:
            error = str(problem)
        else:
            messages.success(request, _("Mark saved for script %(label)s.") % {"label": held.script.label})
            if request.POST.get("next") == "1":
                return take(request, item.code)
            return redirect("marking:home")
    given = None
    if error:
        given = [{"points": p, "comment": c} for p, c in _scores(request, item)]
    elif held.state == Mark.State.SUBMITTED:
        given = held.criteria
    return render(request, "marking/mark.html", {"mark": held, "script": held.script, "item": item,
                                                 "rubric": _rubric(item, given), "error": error},
                  status=400 if error else 200)


@require_POST
@roles_required(*MARKERS)
def release(request: HttpRequest, code) -> HttpResponse:
    try:
        services.mark_release(mark_code=code, marker=request.user)
    except NotFound:
        raise Http404 from None
    return redirect("marking:home")


def _script_for(request: HttpRequest, code) -> Script:
    """A script a marker holds or held, or any script for the chief marker; others look missing."""
    script = selectors.script_for(code, request.user, chief=user_has_any_role(request.user, CHIEFS))
    if script is None:
        raise Http404
    return script


@roles_required(*MARKERS)
def script_file(request: HttpRequest, code) -> FileResponse:
    script = _script_for(request, code)
    upload = script.answer.get("upload")
    if not upload:
        raise Http404
    from django.core.files.storage import default_storage

    try:
        handle = default_storage.open(upload["path"], "rb")
    except FileNotFoundError:
        raise Http404 from None
    # The file name is the candidate's: markers get the script label instead, to keep marking blind (and only an
    # extension that can't carry a name).
    extension = upload["name"].rsplit(".", 1)[-1].lower() if "." in upload["name"] else ""
    if not re.fullmatch(r"[a-z0-9]{1,8}", extension):
        extension = "bin"
    return FileResponse(handle, as_attachment=True, filename=f"{script.label}.{extension}")


def _session_title(session_code: str) -> str:
    """A session as the exam office names it: the program, the day and the sitting."""
    try:
        session = exams.session_get(session_code)
    except NotFound:
        return session_code
    start = timezone.localtime(session.start_at)
    return f"{catalog.program_name(session.program_code)} · {start:%Y-%m-%d} {session.sitting_label}"


# ── the chief marker ─────────────────────────────────────────────────────────────────────────────────────────
@roles_required(*CHIEFS)
def session(request: HttpRequest, session_code: str) -> HttpResponse:
    items = selectors.items_progress(session_code)
    if not items:
        raise Http404
    return render(request, "marking/session.html", {
        "session_code": session_code, "session_title": _session_title(session_code), "items": items,
        "markers": selectors.marker_lines(session_code),
        "chief_queue": selectors.scripts_waiting_for_chief(session_code),
        "flagged": selectors.scripts_flagged(session_code), "ai": selectors.ai_agreement(session_code),
    })


@require_POST
@roles_required(*CHIEFS)
def marker_act(request: HttpRequest, session_code: str, marker_id: int) -> HttpResponse:
    try:
        if request.POST.get("action") == "resume":
            services.marker_resume(session_code=session_code, marker_id=marker_id, actor=request.user)
        else:
            services.marker_stop(session_code=session_code, marker_id=marker_id,
                                 reason=request.POST.get("reason", ""), actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("marking:session", session_code=session_code)


@roles_required(*CHIEFS)
def arbitrate(request: HttpRequest, code) -> HttpResponse:
    script = _script_for(request, code)
    if selectors.holding(script, request.user):
        raise Http404  # while they mark it blind themselves, the others' marks stay out of sight
    item = script.item
    error = None
    if request.method == "POST":
        try:
            services.script_arbitrate(script_code=code, chief=request.user, scores=_scores(request, item))
        except DomainError as problem:
            error = str(problem)
        else:
            messages.success(request, _("Arbitration saved for script %(label)s.") % {"label": script.label})
            return redirect("marking:session", session_code=item.session_code)
    marks = selectors.submitted_marks(script)
    return render(request, "marking/arbitrate.html", {
        "script": script, "item": item, "marks": marks, "rubric": _rubric(item), "error": error,
        "names": legal_names(m.marker_id for m in marks),
    }, status=400 if error else 200)


@roles_required(*CHIEFS)
def gold(request: HttpRequest, code) -> HttpResponse:
    item = selectors.item_by_code(code)
    if item is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            services.gold_create(item_code=code, answer_text=request.POST.get("answer", ""),
                                 scores=_scores(request, item), actor=request.user)
        except DomainError as problem:
            error = str(problem)
        else:
            messages.success(request, _("Gold script added to the queue."))
            return redirect("marking:session", session_code=item.session_code)
    return render(request, "marking/gold.html", {"item": item, "rubric": _rubric(item), "error": error},
                  status=400 if error else 200)


@roles_required(*CHIEFS)
def rechecks(request: HttpRequest) -> HttpResponse:
    waiting = selectors.rechecks_open()
    titles = {code: _session_title(code) for code in {r.session_code for r in waiting}}
    return render(request, "marking/rechecks.html", {"rechecks": [(r, titles[r.session_code]) for r in waiting]})


@roles_required(*CHIEFS)
def recheck(request: HttpRequest, code) -> HttpResponse:
    found = selectors.recheck_by_code(code)
    if found is None:
        raise Http404
    scripts = selectors.recheck_scripts(found)
    error = None
    if request.method == "POST":
        corrections = {}
        for script in scripts:
            if request.POST.get(f"change_{script.label}") == "1":
                corrections[script.label] = [(request.POST.get(f"points_{script.label}_{i}", ""),
                                              request.POST.get(f"comment_{script.label}_{i}", ""))
                                             for i in range(len(script.item.rubric))]
        try:
            services.recheck_resolve(recheck_code=code, chief=request.user,
                                     resolution=request.POST.get("resolution", ""), corrections=corrections)
        except NotFound:
            raise Http404 from None
        except DomainError as problem:
            error = str(problem)
        else:
            messages.success(request, _("Re-check resolved; the candidate is told."))
            return redirect("marking:rechecks")
    rows = [{"script": s, "rubric": _rubric(s.item, current=s.final_criteria), "prefix": f"{s.label}_"}
            for s in scripts]
    return render(request, "marking/recheck.html", {"recheck": found, "rows": rows, "error": error},
                  status=400 if error else 200)
