"""Reads for the player and for other apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _

from aigcert.accounts import api as accounts
from aigcert.accounts.api import Role
from aigcert.catalog.api import ItemType
from aigcert.core.api import NotFound, now, today
from aigcert.delivery import examday, hotpath, rules
from aigcert.delivery.models import Attempt, CheckIn, IntegrityEvent, ProctorAction, Response, SessionDesk
from aigcert.delivery.policy import exam_day_policy
from aigcert.enrolment import api as enrolment
from aigcert.exams import api as exams
from aigcert.exams.api import PaperData, SessionData
from aigcert.itembank import api as itembank

_HOT_COLUMNS = ("id", "code", "kind", "state", "deadline_at", "paused_at", "device", "schema", "client_ip",
                "program_code", "session_code", "candidate_id", "answered_count", "answers_hash")


def attempt_with_login(code, candidate_id: int, *, lock: bool = False) -> Attempt | None:
    """The autosave's and the submit's one read: the candidate's attempt with the two columns of their account that
    Django's session checks need, as ``candidate_password`` and ``candidate_is_active``. A fixed statement rather
    than a queryset, because on the hot path compiling the ORM query cost a fifth of the request. ``lock`` (in a
    transaction) takes the attempt's row lock with the read: the submit's, so it need not read the row again."""
    user_table = get_user_model()._meta.db_table
    columns = ", ".join(f'a."{c}"' for c in _HOT_COLUMNS)
    locking = " FOR UPDATE OF a" if lock and connection.features.has_select_for_update_of else ""
    sql = (f'SELECT {columns}, u."password" AS candidate_password, u."is_active" AS candidate_is_active '  # noqa: S608
           f'FROM "{Attempt._meta.db_table}" a JOIN "{user_table}" u ON u."id" = a."candidate_id" '
           f'WHERE a."code" = %s AND a."candidate_id" = %s{locking}')
    code_value = Attempt._meta.get_field("code").get_db_prep_value(code, connection)
    with hotpath.prepared():
        return next(iter(Attempt.objects.raw(sql, [code_value, candidate_id])), None)


def responses_of(attempt: Attempt) -> dict[str, Response]:
    return {r.slot: r for r in Response.objects.filter(attempt=attempt)}


def player_items(order: dict[str, Any], paper: PaperData) -> list[dict[str, Any]]:
    """The paper in the candidate's order (an attempt's, or the one a check-in's seed makes), options in their
    shuffled order and lettered by position."""
    by_slot = {item["slot"]: item for item in paper.items}
    type_labels = {t: str(label) for t, label in ItemType.choices}  # translated once, not once per item
    items = []
    for number, slot in enumerate(order["slots"], start=1):
        item = by_slot[slot]
        payload = item["payload"]
        options = []
        if payload.get("options"):
            by_id = {o["id"]: o for o in payload["options"]}
            options = [{"id": oid, "label": itembank.option_label(i), "html": by_id[oid]["html"]}
                       for i, oid in enumerate(order["options"].get(slot, list(by_id)))]
        items.append({"number": number, "slot": slot, "type": item["item_type"],
                      "type_label": type_labels[item["item_type"]], "points": item["points"],
                      "payload": payload, "options": options})
    return items



def access_attempt(candidate_id: int, code) -> Attempt:
    """The candidate's attempt; someone else's and a missing one look the same."""
    attempt = Attempt.objects.filter(code=code, candidate_id=candidate_id).first()
    if attempt is None:
        raise NotFound()
    return attempt


# ---- The proctor console ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConsoleRow:
    candidate_id: int
    name: str
    ticket_number: str
    stage: str  # absent · waiting · approved · refused · open · paused · submitted · expired · terminated
    stage_label: str
    checked_in_at: datetime | None
    unlock_at: datetime | None
    attempt_code: str
    answered: int
    total: int
    last_save: datetime | None
    deadline: datetime | None
    time_left: int | None  # seconds; frozen while paused
    extra_minutes: int
    events: dict[str, int]
    flagged: tuple[str, ...]  # kinds whose count reached the policy's "notify after"

    @property
    def events_total(self) -> int:
        return sum(self.events.values())

    @property
    def event_list(self) -> list[tuple[str, str, int]]:
        """(kind, label, count) in a fixed order, for the console."""
        return [(kind, str(label), self.events[kind]) for kind, label in IntegrityEvent.Kind.choices
                if kind in self.events]


STAGE_LABELS = {
    "absent": _("Not checked in"),
    "waiting": _("Waiting for approval"),
    "approved": _("Admitted, not started"),
    "refused": _("Not admitted"),
    "open": _("In progress"),
    "paused": _("Paused"),
    "submitted": _("Submitted"),
    "expired": _("Closed at the deadline"),
    "terminated": _("Ended by the proctor"),
}


def access_desk(user, session_code: str) -> tuple[SessionDesk, SessionData]:
    """The desk of a session this user may proctor: exam admins and staff see every session, proctors only the
    ones they are assigned to. Others, and missing sessions, get the same NotFound."""
    admin = accounts.user_has_any_role(user, (Role.EXAM_ADMIN, Role.STAFF))
    if not admin and not accounts.user_has_any_role(user, (Role.PROCTOR,)):
        raise NotFound()  # before the desk is looked up (and made): nothing happens for a stranger's request
    try:
        desk, session = examday.desk_get(session_code)
    except (NotFound, ValidationError):
        raise NotFound() from None
    if admin or desk.proctors.filter(pk=user.pk).exists():
        return desk, session
    raise NotFound()


def sessions_for_proctor(user) -> list[SessionData]:
    """The sessions on the user's console list: from yesterday on, all of them for exam admins, the assigned ones
    for proctors."""
    since = today() - timedelta(days=1)
    sessions = [s for s in exams.sessions_upcoming(since=since) if not s.cancelled]
    if accounts.user_has_any_role(user, (Role.EXAM_ADMIN, Role.STAFF)):
        return sessions
    assigned = set(SessionDesk.objects.filter(proctors=user).values_list("session_id", flat=True))
    return [s for s in sessions if s.pk in assigned]


def console_rows(session: SessionData) -> list[ConsoleRow]:
    """Everyone with a seat, in ticket order, with where they stand. A fixed number of queries for any size."""
    seats = enrolment.seats_of_session(session.code)
    checkins = {c.candidate_id: c for c in CheckIn.objects.filter(session_id=session.pk).defer("order")}
    attempts: dict[int, Attempt] = {}
    for attempt in (Attempt.objects.filter(session_code=session.code, kind=Attempt.Kind.FORMAL)
                    .defer("schema", "order").order_by("started_at")):
        attempts[attempt.candidate_id] = attempt  # the latest one wins
    progress = {row["attempt_id"]: (row["n"], row["last"]) for row in
                Response.objects.filter(attempt_id__in=[a.pk for a in attempts.values()]).exclude(value=None)
                .values("attempt_id").annotate(n=Count("id"), last=Max("saved_at"))}
    counts = examday.integrity_counts([a.pk for a in attempts.values()])
    names = accounts.legal_names([s.candidate_id for s in seats])
    paper_ids = exams.session_papers(session.code)
    total = len(exams.paper_get(paper_ids[0]).items) if paper_ids else 0
    policy = exam_day_policy(session.program_code).integrity
    moment = now()
    rows = []
    for seat in seats:
        checkin = checkins.get(seat.candidate_id)
        attempt = attempts.get(seat.candidate_id)
        events = counts.get(attempt.pk, {}) if attempt else {}
        if attempt is not None:
            stage = "paused" if attempt.paused_at else attempt.state
        else:
            stage = checkin.state if checkin else "absent"
        answered, last = progress.get(attempt.pk, (0, None)) if attempt else (0, None)
        if attempt is not None and attempt.state != Attempt.State.OPEN:
            answered = attempt.answered_count
        deadline = attempt.deadline_at if attempt else (checkin.deadline_at if checkin else None)
        time_left = None
        if attempt is not None and attempt.state == Attempt.State.OPEN:
            time_left = rules.time_left_seconds(deadline_at=attempt.deadline_at, moment=moment,
                                                paused_at=attempt.paused_at)
        rows.append(ConsoleRow(
            candidate_id=seat.candidate_id, name=names.get(seat.candidate_id, ""), ticket_number=seat.ticket_number,
            stage=stage, stage_label=str(STAGE_LABELS[stage]),
            checked_in_at=checkin.created_at if checkin else None, unlock_at=checkin.unlock_at if checkin else None,
            attempt_code=str(attempt.code) if attempt else "", answered=answered, total=total, last_save=last,
            deadline=deadline, time_left=time_left,
            extra_minutes=(attempt.extra_minutes if attempt else (checkin.extra_minutes if checkin else 0)),
            events=events,
            flagged=tuple(kind for kind, n in events.items()
                          if rules.integrity_flagged(action=policy[kind][0], after=policy[kind][1], count=n))))
    return rows


def session_actions(session: SessionData, *, candidate_id: int | None = None,
                    limit: int = 100) -> list[ProctorAction]:
    """The session's actions (or one candidate's), newest first, with ``actor_name`` and ``candidate_name``."""
    actions = ProctorAction.objects.filter(session_id=session.pk)
    if candidate_id is not None:
        actions = actions.filter(candidate_id=candidate_id)
    actions = list(actions[:limit])
    names = accounts.legal_names({a.actor_id for a in actions} | {a.candidate_id for a in actions if a.candidate_id})
    for action in actions:
        action.actor_name = names.get(action.actor_id, "")
        action.candidate_name = names.get(action.candidate_id, "") if action.candidate_id else ""
    return actions


def integrity_events_of(attempt_code: str, session_code: str) -> list[IntegrityEvent]:
    return list(IntegrityEvent.objects.filter(attempt__code=attempt_code, attempt__session_code=session_code))
