"""Marking listens for sessions whose answers are ready for people (through the outbox; scoring does not know
marking exists). Marking starts before the judge has run every program: the markers never wait for it."""

from __future__ import annotations

from django.db import transaction

from aigcert.core.api import outbox_subscribe
from aigcert.scoring import api as scoring


def on_session_ready(payload: dict) -> None:
    from aigcert.marking.tasks import session_scripts_create_task

    code = payload["session"]
    # Making thousands of scripts is a batch for the worker, after the scoring commits.
    transaction.on_commit(lambda: session_scripts_create_task.enqueue(session_code=code))


def register() -> None:
    outbox_subscribe(scoring.SESSION_READY_FOR_MARKING, on_session_ready)
