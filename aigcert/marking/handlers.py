"""Marking listens for scored sessions (through the outbox; scoring does not know marking exists)."""

from __future__ import annotations

from django.db import transaction

from aigcert.core.api import outbox_subscribe
from aigcert.scoring import api as scoring


def on_session_scored(payload: dict) -> None:
    from aigcert.marking.tasks import session_scripts_create_task

    code = payload["session"]
    # Making thousands of scripts is a batch for the worker, after the scoring commits.
    transaction.on_commit(lambda: session_scripts_create_task.enqueue(session_code=code))


def register() -> None:
    outbox_subscribe(scoring.SESSION_SCORED, on_session_scored)
