"""Attempt writes: start, open on a device, autosave, upload, submit, and the server's close at the deadline."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from aigcert.core.api import (
    DomainError,
    audit_record,
    audit_record_many,
    now,
    outbox_publish,
    outbox_publish_many,
)
from aigcert.delivery import rules
from aigcert.delivery.hotpath import attempt_close_row, responses_upsert, responses_values
from aigcert.delivery.models import Attempt, Response, Upload
from aigcert.exams import api as exams
from aigcert.exams.api import PaperData
from aigcert.itembank import api as itembank

ATTEMPT_CLOSED = "delivery.attempt_closed"


def _grace() -> int:
    return settings.EXAM_SAVE_GRACE_SECONDS


def attempt_start(*, candidate, paper: PaperData, kind: str, duration_minutes: int) -> tuple[Attempt, bool]:
    """Start an attempt with a deadline of start + duration, or return the open one (a second start, a double click,
    two tabs): (attempt, created). Formal sittings start from their check-in instead (examday.formal_start)."""
    existing = Attempt.objects.filter(candidate=candidate, program_code=paper.program_code, kind=kind,
                                      state=Attempt.State.OPEN).first()
    if existing is not None:
        return existing, False
    number = _next_number(candidate.pk, paper.program_code, kind)
    moment = now()
    seed = secrets.randbelow(2**62)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                candidate=candidate, program_code=paper.program_code, kind=kind, number=number, paper_id=paper.pk,
                seed=seed, order=paper_order(paper, seed), schema=paper_schema(paper), started_at=moment,
                deadline_at=moment + timedelta(minutes=duration_minutes))
            audit_record(actor=candidate, action="delivery.attempt_start", target=attempt,
                         data={"kind": kind, "program": paper.program_code, "paper": paper.code, "seed": seed,
                               "deadline": attempt.deadline_at.isoformat()})
    except IntegrityError:
        # Another request started it first; that one is the attempt.
        return Attempt.objects.get(candidate=candidate, program_code=paper.program_code, kind=kind,
                                   state=Attempt.State.OPEN), False
    return attempt, True


def client_fields(client: tuple[str | None, str, str] | None) -> dict[str, Any]:
    """The attempt's columns for what the server saw of the browser (IP, user agent, login fingerprint)."""
    if client is None:
        return {}
    return {"client_ip": client[0], "client_agent": client[1][:300], "login_hash": client[2]}


def paper_order(paper: PaperData, seed: int) -> dict[str, Any]:
    """The order of items and options a seed gives on a paper: the same at check-in, in the waiting room and at the
    start."""
    return rules.presentation_order(list(paper.items), seed=seed, shuffle_items=paper.shuffle_items,
                                    shuffle_options=paper.shuffle_options)


def paper_schema(paper: PaperData) -> dict[str, list[Any]]:
    """What each slot accepts; the same for every attempt on a (frozen) paper, so worked out once per process (each
    attempt gets its own copy of the cached mapping)."""
    return dict(_schema_of(paper.pk, paper.code))


@lru_cache(maxsize=256)
def _schema_of(paper_id: int, paper_code: str) -> dict[str, list[Any]]:
    return rules.response_schema(list(exams.paper_get(paper_id, code=paper_code).items))


@lru_cache(maxsize=256)
def paper_schema_text(paper_id: int, paper_code: str) -> str:
    """The response schema as the JSON the database stores, encoded once per paper and process."""
    return json.dumps(_schema_of(paper_id, paper_code), ensure_ascii=False)


def _next_number(candidate_id: int, program_code: str, kind: str) -> int:
    return (Attempt.objects.filter(candidate_id=candidate_id, program_code=program_code, kind=kind)
            .aggregate(n=Max("number"))["n"] or 0) + 1


def mock_start(*, candidate, program_code: str, duration_minutes: int) -> Attempt:
    """Start (or resume) a mock exam: the open one if there is one, else a new attempt on the blueprint's paper.

    Raises DomainError when the program has no mock set up, or while a formal exam of the candidate is open."""
    if has_open_formal_attempt(candidate.pk):
        raise DomainError(_("Mock exams and study tools are closed while your formal exam is open."),
                          code="formal_open")
    open_attempt = Attempt.objects.filter(candidate=candidate, program_code=program_code, kind=Attempt.Kind.MOCK,
                                          state=Attempt.State.OPEN).first()
    if open_attempt is not None:
        return open_attempt
    number = _next_number(candidate.pk, program_code, Attempt.Kind.MOCK)
    with transaction.atomic():
        # One transaction: if a double click loses the race below, its freshly frozen paper goes with it.
        paper = exams.paper_for_mock(program_code=program_code, candidate_id=candidate.pk, attempt_number=number)
        attempt, _created = attempt_start(candidate=candidate, paper=paper, kind=Attempt.Kind.MOCK,
                                          duration_minutes=duration_minutes)
    return attempt


