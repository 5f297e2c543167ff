"""Formal sessions on exam day: the session desk, check-in, the start, the proctor's actions and integrity events.

Every proctor action takes a reason, is kept as a ProctorAction and in the audit log, in the same transaction as
the change. Refusals (a start before the unlock, a save to a paused attempt, …) change nothing and are logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, router, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigcert.accounts import api as accounts
from aigcert.core.api import DomainError, NotFound, audit_record, notify, now
from aigcert.delivery import hotpath, rules
from aigcert.delivery.models import Attempt, CheckIn, IntegrityEvent, ProctorAction, SessionDesk
from aigcert.delivery.policy import CLIENT_KINDS, exam_day_policy
from aigcert.delivery.services import _close, client_fields, paper_order, paper_schema_text
from aigcert.enrolment import api as enrolment
from aigcert.exams import api as exams
from aigcert.exams.api import SessionData

logger = logging.getLogger(__name__)

MAX_EXTRA_MINUTES = 240
REASON_MAX = 4000


def refusal_log(*, actor, what: str, code: str, target=None, data: dict | None = None,
                actor_id: int | None = None) -> None:
    """A refused exam-day request leaves a trace (who, what, why) even though it changed nothing. The start, which
    never loads the user, names them by ``actor_id``."""
    logger.info("exam day refused %s for user %s: %s", what, getattr(actor, "pk", actor_id), code)
    audit_record(actor=actor, actor_id=actor_id, action="delivery.refused", target=target,
                 data={"what": what, "code": code, **(data or {})})


# ---- The desk ---------------------------------------------------------------------------------------------------

def desk_get(session_code: str) -> tuple[SessionDesk, SessionData]:
    """The session's desk, made from the program's exam-day policy the first time (NotFound for no session)."""
    session = exams.session_get(session_code)
    desk = SessionDesk.objects.filter(session_id=session.pk).first()
    if desk is None:
        policy = exam_day_policy(session.program_code)
        try:
            with transaction.atomic():
                desk = SessionDesk.objects.create(
                    session_id=session.pk, approval_required=policy.approval_required,
                    stagger_seconds=policy.stagger_seconds, latest_entry_minutes=policy.latest_entry_minutes,
                    check_in_opens_minutes=policy.check_in_opens_minutes)
        except IntegrityError:  # made by a concurrent request
            desk = SessionDesk.objects.get(session_id=session.pk)
    return desk, session


def _times(desk: SessionDesk, session: SessionData, ticket: str, extra_minutes: int):
    return rules.formal_times(start_at=session.start_at,
                              stagger=rules.stagger_offset(ticket, desk.stagger_seconds),
                              duration_minutes=session.duration_minutes, extra_minutes=extra_minutes,
                              latest_entry_minutes=desk.latest_entry_minutes)


def desk_update(*, session_code: str, actor, approval_required: bool, stagger_seconds: int,
                latest_entry_minutes: int, proctor_ids: list[int], reason: str) -> SessionDesk:
    """The exam admin's settings for one session. Check-ins that have not started take the new times."""
    reason = _reason(reason)
    if not 0 <= stagger_seconds <= 600:
        raise DomainError(_("The unlock spread must be between 0 and 600 seconds."), field="stagger_seconds")
    if not 0 <= latest_entry_minutes <= 600:
        raise DomainError(_("Latest entry must be between 0 and 600 minutes after the start."),
                          field="latest_entry_minutes")
    allowed = {pk for pk, _name in accounts.users_with_role("proctor")}
    if not set(proctor_ids) <= allowed:
        raise DomainError(_("Only users with the proctor role can be assigned."), field="proctors")
    desk, session = desk_get(session_code)
    with transaction.atomic():
        desk = SessionDesk.objects.select_for_update().get(pk=desk.pk)
        before = {"approval_required": desk.approval_required, "stagger_seconds": desk.stagger_seconds,
                  "latest_entry_minutes": desk.latest_entry_minutes,
                  "proctors": sorted(desk.proctors.values_list("pk", flat=True))}
        desk.approval_required = approval_required
        desk.stagger_seconds = stagger_seconds
        desk.latest_entry_minutes = latest_entry_minutes
        desk.save()
        desk.proctors.set(proctor_ids)
        started = set(Attempt.objects.filter(session_code=session.code, kind=Attempt.Kind.FORMAL)
                      .values_list("candidate_id", flat=True))
        for checkin in CheckIn.objects.filter(session_id=session.pk).exclude(candidate_id__in=started).defer("order"):
            checkin.unlock_at, checkin.entry_closes_at, checkin.deadline_at = _times(
                desk, session, checkin.ticket_number, checkin.extra_minutes)
            checkin.save(update_fields=["unlock_at", "entry_closes_at", "deadline_at", "updated_at"])
        after = {"approval_required": approval_required, "stagger_seconds": stagger_seconds,
                 "latest_entry_minutes": latest_entry_minutes, "proctors": sorted(proctor_ids)}
        audit_record(actor=actor, action="delivery.desk_update", target=desk,
                     data={"session": session.code, "before": before, "after": after, "reason": reason})
    return desk


