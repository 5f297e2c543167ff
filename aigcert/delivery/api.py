"""What other apps may ask delivery: attempts and their responses once closed, and the minute's close-out."""

from __future__ import annotations

from django.db import connection

from aigcert.core.api import NotFound
from aigcert.delivery import services
from aigcert.delivery.data import AttemptData
from aigcert.delivery.models import Attempt, Response, Upload

__all__ = [
    "ATTEMPT_CLOSED",
    "AttemptData",
    "answers_raw",
    "attempt_get",
    "attempts_close_due",
    "attempts_of",
    "demo_exam_day_load",
    "demo_marked_session_load",
    "has_open_formal_attempt",
    "responses_get",
    "responses_raw",
    "session_attempt_rows",
    "upload_of",
]

ATTEMPT_CLOSED = services.ATTEMPT_CLOSED
attempts_close_due = services.attempts_close_due
has_open_formal_attempt = services.has_open_formal_attempt


def demo_exam_day_load(*, candidate, proctor, exam_admin) -> str | None:
    from aigcert.delivery.demo import demo_exam_day_load as load

    return load(candidate=candidate, proctor=proctor, exam_admin=exam_admin)


def demo_marked_session_load(*, candidates, exam_admin) -> str | None:
    from aigcert.delivery.demo import demo_marked_session_load as load

    return load(candidates=candidates, exam_admin=exam_admin)


def _data(attempt: Attempt) -> AttemptData:
    return AttemptData(
        pk=attempt.pk, code=str(attempt.code), candidate_id=attempt.candidate_id, program_code=attempt.program_code,
        kind=attempt.kind, number=attempt.number, paper_id=attempt.paper_id, session_code=attempt.session_code,
        state=attempt.state, started_at=attempt.started_at, deadline_at=attempt.deadline_at,
        closed_at=attempt.closed_at, closed_by_server=attempt.closed_by_server, order=attempt.order,
        answered_count=attempt.answered_count, answers_hash=attempt.answers_hash)


def attempt_get(code, *, candidate_id: int | None = None) -> AttemptData:
    """An attempt by code; with ``candidate_id``, only that candidate's (others look missing)."""
    attempts = Attempt.objects.filter(code=code)
    if candidate_id is not None:
        attempts = attempts.filter(candidate_id=candidate_id)
    attempt = attempts.first()
    if attempt is None:
        raise NotFound()
    return _data(attempt)


def attempts_of(candidate_id: int, *, program_code: str | None = None, kind: str | None = None) -> list[AttemptData]:
    attempts = Attempt.objects.filter(candidate_id=candidate_id)
    if program_code:
        attempts = attempts.filter(program_code=program_code)
    if kind:
        attempts = attempts.filter(kind=kind)
    return [_data(a) for a in attempts.order_by("started_at")]


def responses_get(attempt_pk: int) -> dict[str, tuple[object, bool]]:
    """slot → (value, flagged) of a closed or open attempt."""
    return {r.slot: (r.value, r.flagged) for r in Response.objects.filter(attempt_id=attempt_pk)}


def session_attempt_rows(session_code: str) -> list[tuple[int, str, int, int, str]]:
    """(pk, code, candidate id, paper id, state) of every formal attempt of a session, by pk: a batch reader's
    list, without building 100,000 AttemptData."""
    return [(pk, str(code), candidate, paper, state) for pk, code, candidate, paper, state in
            Attempt.objects.filter(session_code=session_code, kind=Attempt.Kind.FORMAL).order_by("pk")
            .values_list("pk", "code", "candidate_id", "paper_id", "state")]


def responses_raw(attempt_pks: list[int]) -> list[tuple[int, str, str | None]]:
    """(attempt pk, slot, the answer as stored JSON text) of many attempts. The text, not the value: a batch
    scorer memoizes by it and decodes only the few distinct answers of each slot."""
    if not attempt_pks:
        return []
    cast = "value::text" if connection.vendor == "postgresql" else "value"
    table = Response._meta.db_table
    marks = ", ".join(["%s"] * len(attempt_pks))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT attempt_id, slot, {cast} FROM {table} WHERE attempt_id IN ({marks})",  # noqa: S608
                       attempt_pks)
        return cursor.fetchall()


def answers_raw(attempt_pks: list[int]) -> dict[int, dict[str, str | None]]:
    """attempt pk → slot → the stored answer as JSON text (see responses_raw), for batch readers."""
    answers: dict[int, dict[str, str | None]] = {}
    for attempt_pk, slot, raw in responses_raw(attempt_pks):
        answers.setdefault(attempt_pk, {})[slot] = raw
    return answers


def upload_of(attempt_pk: int, slot: str) -> tuple[str, str, int, str] | None:
    """(storage name, file name, size, sha256) of the work handed in for a slot (the newest), or None."""
    upload = Upload.objects.filter(attempt_id=attempt_pk, slot=slot).order_by("-created_at").first()
    if upload is None:
        return None
    return upload.file.name, upload.name, upload.size, upload.sha256
