"""Tutor test helpers: the shipped catalog, the demo item bank and blueprints, the demo course and the tutor's index,
loaded once per module; the exam fixtures for the lock during formal exams."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction

from aigcert.accounts.api import Role
from aigcert.conftest import SHIPPED_CATALOG, UserFactory
from aigcert.exam_fixtures import (
    GENERAL,
    _media,
    catalog,
    exam_bank,
    examinee,
    examinee_client,
    formal_day,
    sitting,
)
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.learning import api as learning
from aigcert.tutor import api as tutor


@pytest.fixture(scope="module")
def _exam_bank_once(django_db_setup, django_db_blocker):
    """Overrides exam_fixtures': the course text and the tutor's index too, in the same rolled-back transaction."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", str(SHIPPED_CATALOG), stdout=io.StringIO())
        itembank.demo_bank_load(author=UserFactory(roles=[Role.ITEM_AUTHOR]),
                                reviewer=UserFactory(roles=[Role.ITEM_REVIEWER]))
        exams.demo_blueprints_load(actor=UserFactory(roles=[Role.EXAM_ADMIN]))
        learning.demo_lessons_load()
        tutor.demo_index_build()
        yield
        transaction.set_rollback(True)


def ask(client, text, *, program=GENERAL, lesson="", stream=False, **fields):
    headers = {"HTTP_ACCEPT": "text/event-stream"} if stream else {}
    return client.post("/tutor/ask/", {"text": text, "program": program, "lesson": lesson, **fields}, **headers)


def sse_events(response) -> list[tuple[str, dict]]:
    """The events of a streamed answer, as the page's script reads them."""
    body = b"".join(response.streaming_content).decode()
    events = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        name = next(line[7:] for line in block.splitlines() if line.startswith("event: "))
        data = "".join(line[6:] for line in block.splitlines() if line.startswith("data: "))
        events.append((name, json.loads(data)))
    return events