# ---- Check-in and start -----------------------------------------------------------------------------------------

CHECK_IN_TEXTS = {
    rules.CHECK_IN_NOT_OPEN: gettext_lazy("Check-in has not opened yet."),
    rules.CHECK_IN_CLOSED: gettext_lazy("Check-in has closed: the latest entry time has passed."),
    "cancelled": gettext_lazy("This session is cancelled."),
    "papers_missing": gettext_lazy("The papers of this session are not ready. Please tell the exam office."),
    "identity": gettext_lazy("Please confirm that the name and ID number shown are yours."),
}


def checkin_confirm(*, candidate, session_code: str, confirmed: bool, ip: str | None, agent: str) -> CheckIn:
    """The candidate confirms their identity and checks in (once; a second confirm returns the first).

    NotFound without a confirmed seat in the session; DomainError outside the check-in window."""
    seat = enrolment.seat_of(candidate.pk, session_code, rank=True)
    if seat is None:
        raise NotFound()
    existing = CheckIn.objects.filter(session__code=session_code, candidate=candidate).first()
    if existing is not None:
        return existing
    desk, session = desk_get(session_code)
    problem = "cancelled" if session.cancelled else rules.check_in_problem(
        moment=now(), start_at=session.start_at, opens_minutes=desk.check_in_opens_minutes,
        latest_entry_minutes=desk.latest_entry_minutes)
    if problem is None and not confirmed:
        problem = "identity"
    paper_ids = exams.session_papers(session_code)
    if problem is None and not paper_ids:
        problem = "papers_missing"
    if problem:
        refusal_log(actor=candidate, what="check_in", code=problem, data={"session": session_code})
        raise DomainError(str(CHECK_IN_TEXTS[problem]), code=problem)
    unlock, entry_closes, deadline = _times(desk, session, seat.ticket_number, 0)
    state = CheckIn.State.WAITING if desk.approval_required else CheckIn.State.APPROVED
    paper_id, seed = paper_ids[seat.rank % len(paper_ids)], secrets.randbelow(2**62)
    order = paper_order(exams.paper_get(paper_id), seed)  # before the transaction: it may read the paper
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                session_id=session.pk, candidate=candidate, program_code=seat.program_code,
                ticket_number=seat.ticket_number, state=state, paper_id=paper_id, seed=seed, order=order,
                unlock_at=unlock, entry_closes_at=entry_closes, deadline_at=deadline, client_ip=ip,
                client_agent=agent[:300])
            audit_record(actor=candidate, action="delivery.check_in", target=checkin,
                         data={"session": session_code, "ticket": seat.ticket_number, "state": state,
                               "ip": ip, "agent": agent[:300]})
    except IntegrityError:  # a double click: the first one checked in
        return CheckIn.objects.get(session_id=session.pk, candidate=candidate)
    return checkin


ENTRY_TEXTS = {
    rules.NOT_YET: gettext_lazy("The exam has not unlocked yet."),
    rules.TOO_LATE: gettext_lazy("The latest entry time has passed; the exam can no longer be started."),
    rules.NOT_ADMITTED: gettext_lazy("The proctor has not admitted your check-in yet."),
    rules.REFUSED: gettext_lazy("The proctor did not admit your check-in."),
    "cancelled": gettext_lazy("This session is cancelled."),
    "open_elsewhere": gettext_lazy("Another formal exam of yours is still open."),
}


class LoginExpired(Exception):
    """The session's login no longer holds (the password changed, the account was deactivated): as logged out."""


