"""The exam player and its JSON endpoints. Autosave stays within three queries: the session, the attempt with its
candidate (for the session checks Django would make), and one statement writing the responses."""

from __future__ import annotations

import json
import logging
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from aigcert.accounts import api as accounts
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, now
from aigcert.delivery import examday, examday_views, rules, selectors, services
from aigcert.delivery.models import Attempt
from aigcert.delivery.player_page import (
    attempt_config,
    player_config_base,
    refusal_text,
    remember_language,
)
from aigcert.delivery.player_page import done_url as _done_url
from aigcert.delivery.render import items_html, navigator_html
from aigcert.enrolment import api as enrolment
from aigcert.exams import api as exams

logger = logging.getLogger(__name__)


def _not_found(request: HttpRequest, code) -> JsonResponse:
    # Someone else's attempt looks missing to them; the log keeps who asked, for the exam office.
    logger.warning("exam request refused: attempt %s not found for user %s (%s %s)", code,
                   request.session.get(SESSION_KEY), request.method, request.path)
    return _refuse("not_found", 404)


def _refuse(code: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": code, "message": refusal_text(code), **extra}, status=status)


def _entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    entries = body.get("responses") or []
    if not isinstance(entries, list):
        raise ValueError
    clean = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("slot"), str):
            raise ValueError
        seq = entry.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**62:
            raise ValueError
        clean.append({"slot": entry["slot"], "value": entry.get("value"), "flagged": bool(entry.get("flagged")),
                      "seq": seq})
    return clean


def _json_body(request: HttpRequest) -> dict[str, Any]:
    body = json.loads(request.body or b"{}")
    if not isinstance(body, dict):
        raise ValueError
    return body