def has_open_formal_attempt(candidate_id: int) -> bool:
    """While a formal exam is open, nothing that could help with it (mocks, keys, the tutor) is available."""
    return Attempt.objects.filter(candidate_id=candidate_id, kind=Attempt.Kind.FORMAL,
                                  state=Attempt.State.OPEN).exists()


def attempt_claim_device(attempt: Attempt, *, client: tuple[str | None, str, str] | None = None) -> str:
    # The UPDATE's row lock makes a save from the old device either finish first (and be seen by the page that
    # loads next) or find the new token (and write nothing): see the FOR SHARE in hotpath.py.
    """A page load takes the attempt over: it gets a fresh device token; the page before it is now superseded."""
    token = secrets.token_urlsafe(24)
    # What the server saw of the browser (formal attempts) goes in the same UPDATE: one write per page load.
    seen = client_fields(client)
    Attempt.objects.filter(pk=attempt.pk, state=Attempt.State.OPEN).update(device=token, **seen)
    attempt.device = token
    for field, value in seen.items():
        setattr(attempt, field, value)
    return token


@dataclass(frozen=True)
class SaveResult:
    saved: dict[str, int]  # slot → seq now stored
    stale: list[str]       # slots whose write was older than what is stored: ignored, not an error


class Superseded(DomainError):
    pass


class TimeUp(DomainError):
    pass


class Paused(DomainError):
    pass


