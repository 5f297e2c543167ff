"""The candidate's exam day: the session page (identity, check-in, waiting room), its status poll, the start."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigcert.accounts import api as accounts
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, now
from aigcert.delivery import examday, rules, sealed, selectors, services
from aigcert.delivery.models import Attempt, CheckIn
from aigcert.delivery.player_page import attempt_config, player_config_base, remember_language
from aigcert.delivery.render import items_html, navigator_html
from aigcert.enrolment import api as enrolment
from aigcert.exams import api as exams


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def client_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300]


def client_seen(request: HttpRequest) -> tuple[str | None, str, str]:
    """What the server sees of this browser, kept on the attempt: IP address, user agent, login fingerprint."""
    return client_ip(request), client_agent(request), examday.login_fingerprint(request.session.session_key or "")


def _seat_or_404(request: HttpRequest, session_code):
    seat = enrolment.seat_of(request.user.pk, str(session_code))
    if seat is None:
        raise Http404
    try:
        desk, session = examday.desk_get(str(session_code))
    except NotFound:
        raise Http404 from None
    return seat, desk, session


def _status(request: HttpRequest, session_code: str) -> tuple[dict, CheckIn | None]:
    """Where the candidate stands: the page renders it, the waiting room polls it."""
    # The poll needs neither the check-in's order nor the attempt's: only the page that seals the paper reads the
    # order (loaded then, as a deferred field).
    checkin = (CheckIn.objects.annotate(paper_code=F("paper__code")).defer("order")
               .filter(session__code=session_code, candidate=request.user).first())
    attempt = examday.attempt_in_session(request.user.pk, session_code)
    moment = now()
    status = {"serverNow": rules.epoch_ms(moment), "state": "not_checked_in"}
    if attempt is not None:
        status.update(state="started" if attempt.state == Attempt.State.OPEN else "closed",
                      url=reverse("delivery:player", args=[attempt.code]))
    elif checkin is not None:
        status.update(state=checkin.state, unlockAt=rules.epoch_ms(checkin.unlock_at),
                      entryClosesAt=rules.epoch_ms(checkin.entry_closes_at),
                      deadline=rules.epoch_ms(checkin.deadline_at),
                      reason=checkin.reason if checkin.state == CheckIn.State.REFUSED else "",
                      late=moment > checkin.entry_closes_at)
    return status, checkin


def _sealed_player(request: HttpRequest, checkin: CheckIn, session_code: str, program_name: str) -> dict:
    """The candidate's paper for the waiting room: the player's page around it, the items (in the order the check-in
    fixed) encrypted until the start hands over the key. See sealed.py."""
    paper = exams.paper_get(checkin.paper_id, code=checkin.paper_code)
    order = checkin.order if checkin.order is not None else services.paper_order(paper, checkin.seed)
    items = selectors.player_items(order, paper)
    return {
        "paper": paper, "program_name": program_name, "total": len(items), "navigator_html": navigator_html(items),
        "blob": sealed.seal(items_html(items, paper_key=(paper.pk, paper.code)), session_code=session_code,
                            candidate_id=checkin.candidate_id, seed=checkin.seed),
        "config": player_config_base(request, layout=paper.layout, formal=True),
    }


@login_required
def exam_day(request: HttpRequest, session_code) -> HttpResponse:
    """The session page: before the window it says when check-in opens; in it, the candidate confirms who they
    are; then it waits for the proctor and the unlock, and starts the exam."""
    seat, desk, session = _seat_or_404(request, session_code)
    code = str(session_code)
    error = ""
    if request.method == "POST":
        try:
            examday.checkin_confirm(candidate=request.user, session_code=code,
                                    confirmed=request.POST.get("confirm") == "yes", ip=client_ip(request),
                                    agent=client_agent(request))
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("delivery:exam_day", session_code=code)
    status, checkin = _status(request, code)
    if status["state"] == "started":
        return redirect(status["url"])
    moment = now()
    program = catalog.program_get(session.program_code)
    summary = accounts.profile_summary(request.user)
    window_problem = rules.check_in_problem(moment=moment, start_at=session.start_at,
                                            opens_minutes=desk.check_in_opens_minutes,
                                            latest_entry_minutes=desk.latest_entry_minutes)
    config = {**status, "statusUrl": reverse("delivery:exam_day_status", args=[code]),
              "startUrl": reverse("delivery:exam_day_start", args=[code]),
              "strings": {"opensIn": _("The exam unlocks in"), "now": _("Starting…"),
                          "waiting": _("Waiting for the proctor to admit you…")}}
    player = None
    if checkin is not None and checkin.seed is not None and status["state"] in ("waiting", "approved") \
            and not status["late"]:
        player = _sealed_player(request, checkin, code, program.name)
    response = render(request, "delivery/exam_day.html", {
        "session": session, "program": program, "seat": seat, "desk": desk, "summary": summary,
        "name": accounts.legal_name_of(request.user), "has_photo": accounts.profile_has_photo(request.user),
        "status": status, "config": config, "error": error, "window_problem": window_problem,
        "check_in_opens_at": session.start_at - timedelta(minutes=desk.check_in_opens_minutes),
        "player": player,
    }, status=409 if error else 200)
    return remember_language(request, response)


@login_required
def exam_day_status(request: HttpRequest, session_code) -> JsonResponse:
    if enrolment.seat_of(request.user.pk, str(session_code)) is None:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse(_status(request, str(session_code))[0])


@login_required
def exam_day_photo(request: HttpRequest, session_code) -> HttpResponse:
    """The candidate's own ID photo on their check-in page (never cached by shared caches)."""
    _seat_or_404(request, session_code)
    return photo_response(accounts.profile_photo(request.user))