def formal_start(*, candidate_id: int, session_code: str, session_hash: str | None = None,
                 client: tuple[str | None, str, str] | None = None) -> tuple[Attempt, bool]:
    """Start the candidate's formal exam at or after their unlock, or return the attempt already started (a
    reload, a second tab): (attempt, started now). Refused — nothing written but the log — before the unlock, after
    the latest entry, and without an admitted check-in.

    A start made now also opens the exam on this browser (a fresh device token, and ``client``: what the server saw
    of it), so that the waiting room can turn into the player without another request. ``session_hash`` is the
    login's hash from the request's session: it is checked against the account columns read with the check-in
    (LoginExpired when it no longer holds), so that the unlock minute never loads the user; a caller that holds the
    user already (a tool, a test) leaves it out.

    Two statements when the start goes ahead: the read (hotpath.checkin_for_start) and the insert that copies the
    check-in's order; then the audit row."""
    try:
        with transaction.atomic():
            checkin = hotpath.checkin_for_start(session_code, candidate_id)
            if checkin is None:
                raise NotFound()
            if session_hash is not None and not accounts.login_still_valid(
                    session_hash, password=checkin.candidate_password, is_active=bool(checkin.candidate_is_active)):
                raise LoginExpired()
            if checkin.started_here_id is not None:
                return Attempt.objects.defer("order", "schema").get(pk=checkin.started_here_id), False
            moment = now()
            problem = "cancelled" if checkin.session_cancelled else rules.entry_problem(
                moment=moment, state=checkin.state, unlock_at=checkin.unlock_at,
                entry_closes_at=checkin.entry_closes_at)
            if problem is None and checkin.open_elsewhere:
                problem = "open_elsewhere"
            if problem is None:
                return _formal_attempt_insert(checkin, session_code=session_code, moment=moment, client=client), True
    except IntegrityError:
        # Two starts at once on PostgreSQL: the second waited for the first's lock on the check-in, but its look at
        # the attempts was taken before the first committed, and the one-open-attempt constraint refused its insert.
        # The attempt that won is the answer; an open one of another session is the refusal it would have been.
        started = attempt_in_session(candidate_id, session_code)
        if started is not None:
            return started, False
        problem = "open_elsewhere"
    else:
        # The same stale look, when the second start's moment fell just past the latest entry: the first start's
        # attempt is the answer, not a refusal. Only refusals pay for this read.
        started = attempt_in_session(candidate_id, session_code)
        if started is not None:
            return started, False
    # Logged after the transaction: a refusal writes nothing but its trace.
    refusal_log(actor=None, actor_id=candidate_id, what="start", code=problem, target=checkin,
                data={"session": session_code})
    raise DomainError(str(ENTRY_TEXTS[problem]), code=problem)


def attempt_in_session(candidate_id: int, session_code: str) -> Attempt | None:
    """The candidate's latest formal attempt in a session, without its order and schema (loaded if read)."""
    return (Attempt.objects.defer("order", "schema")
            .filter(candidate_id=candidate_id, session_code=session_code, kind=Attempt.Kind.FORMAL)
            .order_by("-started_at").first())


def _formal_attempt_insert(checkin: CheckIn, *, session_code: str, moment: datetime,
                           client: tuple[str | None, str, str] | None) -> Attempt:
    """The attempt a start makes, from the check-in read by hotpath.checkin_for_start: the order the check-in holds,
    its deadline and extra time as they are under the lock, the next attempt number, a fresh device token."""
    seed, order_text = checkin.seed, None
    if checkin.order_missing:  # checked in before the order (or the seed) was kept: worked out now, once
        seed = secrets.randbelow(2**62) if seed is None else seed
        paper = exams.paper_get(checkin.paper_id, code=checkin.paper_code)
        order_text = json.dumps(paper_order(paper, seed), ensure_ascii=False)
    attempt = Attempt(
        candidate_id=checkin.candidate_id, program_code=checkin.program_code, kind=Attempt.Kind.FORMAL,
        number=(checkin.last_number or 0) + 1, paper_id=checkin.paper_id, session_code=session_code, seed=seed,
        started_at=moment, deadline_at=checkin.deadline_at, extra_minutes=checkin.extra_minutes,
        device=secrets.token_urlsafe(24), created_at=moment, updated_at=moment, **client_fields(client))
    attempt.pk = hotpath.attempt_insert_from_checkin(
        attempt=attempt, checkin_id=checkin.pk, order_text=order_text,
        schema_text=paper_schema_text(checkin.paper_id, checkin.paper_code))
    attempt._state.adding = False
    attempt._state.db = router.db_for_write(Attempt)
    # The order and schema are in the database only; reading either on this instance loads it (a deferred field).
    del attempt.__dict__["order"], attempt.__dict__["schema"]
    audit_record(actor=None, actor_id=checkin.candidate_id, action="delivery.attempt_start", target=attempt,
                 data={"kind": Attempt.Kind.FORMAL, "program": checkin.program_code, "paper": checkin.paper_code,
                       "seed": seed, "deadline": attempt.deadline_at.isoformat()})
    return attempt


