"""The candidate's mock pages: history with a trend chart, the result with keys and a gap report, the notebook."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from aigcert.catalog import api as catalog
from aigcert.core.api import NotFound
from aigcert.delivery import api as delivery
from aigcert.enrolment import api as enrolment
from aigcert.itembank import api as itembank
from aigcert.scoring import selectors, services


@login_required
def mocks(request: HttpRequest) -> HttpResponse:
    programs = [selectors.mock_overview(request.user.pk, code) for code in enrolment.programs_unlocked(request.user)]
    return render(request, "scoring/mocks.html", {"programs": programs})


def _closed_during_formal_exam(request: HttpRequest) -> HttpResponse | None:
    """Keys and explanations stay out of reach while the candidate's formal exam is open."""
    if delivery.has_open_formal_attempt(request.user.pk):
        return render(request, "scoring/closed_during_exam.html", status=409)
    return None


@login_required
def mock_result(request: HttpRequest, code) -> HttpResponse:
    if closed := _closed_during_formal_exam(request):
        return closed
    try:
        attempt = delivery.attempt_get(code, candidate_id=request.user.pk)
    except NotFound:
        raise Http404 from None
    if attempt.kind != "mock":
        raise Http404
    if not attempt.closed:
        return redirect("delivery:player", code=attempt.code)
    score = selectors.score_of(attempt)
    if score is None:
        return render(request, "scoring/mock_pending.html", {"attempt": attempt,
                                                             "program": catalog.program_get(attempt.program_code)})
    context = selectors.mock_review(attempt, score)
    return render(request, "scoring/mock_result.html", {"attempt": attempt, "score": score, **context})


@login_required
def notebook(request: HttpRequest) -> HttpResponse:
    if closed := _closed_during_formal_exam(request):
        return closed
    entries = selectors.notebook_of(request.user.pk)
    reviews = itembank.versions_review(e.version_id for e in entries)
    rows = [{"entry": e, "stem": reviews[e.version_id].stem_text if e.version_id in reviews else "",
             "type_label": catalog.ItemType(reviews[e.version_id].item_type).label if e.version_id in reviews else ""}
            for e in entries]
    mastered = len(selectors.notebook_of(request.user.pk, mastered=True))
    return render(request, "scoring/notebook.html", {"rows": rows, "mastered": mastered})


@login_required
def notebook_retry(request: HttpRequest, code) -> HttpResponse:
    if closed := _closed_during_formal_exam(request):
        return closed
    entry = selectors.notebook_entry(request.user.pk, code)
    if entry is None:
        raise Http404
    payload = itembank.versions_delivery_payloads([entry.version_id])[entry.version_id]
    context = {"entry": entry, "payload": payload}
    if request.method == "POST":
        value = itembank.posted_value(payload["type"], request.POST)
        right, earned, possible = services.notebook_retry(entry=entry, value=value)
        review = itembank.versions_review([entry.version_id])[entry.version_id]
        letters = {o["id"]: o["label"] for o in payload.get("options", [])}
        context.update(answered=True, right=right, earned=earned, possible=possible, review=review,
                       answer=selectors.answer_text(payload["type"], value, letters),
                       correct=selectors.key_text(payload["type"], review, letters))
    return render(request, "scoring/notebook_retry.html", context)