def photo_response(photo: bytes | None) -> HttpResponse:
    """An ID photo for the one person allowed to see it here: never kept by a shared cache."""
    if photo is None:
        raise Http404
    response = HttpResponse(photo, content_type="image/png" if photo.startswith(b"\x89PNG") else "image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def _login_needed(request: HttpRequest, session_code, wants_json: bool) -> HttpResponse:
    """As django.contrib.auth.get_user leaves a login that no longer holds: the session ended, then the login
    page, which brings the candidate back to the session page (the start itself takes only a POST)."""
    request.session.flush()
    if wants_json:
        return JsonResponse({"error": "login"}, status=401)
    return redirect_to_login(reverse("delivery:exam_day", args=[session_code]))


@require_POST
def exam_day_start(request: HttpRequest, session_code) -> HttpResponse:
    """The unlock: one read of the check-in (with the account's columns for the session checks, so the user is
    never loaded), one insert of the attempt. A second start returns the same attempt."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    candidate_id = request.session.get(SESSION_KEY)
    try:
        if candidate_id is None:
            raise examday.LoginExpired()
        attempt, started_now = examday.formal_start(
            candidate_id=int(candidate_id), session_code=str(session_code),
            session_hash=request.session.get(HASH_SESSION_KEY) or "", client=client_seen(request))
    except examday.LoginExpired:
        return _login_needed(request, session_code, wants_json)
    except NotFound:
        # No check-in to check the session against: Django's own check says whether this is a login that has
        # ended (the login page, as anywhere else) or a session that is not theirs (missing and forbidden alike).
        if not get_user(request).is_authenticated:
            return _login_needed(request, session_code, wants_json)
        if wants_json:
            return JsonResponse({"error": "not_found"}, status=404)
        raise Http404 from None
    except DomainError as exc:
        if wants_json:
            return JsonResponse({"error": exc.code, "message": exc.message}, status=409)
        return render(request, "delivery/unavailable.html", {
            "program": catalog.program_get(CheckIn.objects.get(session__code=str(session_code),
                                                               candidate_id=candidate_id).program_code),
            "reason": exc.message, "title": _("Formal exam")}, status=409)
    url = reverse("delivery:player", args=[attempt.code])
    if not wants_json:
        return redirect(url)
    answer = {"attempt": str(attempt.code), "url": url, "deadline": rules.epoch_ms(attempt.deadline_at)}
    if started_now:
        # This request opened the exam on this browser: the waiting room unseals its paper with the key and becomes
        # the player. A start that found the attempt already there (another tab) gets only the address: the page
        # load there takes the exam over properly, with the answers saved so far.
        answer.update(key=sealed.key_text(session_code=attempt.session_code, candidate_id=attempt.candidate_id,
                                          seed=attempt.seed),
                      player=attempt_config(attempt, device=attempt.device))
    return JsonResponse(answer)
