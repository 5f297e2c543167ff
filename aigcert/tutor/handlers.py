"""The tutor hears through the outbox when a lesson changes (learning sits below and doesn't know the tutor)."""

from __future__ import annotations

from django.db import transaction

from aigcert.core.api import outbox_subscribe
from aigcert.learning import api as learning


def on_lesson_changed(payload: dict) -> None:
    from aigcert.tutor.tasks import lesson_reindex_task

    program, lesson = payload["program"], payload["lesson"]
    transaction.on_commit(lambda: lesson_reindex_task.enqueue(program_code=program, lesson_code=lesson))


def register() -> None:
    outbox_subscribe(learning.LESSON_CHANGED, on_lesson_changed)
