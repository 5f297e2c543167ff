"""Results listens for marked sessions, key corrections and resolved re-checks (through the outbox)."""

from __future__ import annotations

from django.db import transaction

from aigcert.core.api import outbox_subscribe
from aigcert.marking import api as marking
from aigcert.scoring import api as scoring


def on_session_ready(payload: dict) -> None:
    from aigcert.results.tasks import session_results_compute_task

    code = payload["session"]
    transaction.on_commit(lambda: session_results_compute_task.enqueue(session_code=code))


def on_recheck_resolved(payload: dict) -> None:
    from aigcert.results import services

    services.on_recheck_resolved(payload)


def register() -> None:
    # Scored: the session's results row appears (waiting for marking, or computed at once when nothing is marked).
    outbox_subscribe(scoring.SESSION_SCORED, on_session_ready)
    outbox_subscribe(marking.SESSION_MARKED, on_session_ready)
    outbox_subscribe(scoring.SESSION_RESCORED, on_session_ready)
    outbox_subscribe(marking.RECHECK_RESOLVED, on_recheck_resolved)