# ---- Proctor actions --------------------------------------------------------------------------------------------

def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason: it is kept with the action."), code="reason", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("The reason is too long."), code="reason", field="reason")
    return reason


def _act(*, session_pk: int, candidate_id: int | None, actor, kind: str, reason: str, target,
         data: dict | None = None) -> ProctorAction:
    action = ProctorAction.objects.create(session_id=session_pk, candidate_id=candidate_id, actor=actor, kind=kind,
                                          reason=reason, data=data or {})
    audit_record(actor=actor, action=f"delivery.proctor_{kind}", target=target,
                 data={"session_action": str(action.code), "reason": reason, **(data or {})})
    return action


def checkin_decide(*, checkin: CheckIn, actor, approve: bool, reason: str) -> CheckIn:
    """Admit a waiting check-in, or refuse it (an admitted one can be refused too until the candidate starts)."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = CheckIn.objects.select_for_update().get(pk=checkin.pk)
        started = Attempt.objects.filter(candidate_id=locked.candidate_id, kind=Attempt.Kind.FORMAL,
                                         session_code=str(checkin.session.code)).exists()
        if started:
            raise DomainError(_("The candidate has started already."), code="started")
        target = CheckIn.State.APPROVED if approve else CheckIn.State.REFUSED
        before = locked.state
        locked.state, locked.decided_by, locked.decided_at, locked.reason = target, actor, now(), reason[:300]
        locked.save(update_fields=["state", "decided_by", "decided_at", "reason", "updated_at"])
        _act(session_pk=locked.session_id, candidate_id=locked.candidate_id, actor=actor,
             kind=ProctorAction.Kind.APPROVE if approve else ProctorAction.Kind.REFUSE, reason=reason,
             target=locked, data={"before": before, "after": target, "ticket": locked.ticket_number})
    return locked


def _locked_open(attempt: Attempt) -> Attempt:
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.state != Attempt.State.OPEN:
        raise DomainError(_("This exam is closed already."), code="closed")
    return locked


def attempt_pause(*, attempt: Attempt, session_pk: int, actor, reason: str) -> Attempt:
    """Stop the clock: no saves are taken and the server does not close it until it is resumed."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = _locked_open(attempt)
        if locked.paused_at is not None:
            raise DomainError(_("This exam is paused already."), code="paused")
        if rules.due_for_close(deadline_at=locked.deadline_at, moment=now(), grace_seconds=0):
            raise DomainError(_("Time is up for this exam; it can't be paused."), code="time_up")
        locked.paused_at = now()
        locked.save(update_fields=["paused_at", "updated_at"])
        _act(session_pk=session_pk, candidate_id=locked.candidate_id, actor=actor, kind=ProctorAction.Kind.PAUSE,
             reason=reason, target=locked, data={"deadline": locked.deadline_at.isoformat()})
    return locked