def _deduplicated(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry["slot"] not in latest or entry["seq"] > latest[entry["slot"]]["seq"]:
            latest[entry["slot"]] = entry
    return list(latest.values())


def _rows(entries: list[dict[str, Any]]) -> list[tuple[str, Any, bool, int]]:
    return [(e["slot"], e["value"], bool(e.get("flagged")), e["seq"]) for e in entries]


def responses_check(attempt: Attempt, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every entry valid or none written: (slot, problem code) of the first bad one raises."""
    for entry in entries:
        problem = rules.value_problem(attempt.schema, entry["slot"], entry["value"])
        if problem:
            raise DomainError(problem, code=problem, field=entry["slot"])
    return _deduplicated(entries)


def responses_save(*, attempt: Attempt, device: str, entries: list[dict[str, Any]]) -> SaveResult:
    """The autosave. The caller fetched the attempt (query 1); this is one more statement, and no scoring."""
    moment = now()
    if attempt.state == Attempt.State.TERMINATED:
        raise TimeUp("ended", code="ended")
    if attempt.state != Attempt.State.OPEN or not rules.accepts_saves(
            state=attempt.state, deadline_at=attempt.deadline_at, moment=moment, grace_seconds=_grace()):
        raise TimeUp("time_up", code="time_up")
    if attempt.paused_at is not None:
        raise Paused("paused", code="paused")
    if device != attempt.device:
        raise Superseded("superseded", code="superseded")
    entries = responses_check(attempt, entries)
    stored = responses_upsert(attempt_id=attempt.pk, device=device, saved_at=moment, rows=_rows(entries))
    if entries and not stored:
        # The attempt closed or another device took it between our read and the write (rare: a 4th query).
        current = Attempt.objects.only("state", "device", "paused_at").get(pk=attempt.pk)
        if current.state == Attempt.State.TERMINATED:
            raise TimeUp("ended", code="ended")
        if current.state != Attempt.State.OPEN:
            raise TimeUp("time_up", code="time_up")
        if current.paused_at is not None:
            raise Paused("paused", code="paused")
        raise Superseded("superseded", code="superseded")
    saved = {e["slot"]: e["seq"] for e in entries if stored.get(e["slot"]) == e["seq"]}
    return SaveResult(saved=saved, stale=[e["slot"] for e in entries if e["slot"] not in saved])


def upload_save(*, attempt: Attempt, device: str, slot: str, seq: int, name: str, data: bytes,
                allowed_types: list[str], max_mb: int | None, flagged: bool = False) -> Upload:
    """Store a handed-in file and point the slot's response at it, with the same guards as an autosave."""
    if attempt.schema.get(slot, [None])[0] != "work_upload":
        raise DomainError(rules.NOT_ON_PAPER, code=rules.NOT_ON_PAPER, field=slot)
    moment = now()
    if not rules.accepts_saves(state=attempt.state, deadline_at=attempt.deadline_at, moment=moment,
                               grace_seconds=_grace()):
        raise TimeUp("time_up", code="time_up")
    if attempt.paused_at is not None:
        raise Paused("paused", code="paused")
    if device != attempt.device:
        raise Superseded("superseded", code="superseded")
    cap = settings.EXAM_UPLOAD_MAX_MB
    max_bytes = min(max_mb or cap, cap) << 20
    problem = rules.upload_problem(filename=name, head=data[:64], size=len(data), allowed_types=allowed_types,
                                   max_bytes=max_bytes)
    if problem:
        raise DomainError(problem, code=f"upload_{problem}", field=slot)
    upload = Upload(attempt=attempt, slot=slot, name=name[:200], size=len(data),
                    sha256=hashlib.sha256(data).hexdigest())
    extension = name.rsplit(".", 1)[-1].lower()
    upload.file.save(f"{attempt.code}-{slot}.{extension}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            upload.save()
            value = {"upload": str(upload.code), "name": upload.name, "size": upload.size}
            stored = responses_upsert(attempt_id=attempt.pk, device=device, saved_at=moment,
                                      rows=[(slot, value, flagged, seq)])
            if stored.get(slot) != seq:
                raise DomainError("stale", code="stale", field=slot)
    except BaseException:
        upload.file.delete(save=False)  # the row is rolled back; the file must not outlive it
        raise
    return upload


def _close(attempt: Attempt, *, by_server: bool = False, key: str = "", state: str | None = None,
           actor=None) -> bool:
    """Close an open attempt once (conditional UPDATE) with its receipt, and tell whoever listens. The caller holds
    the attempt's row lock (select_for_update), so no save can land between the read of the answers and the close:
    an autosave's statement waits on that lock (hotpath.py)."""
    state = state or (Attempt.State.EXPIRED if by_server else Attempt.State.SUBMITTED)
    values = responses_values(attempt.pk)
    answered, digest = _receipt(attempt.schema, values)
    moment = now()
    if not attempt_close_row(attempt_id=attempt.pk, state=state, closed_at=moment, by_server=by_server, key=key[:64],
                             answered=answered, digest=digest):
        return False
    attempt.state, attempt.closed_at, attempt.closed_by_server, attempt.submit_key = state, moment, by_server, key[:64]
    attempt.device, attempt.paused_at, attempt.answered_count, attempt.answers_hash = "", None, answered, digest
    # A candidate's own submit is theirs; the server's close has no actor; a proctor's end names the proctor.
    audit_record(actor=actor, actor_id=None if actor is not None or by_server else attempt.candidate_id,
                 action="delivery.attempt_close", target=attempt,
                 data={"by_server": by_server, "state": state, "answered": answered, "hash": digest})
    outbox_publish(topic=ATTEMPT_CLOSED, payload=_closed_payload(attempt, by_server))
    return True


def _receipt(schema: dict[str, Any], values: dict[str, Any]) -> tuple[int, str]:
    answered = sum(1 for slot, value in values.items()
                   if itembank.is_answered(schema.get(slot, ["", None])[0], value))
    return answered, rules.answers_hash(values)


def _closed_payload(attempt: Attempt, by_server: bool) -> dict[str, Any]:
    return {"attempt": str(attempt.code), "kind": attempt.kind, "program": attempt.program_code,
            "by_server": by_server, "state": attempt.state, "session": attempt.session_code}


def attempt_submit(*, attempt: Attempt, key: str, device: str = "", entries: list[dict[str, Any]] | None = None,
                   locked: bool = False) -> tuple[Attempt, bool]:
    """Submit: the last unsaved answers first (when this device may still save), then close. Idempotent: a
    second submit — same key, another tab, after the server closed it — returns the closed attempt unchanged.
    ``locked``: the caller read ``attempt`` under its row lock in the transaction it is in (the submit view's one
    read), so it is not read again. Returns (attempt, closed_now)."""
    # The view's transaction is joined without a savepoint (two round trips): its refusals raise before any write
    # and it lets them end the transaction. Any other caller gets the usual savepoint.
    with transaction.atomic(savepoint=not locked):
        if not locked:
            # Under the lock only what can have changed since the caller's read; the order and the schema (two
            # 100-entry JSON documents, fixed at the start) are not decoded again.
            schema = attempt.schema
            attempt = (Attempt.objects.select_for_update()
                       .defer("order", "schema", "client_agent", "login_hash").get(pk=attempt.pk))
            attempt.schema = schema
        if attempt.state != Attempt.State.OPEN:
            return attempt, False
        if attempt.paused_at is not None:
            raise Paused(_("Your exam is paused by the proctor. Wait until it is resumed."), code="paused")
        if device and device != attempt.device:
            # A tab another one took over must not close the exam under it: the current tab may hold answers not
            # saved yet (typed, in flight, offline), which only its own submit brings in.
            raise Superseded("superseded", code="superseded")
        if entries and device == attempt.device and rules.accepts_saves(
                state=attempt.state, deadline_at=attempt.deadline_at, moment=now(), grace_seconds=_grace()):
            entries = responses_check(attempt, entries)
            responses_upsert(attempt_id=attempt.pk, device=device, saved_at=now(), rows=_rows(entries))
        late = rules.due_for_close(deadline_at=attempt.deadline_at, moment=now(), grace_seconds=_grace())
        _close(attempt, by_server=late, key=key)
        return attempt, True


def attempt_close_if_due(attempt: Attempt) -> Attempt:
    """Close an attempt whose time ran out when someone looks at it, without waiting for the minute tick."""
    if attempt.state == Attempt.State.OPEN and attempt.paused_at is None and rules.due_for_close(
            deadline_at=attempt.deadline_at, moment=now(), grace_seconds=_grace()):
        with transaction.atomic():
            locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
            # Again under the lock: time may have been added, or a pause begun, since the read above.
            if locked.paused_at is None and rules.due_for_close(deadline_at=locked.deadline_at, moment=now(),
                                                                grace_seconds=_grace()):
                _close(locked, by_server=True)
        attempt.refresh_from_db()
    return attempt


def attempts_close_due(*, batch: int = 500) -> int:
    """Close every open attempt past its deadline and grace, whatever its page does; paused ones wait. Run by the
    finalizer every few seconds: a whole session (thousands) closes in a few statements per batch of ``batch``.
    Rows another request holds (a submit, a save in flight) are skipped on PostgreSQL and taken next round."""
    closed = 0
    while True:
        done = _close_due_batch(batch)
        closed += done
        if done < batch:
            return closed


def _close_due_batch(batch: int) -> int:
    cutoff = now() - timedelta(seconds=_grace())
    # A pause nobody ended (the proctor forgot, the session is long over) would keep the attempt open for good —
    # and with it the candidate's study tools closed. After EXAM_PAUSE_MAX_MINUTES the server closes it too, with
    # the answers as they were.
    forgotten = now() - timedelta(minutes=settings.EXAM_PAUSE_MAX_MINUTES)
    with transaction.atomic():
        due = list(Attempt.objects.select_for_update(skip_locked=True)
                   .filter(Q(paused_at__isnull=True, deadline_at__lt=cutoff) | Q(paused_at__lt=forgotten),
                           state=Attempt.State.OPEN)
                   .order_by("deadline_at")
                   .only("pk", "code", "kind", "program_code", "session_code", "schema", "paused_at")[:batch])
        if not due:
            return 0
        moment = now()
        Attempt.objects.filter(pk__in=[a.pk for a in due], state=Attempt.State.OPEN).update(
            state=Attempt.State.EXPIRED, closed_at=moment, closed_by_server=True, device="", paused_at=None)
        values: dict[int, dict[str, Any]] = {a.pk: {} for a in due}
        for attempt_id, slot, value in (Response.objects.filter(attempt_id__in=values)
                                        .values_list("attempt_id", "slot", "value")):
            values[attempt_id][slot] = value
        for attempt in due:
            attempt.answered_count, attempt.answers_hash = _receipt(attempt.schema, values[attempt.pk])
            attempt.state, attempt.closed_by_server = Attempt.State.EXPIRED, True
        Attempt.objects.bulk_update(due, ["answered_count", "answers_hash"], batch_size=500)
        audit_record_many(action="delivery.attempt_close", targets=due, data=[
            {"by_server": True, "state": Attempt.State.EXPIRED, "answered": a.answered_count,
             "hash": a.answers_hash, **({"paused_since": a.paused_at.isoformat()} if a.paused_at else {})}
            for a in due])
        outbox_publish_many(topic=ATTEMPT_CLOSED, payloads=[_closed_payload(a, True) for a in due])
    return len(due)