def _too_large(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.EXAM_AUTOSAVE_MAX_BYTES
    except ValueError:
        return True


@login_required
@require_POST
def mock_start(request: HttpRequest, program_code: str) -> HttpResponse:
    """Start (or resume) a mock exam of a program the candidate has unlocked."""
    try:
        program = catalog.program_get(program_code)
    except NotFound:
        raise Http404 from None
    if program.exam is None or not enrolment.program_unlocked(request.user, program_code):
        raise Http404
    try:
        attempt = services.mock_start(candidate=request.user, program_code=program_code,
                                      duration_minutes=program.exam.duration_minutes)
    except DomainError as exc:
        return render(request, "delivery/unavailable.html", {"program": program, "reason": exc.message},
                      status=409)
    return redirect("delivery:player", code=attempt.code)


def _own_attempt_now(request: HttpRequest, code) -> Attempt:
    """The candidate's attempt (404 otherwise), closed first if its time has run out."""
    try:
        attempt = selectors.access_attempt(request.user.pk, code)
    except NotFound:
        raise Http404 from None
    return services.attempt_close_if_due(attempt)


@login_required
def player(request: HttpRequest, code) -> HttpResponse:
    attempt = _own_attempt_now(request, code)
    if attempt.state != Attempt.State.OPEN:
        return redirect(_done_url(attempt))
    client = examday_views.client_seen(request)
    warnings = examday.attempt_observe(attempt=attempt, ip=client[0], agent=client[1], login=client[2])
    device = services.attempt_claim_device(attempt, client=client if attempt.kind == Attempt.Kind.FORMAL else None)
    paper = exams.paper_get(attempt.paper_id)
    program_name = catalog.program_name(attempt.program_code)
    responses = selectors.responses_of(attempt)
    items = selectors.player_items(attempt.order, paper)
    config = {**player_config_base(request, layout=paper.layout, formal=attempt.kind == Attempt.Kind.FORMAL),
              **attempt_config(attempt, device=device, responses=responses, warnings=warnings)}
    response = render(request, "delivery/player.html", {
        "attempt": attempt, "paper": paper, "program_name": program_name, "config": config,
        "items_html": items_html(items, paper_key=(paper.pk, paper.code)), "navigator_html": navigator_html(items),
        "total": len(items),
    })
    return remember_language(request, response)


def _session_attempt(request: HttpRequest, code, candidate_id: int, *, lock: bool = False) -> Attempt | JsonResponse:
    """The hot path's read of the candidate's attempt: one query, with the candidate's password hash and active flag
    joined for the checks Django makes of every session, so that ``request.user`` is never loaded.
    ``candidate_id`` is the session's user, which the caller checked before reading the body. A refusal to return
    instead when the session is no longer valid or the attempt is not theirs."""
    attempt = selectors.attempt_with_login(code, candidate_id, lock=lock)
    if attempt is None:
        return _not_found(request, code)
    if not accounts.login_still_valid(request.session.get(HASH_SESSION_KEY) or "",
                                      password=attempt.candidate_password, is_active=attempt.candidate_is_active):
        return _refuse("login", 401)
    return attempt


@require_POST
def autosave(request: HttpRequest, code) -> JsonResponse:
    """The hot path: query 1 the session (none with a cache backend), 2 the attempt with its candidate, 3 the
    guarded upsert."""
    if _too_large(request):
        return _refuse("too_large", 413)
    candidate_id = request.session.get(SESSION_KEY)
    if candidate_id is None:
        return _refuse("login", 401)
    try:
        body = _json_body(request)
        entries = _entries(body)
        device = str(body.get("device") or "")
    except (ValueError, UnicodeDecodeError):
        return _refuse("malformed", 400)
    attempt = _session_attempt(request, code, candidate_id)
    if isinstance(attempt, JsonResponse):
        return attempt
    try:
        result = services.responses_save(attempt=attempt, device=device, entries=entries)
    except services.TimeUp as exc:
        return _refuse(exc.code, 409, redirect=_done_url(attempt))
    except services.Paused:
        return _refuse("paused", 409)
    except services.Superseded:
        return _refuse("superseded", 409)
    except DomainError as exc:
        return _refuse(exc.code, 400, slot=exc.field)
    if attempt.client_ip and request.META.get("REMOTE_ADDR") != attempt.client_ip:
        examday.integrity_ip_seen(attempt=attempt, ip=request.META.get("REMOTE_ADDR"))
    return JsonResponse({"saved": result.saved, "stale": result.stale, "serverNow": rules.epoch_ms(now()),
                         "deadline": rules.epoch_ms(attempt.deadline_at)})


def json_login_required(view):
    """Like login_required, but a player's fetch gets JSON it can show instead of a redirect to the login page."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return _refuse("login", 401)
        return view(request, *args, **kwargs)
    return wrapped


@json_login_required
@require_POST
def upload(request: HttpRequest, code) -> JsonResponse:
    try:
        attempt = selectors.access_attempt(request.user.pk, code)
    except NotFound:
        return _not_found(request, code)
    slot = request.POST.get("slot", "")
    file = request.FILES.get("file")
    try:
        seq = int(request.POST.get("seq", ""))
    except ValueError:
        return _refuse("malformed", 400)
    if file is None:
        return _refuse("upload_empty", 400, slot=slot)
    item = next((i for i in exams.paper_get(attempt.paper_id).items if i["slot"] == slot), None)
    if item is None:
        return _refuse(rules.NOT_ON_PAPER, 400, slot=slot)
    limit_mb = min(item["payload"].get("max_size_mb") or settings.EXAM_UPLOAD_MAX_MB, settings.EXAM_UPLOAD_MAX_MB)
    if file.size > (limit_mb << 20):  # before reading it into memory
        return _refuse("upload_size", 400, slot=slot)
    try:
        saved = services.upload_save(attempt=attempt, device=request.POST.get("device", ""), slot=slot, seq=seq,
                                     name=file.name, data=file.read(),
                                     allowed_types=item["payload"].get("allowed_types") or [],
                                     max_mb=item["payload"].get("max_size_mb"),
                                     flagged=request.POST.get("flagged") == "true")
    except services.TimeUp as exc:
        return _refuse(exc.code, 409, redirect=_done_url(attempt))
    except services.Paused:
        return _refuse("paused", 409)
    except services.Superseded:
        return _refuse("superseded", 409)
    except DomainError as exc:
        return _refuse(exc.code, 400, slot=slot)
    return JsonResponse({"saved": {slot: seq}, "value": {"upload": str(saved.code), "name": saved.name,
                                                         "size": saved.size}, "serverNow": rules.epoch_ms(now())})


@require_POST
def submit(request: HttpRequest, code) -> JsonResponse:
    """Idempotent: any number of submits (same key, two tabs, after the deadline) end on the same receipt. No
    autosave size limit here: a submit after a long offline stretch carries everything still queued."""
    candidate_id = request.session.get(SESSION_KEY)
    if candidate_id is None:
        return _refuse("login", 401)
    try:
        body = _json_body(request)
        entries = _entries(body)
    except (ValueError, UnicodeDecodeError):
        return _refuse("malformed", 400)
    key = str(body.get("key") or "")[:64]
    try:
        # The read is the lock: in the last minute everyone submits, and reading the row a second time under its
        # lock was one statement more in each (ADR 0013).
        with transaction.atomic():
            attempt = _session_attempt(request, code, candidate_id, lock=True)
            if isinstance(attempt, JsonResponse):
                return attempt
            attempt, _closed_now = services.attempt_submit(attempt=attempt, key=key, locked=True,
                                                           device=str(body.get("device") or ""), entries=entries)
    except services.Paused:
        return _refuse("paused", 409)
    except services.Superseded:
        return _refuse("superseded", 409)
    except DomainError as exc:
        return _refuse(exc.code, 400, slot=exc.field)
    return JsonResponse({"state": attempt.state, "redirect": _done_url(attempt),
                         "answered": attempt.answered_count, "hash": attempt.answers_hash[:12]})


@json_login_required
def attempt_state(request: HttpRequest, code) -> JsonResponse:
    """What a paused player polls: still paused, resumed (with the new deadline), or closed."""
    try:
        attempt = services.attempt_close_if_due(selectors.access_attempt(request.user.pk, code))
    except NotFound:
        return _not_found(request, code)
    return JsonResponse({"state": attempt.state, "paused": attempt.paused_at is not None,
                         "deadline": rules.epoch_ms(attempt.deadline_at), "serverNow": rules.epoch_ms(now()),
                         "redirect": _done_url(attempt) if attempt.state != Attempt.State.OPEN else ""})


@json_login_required
@require_POST
def integrity(request: HttpRequest, code) -> JsonResponse:
    """Events the player noticed (focus, visibility, full screen, paste) for an open formal attempt."""
    try:
        attempt = selectors.access_attempt(request.user.pk, code)
        body = _json_body(request)
        events = body.get("events")
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise ValueError
        warnings = examday.integrity_report(attempt=attempt, device=str(body.get("device") or ""), events=events)
    except NotFound:
        return _not_found(request, code)
    except (ValueError, UnicodeDecodeError):
        return _refuse("malformed", 400)
    except DomainError as exc:
        return _refuse(exc.code, 409 if exc.code == "closed" else 400)
    return JsonResponse({"warnings": warnings})


def _result_url(attempt: Attempt) -> str | None:
    try:
        return reverse("scoring:mock_result", args=[attempt.code])
    except NoReverseMatch:
        return None


@login_required
def done(request: HttpRequest, code) -> HttpResponse:
    """The receipt: when the exam closed, how many items were answered, and a short hash of the answers."""
    attempt = _own_attempt_now(request, code)
    if attempt.state == Attempt.State.OPEN:
        return redirect("delivery:player", code=attempt.code)
    if attempt.kind == Attempt.Kind.MOCK and (url := _result_url(attempt)):
        return redirect(url)
    return render(request, "delivery/done.html", {
        "attempt": attempt, "program": catalog.program_get(attempt.program_code),
        "total": len(attempt.schema), "short_hash": attempt.answers_hash[:12]})