def attempt_resume(*, attempt: Attempt, session_pk: int, actor, reason: str) -> Attempt:
    """Restart the clock; the deadline moves by the length of the pause."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = _locked_open(attempt)
        if locked.paused_at is None:
            raise DomainError(_("This exam is not paused."), code="not_paused")
        moment = now()
        before = locked.deadline_at
        locked.deadline_at = rules.resumed_deadline(deadline_at=before, paused_at=locked.paused_at,
                                                    resumed_at=moment)
        paused_seconds = int((moment - locked.paused_at).total_seconds())
        locked.paused_at = None
        locked.save(update_fields=["deadline_at", "paused_at", "updated_at"])
        _act(session_pk=session_pk, candidate_id=locked.candidate_id, actor=actor, kind=ProctorAction.Kind.RESUME,
             reason=reason, target=locked, data={"paused_seconds": paused_seconds,
                                                 "deadline_before": before.isoformat(),
                                                 "deadline_after": locked.deadline_at.isoformat()})
    return locked


def time_extend(*, session_code: str, candidate_id: int, minutes: int, actor, reason: str) -> datetime:
    """Add extra time: to the running attempt, or — before the candidate starts — to their check-in, so that the
    attempt starts with it. Returns the new deadline."""
    reason = _reason(reason)
    if not 1 <= minutes <= MAX_EXTRA_MINUTES:
        raise DomainError(_("Extra time must be between 1 and %(max)s minutes.") % {"max": MAX_EXTRA_MINUTES},
                          code="minutes", field="minutes")
    _desk, session = desk_get(session_code)
    with transaction.atomic():
        # The check-in first, as the start locks it: extra time lands either on the check-in before the attempt
        # exists, or on the attempt — never on a check-in the start has already read.
        checkin = CheckIn.objects.select_for_update().filter(session_id=session.pk, candidate_id=candidate_id).first()
        attempt = (Attempt.objects.select_for_update()
                   .filter(session_code=session_code, candidate_id=candidate_id, kind=Attempt.Kind.FORMAL)
                   .order_by("-started_at").first())
        if attempt is not None:
            if attempt.state != Attempt.State.OPEN:
                raise DomainError(_("This exam is closed already."), code="closed")
            before = attempt.deadline_at
            attempt.deadline_at = before + timedelta(minutes=minutes)
            attempt.extra_minutes += minutes
            attempt.save(update_fields=["deadline_at", "extra_minutes", "updated_at"])
            target, deadline = attempt, attempt.deadline_at
        else:
            if checkin is None:
                raise DomainError(_("This candidate has not checked in."), code="absent")
            before = checkin.deadline_at
            checkin.extra_minutes += minutes
            checkin.deadline_at = before + timedelta(minutes=minutes)
            checkin.save(update_fields=["deadline_at", "extra_minutes", "updated_at"])
            target, deadline = checkin, checkin.deadline_at
        _act(session_pk=session.pk, candidate_id=candidate_id, actor=actor, kind=ProctorAction.Kind.EXTEND,
             reason=reason, target=target, data={"minutes": minutes, "deadline_before": before.isoformat(),
                                                 "deadline_after": deadline.isoformat()})
    return deadline


def attempt_terminate(*, attempt: Attempt, session_pk: int, actor, reason: str) -> Attempt:
    """End a candidate's exam now. The answers saved so far are kept as they are; what follows is for the exam
    admin and the results process to decide, not for this action."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = _locked_open(attempt)
        _close(locked, state=Attempt.State.TERMINATED, actor=actor)
        _act(session_pk=session_pk, candidate_id=locked.candidate_id, actor=actor,
             kind=ProctorAction.Kind.TERMINATE, reason=reason, target=locked,
             data={"answered": locked.answered_count, "hash": locked.answers_hash})
    return locked


def incident_write(*, session_code: str, actor, text: str, candidate_id: int | None = None) -> ProctorAction:
    """An incident report for the session, or about one candidate of it."""
    text = _reason(text)
    _desk, session = desk_get(session_code)
    with transaction.atomic():
        return _act(session_pk=session.pk, candidate_id=candidate_id, actor=actor,
                    kind=ProctorAction.Kind.INCIDENT, reason=text, target=None, data={"session": session_code})


# ---- Integrity events -------------------------------------------------------------------------------------------

WARNINGS = {
    "visibility_hidden": gettext_lazy("The exam page was hidden. Stay on the exam page until you submit."),
    "focus_lost": gettext_lazy("You left the exam window. Stay in the exam window until you submit."),
    "fullscreen_exit": gettext_lazy("You left full screen. Please return to full screen."),
    "paste": gettext_lazy("Pasting into answers is recorded for the proctor."),
    "second_login": gettext_lazy("Your exam was opened from another login. This is recorded for the proctor."),
    "ip_changed": gettext_lazy("Your network address changed. This is recorded for the proctor."),
    "ua_changed": gettext_lazy("Your exam was opened in another browser. This is recorded for the proctor."),
}


def _proctors_tell(attempt: Attempt, kind: str, count: int) -> None:
    desk = SessionDesk.objects.filter(session__code=attempt.session_code).first()
    if desk is None:
        return
    name = accounts.legal_names([attempt.candidate_id]).get(attempt.candidate_id, "")
    label = IntegrityEvent.Kind(kind).label
    for proctor in desk.proctors.all():
        notify(user_id=proctor.pk, language=proctor.language or "zh-hans", email=None, kind="integrity",
               subject=gettext_lazy("Integrity events: %(name)s"),
               body=gettext_lazy("%(name)s: %(event)s, %(count)s times. Look at the candidate in the proctor "
                                 "console."),
               params={"name": name, "event": label, "count": count})


