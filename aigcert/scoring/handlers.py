"""Scoring listens for closed attempts (through the outbox; delivery does not know scoring exists)."""

from __future__ import annotations

from django.db import transaction

from aigcert.core.api import outbox_subscribe
from aigcert.delivery import api as delivery
from aigcert.learning import api as learning


def _is_mock(payload: dict) -> bool:
    # Mocks are scored at once for the candidate; formal sessions are scored as a batch after the session (#7).
    return payload.get("kind") == "mock"


def on_attempt_closed(payload: dict) -> None:
    if not _is_mock(payload):
        return
    from aigcert.scoring import services
    from aigcert.scoring.tasks import attempt_score_task

    code = payload["attempt"]
    # The pending row commits with the close, so a task lost after commit is found and queued again by the tick.
    services.score_pending_record(attempt_code=code)
    transaction.on_commit(lambda: attempt_score_task.enqueue(attempt_code=code))


def on_practice_answered(payload: dict) -> None:
    from aigcert.scoring import services

    services.notebook_practice_record(candidate_id=payload["candidate"], program_code=payload["program"],
                                      version_id=payload["version"], area_code=payload.get("area", ""),
                                      value=payload.get("value"), right=bool(payload["right"]))


def register() -> None:
    outbox_subscribe(delivery.ATTEMPT_CLOSED, on_attempt_closed, wants=_is_mock)
    outbox_subscribe(learning.PRACTICE_ANSWERED, on_practice_answered)
