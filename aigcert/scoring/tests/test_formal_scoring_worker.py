"""Scoring as the worker runs it on PostgreSQL, outside any transaction: the next chunk's answers are read on a
second connection while the current chunk is scored. The scores must be those of the one-connection path."""

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from aigcert.accounts.api import Role
from aigcert.exam_fixtures import GENERAL, option_choice, seat_make, session_make, sit_formal
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.scoring import formal, rules
from aigcert.scoring.models import AttemptScore, SessionScoring
from aigcert.scoring.tests.conftest import points_the_slow_way


@pytest.mark.django_db(transaction=True)
def test_the_worker_reads_ahead_on_a_second_connection_and_scores_the_same(make_user, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("reading ahead on a second connection is the PostgreSQL worker's path")
    call_command("load_catalog", stdout=io.StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    admin = make_user(Role.EXAM_ADMIN)
    exams.demo_blueprints_load(actor=admin)
    session = session_make(program_code=GENERAL, admin=admin, start_in=-timedelta(minutes=2), capacity=10)
    attempts = [sit_formal(session, seat_make(session, make_user(Role.CANDIDATE)), admin=admin,
                           answer=lambda item, index=index: option_choice(item, index))
                for index in (0, -1, 1)]
    reads = []
    original = formal._answers_by_attempt

    def counted(pks):
        reads.append((tuple(pks), threading.current_thread().name))
        return original(pks)

    monkeypatch.setattr(formal, "CHUNK", 1)  # three chunks: two are read ahead
    monkeypatch.setattr(formal, "_answers_by_attempt", counted)
    assert not connection.in_atomic_block
    SessionScoring.objects.create(session_code=str(session.code), program_code=GENERAL, attempts_total=3)
    scoring = formal.session_score(session_code=str(session.code))
    assert scoring.state == "done" and scoring.attempts_scored == 3
    assert [r[0] for r in reads] == [(a.pk,) for a in attempts]
    assert all(name.startswith("scoring-read") for _pks, name in reads)  # read on the second connection
    for attempt in attempts:
        expected = sum(points_the_slow_way(attempt).values(), rules.ZERO)
        assert AttemptScore.objects.get(attempt_id=attempt.pk).objective_points == expected