def integrity_record(*, attempt: Attempt, kind: str, detail: dict[str, Any] | None = None,
                     client_at: datetime | None = None) -> str | None:
    """Record one event of a formal attempt and apply the program's policy: returns the warning to show the
    candidate, if the policy says to warn. Nothing is decided against the candidate."""
    action, after = exam_day_policy(attempt.program_code).integrity[kind]
    IntegrityEvent.objects.create(attempt=attempt, kind=kind, detail=detail or {}, client_at=client_at,
                                  recorded_at=now())
    count = IntegrityEvent.objects.filter(attempt=attempt, kind=kind).count()
    response = rules.integrity_response(action=action, after=after, count=count)
    if response == "notify":
        _proctors_tell(attempt, kind, count)
    return str(WARNINGS[kind]) if response == "warn" else None


def integrity_report(*, attempt: Attempt, device: str, events: list[dict[str, Any]]) -> list[str]:
    """Events the player reports (focus, visibility, full screen, paste): only for an open formal attempt on its
    current device. Returns the warnings to show."""
    if attempt.kind != Attempt.Kind.FORMAL or attempt.state != Attempt.State.OPEN or device != attempt.device:
        raise DomainError("closed", code="closed")
    warnings = []
    with transaction.atomic():
        for event in events[:20]:
            if event.get("kind") not in CLIENT_KINDS:
                raise DomainError("kind", code="malformed")
            warning = integrity_record(attempt=attempt, kind=event["kind"], detail=_detail(event.get("detail")),
                                       client_at=_client_time(event.get("at")))
            if warning and warning not in warnings:
                warnings.append(warning)
    return warnings


def _detail(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    # Only short scalars: evidence, not a second answer channel.
    return {str(k)[:20]: v for k, v in list(value.items())[:5]
            if isinstance(v, (int, bool)) or (isinstance(v, str) and len(v) <= 40)}


def _client_time(value: Any) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=now().tzinfo)
    except (OverflowError, OSError, ValueError):
        return None


def login_fingerprint(session_key: str) -> str:
    return hashlib.sha256(session_key.encode("utf-8")).hexdigest()[:32] if session_key else ""


def attempt_observe(*, attempt: Attempt, ip: str | None, agent: str, login: str) -> list[str]:
    """What the server sees when the player opens: a different login than before (a second concurrent login), a
    changed IP address or browser. Records them as events of a formal attempt; the page's device claim
    (services.attempt_claim_device) then stores the new values in the same write as the device token."""
    if attempt.kind != Attempt.Kind.FORMAL or attempt.state != Attempt.State.OPEN:
        return []
    agent = agent[:300]
    warnings = []
    changes = []
    if attempt.login_hash and login != attempt.login_hash:
        changes.append(("second_login", {}))
    if attempt.client_ip and ip != attempt.client_ip:
        changes.append(("ip_changed", {"from": attempt.client_ip, "to": ip or ""}))
    if attempt.client_agent and agent != attempt.client_agent:
        changes.append(("ua_changed", {"from": attempt.client_agent[:40], "to": agent[:40]}))
    if changes:
        with transaction.atomic():
            for kind, detail in changes:
                warning = integrity_record(attempt=attempt, kind=kind, detail=detail)
                if warning:
                    warnings.append(warning)
    return warnings


def integrity_ip_seen(*, attempt: Attempt, ip: str | None) -> None:
    """An autosave from another address than the page was opened from (rare; outside the three queries)."""
    if attempt.kind == Attempt.Kind.FORMAL and attempt.client_ip and ip and ip != attempt.client_ip:
        with transaction.atomic():
            integrity_record(attempt=attempt, kind="ip_changed", detail={"from": attempt.client_ip, "to": ip})
            Attempt.objects.filter(pk=attempt.pk).update(client_ip=ip)


def integrity_counts(attempt_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for row in (IntegrityEvent.objects.filter(attempt_id__in=attempt_ids).values("attempt_id", "kind")
                .annotate(n=Count("id"))):
        counts.setdefault(row["attempt_id"], {})[row["kind"]] = row["n"]
    return counts
