"""Races of the hot path on PostgreSQL, with real threads and connections: a save that arrives while a submit (or
a new page taking the attempt over) holds the attempt's row writes nothing once that commits — it waits for the
row (FOR SHARE in the upsert's guard) instead of reading a snapshot that still says "open"."""

import io
import threading
import time as clock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.core.api import audit_events
from aigcert.delivery import examday, services
from aigcert.delivery.models import Attempt, Response
from aigcert.delivery.tests.conftest import GENERAL, unlock
from aigcert.delivery.tests.drill_support import exam_bank_commit, formal_session
from aigcert.exam_fixtures import post_json
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and concurrent writers need PostgreSQL (SQLite serializes every writer)"),
    pytest.mark.django_db(transaction=True),
]


def _waiting_on_lock(pid: int) -> bool:
    # pg_locks, not pg_stat_activity: the latter is a snapshot frozen for the rest of the asking transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
        return cursor.fetchone() is not None


def _until_blocked(pid: dict, failure: str) -> None:
    """Wait (up to 10 s) until the other connection waits on a lock; ``failure`` says what did not wait."""
    deadline = clock.monotonic() + 10
    while not (pid.get("pid") and _waiting_on_lock(pid["pid"])) and clock.monotonic() < deadline:
        clock.sleep(0.02)
    assert pid.get("pid") and _waiting_on_lock(pid["pid"]), failure


def _on_own_connection(work):
    """A thread (not started) that runs ``work(pid)`` on a connection of its own: ``pid["pid"]`` is that
    connection's backend, ``outcome["result"]`` what ``work`` returned or raised."""
    outcome, pid = {}, {}

    def run():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid["pid"] = cursor.fetchone()[0]
            outcome["result"] = work(pid)
        except Exception as exc:  # a refusal or an error is the outcome under test
            outcome["result"] = exc
        finally:
            connection.close()

    return threading.Thread(target=run, daemon=True), outcome, pid


def _save_in_thread(attempt, device, entries):
    def save(pid):
        fresh = Attempt.objects.get(pk=attempt.pk)  # read while the attempt still looks open
        pid["read"] = True
        while not pid.get("go"):
            clock.sleep(0.01)
        return services.responses_save(attempt=fresh, device=device, entries=entries)

    thread, outcome, pid = _on_own_connection(save)
    thread.start()
    return thread, outcome, pid


@pytest.fixture
def open_attempt(make_user):
    # Not the module-wide `exam_bank`: its open transaction would hold the locks these threads must wait on.
    call_command("load_catalog", stdout=io.StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    exams.demo_blueprints_load(actor=make_user(Role.EXAM_ADMIN))
    candidate = unlock(make_user(Role.CANDIDATE))
    paper = exams.paper_for_mock(program_code=GENERAL, candidate_id=candidate.pk, attempt_number=1)
    attempt, _created = services.attempt_start(candidate=candidate, paper=paper, kind="mock", duration_minutes=60)
    device = services.attempt_claim_device(attempt)
    slot = next(s for s in attempt.order["slots"] if attempt.schema[s][0] == "single_choice")
    return attempt, device, slot, attempt.schema[slot][1][0]


def _race_against(attempt, device, entries, holder):
    """Start the save, let it read the open attempt, then run `holder` (which locks the row and changes it) and
    release the save while the holder's transaction is still open; commit once the save waits on the row."""
    thread, outcome, pid = _save_in_thread(attempt, device, entries)
    while not pid.get("read"):
        clock.sleep(0.01)
    with transaction.atomic():
        holder()
        pid["go"] = True
        _until_blocked(pid, "the save did not wait for the attempt's row")
    thread.join(timeout=20)
    return outcome["result"]


def test_a_save_racing_a_submit_writes_nothing_and_is_told_time_is_up(open_attempt):
    attempt, device, slot, value = open_attempt

    def submit():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        Attempt.objects.filter(pk=locked.pk).update(state=Attempt.State.SUBMITTED, device="")

    result = _race_against(attempt, device, [{"slot": slot, "value": value, "seq": 1}], submit)
    assert isinstance(result, services.TimeUp)
    assert not Response.objects.filter(attempt=attempt).exists()


def test_a_save_racing_a_takeover_writes_nothing_and_is_told_it_was_superseded(open_attempt):
    attempt, device, slot, value = open_attempt
    result = _race_against(attempt, device, [{"slot": slot, "value": value, "seq": 1}],
                           lambda: services.attempt_claim_device(Attempt.objects.get(pk=attempt.pk)))
    assert isinstance(result, services.Superseded)
    assert not Response.objects.filter(attempt=attempt).exists()


def test_two_starts_at_once_make_one_attempt_and_both_are_given_it(make_user):
    # Two tabs at the unlock: the second waits for the first's lock on the check-in, and whatever it counted
    # before the first committed, it ends with the first's attempt, not a second one or an error.
    exam_bank_commit(make_user)
    session = formal_session(make_user)
    code = str(session.code)
    user = make_user(Role.CANDIDATE)
    enrolment = apps.get_model("enrolment", "Enrolment").objects.create(
        candidate=user, program_code=GENERAL, state="booked")
    apps.get_model("enrolment", "Booking").objects.create(enrolment=enrolment, session=session,
                                                          status="confirmed", ticket_number="T000400001")
    examday.checkin_confirm(candidate=user, session_code=code, confirmed=True, ip="127.0.0.1", agent="pytest")
    thread, outcome, pid = _on_own_connection(
        lambda _pid: examday.formal_start(candidate_id=user.pk, session_code=code))  # the second tab
    with transaction.atomic():
        first, created = examday.formal_start(candidate_id=user.pk, session_code=code)
        thread.start()
        _until_blocked(pid, "the second start did not wait for the check-in")
    thread.join(timeout=20)
    second, created_again = outcome["result"]
    assert (created, created_again) == (True, False)
    assert second.pk == first.pk
    assert Attempt.objects.filter(candidate=user).count() == 1


def test_a_submit_waits_for_a_save_in_flight_and_its_receipt_counts_that_answer(open_attempt):
    # The submit's one read is its lock: behind a save that holds the attempt (FOR SHARE), it waits; the answers for
    # the receipt are read after that save committed, so the receipt and the hash include it.
    attempt, device, slot, value = open_attempt
    client = Client()
    client.force_login(attempt.candidate)
    thread, outcome, pid = _on_own_connection(lambda _pid: post_json(
        client, f"/exam/{attempt.code}/submit/", {"key": "k1", "device": device, "responses": []}))
    with transaction.atomic():
        services.responses_save(attempt=Attempt.objects.get(pk=attempt.pk), device=device,
                                entries=[{"slot": slot, "value": value, "seq": 1}])
        thread.start()
        _until_blocked(pid, "the submit did not wait for the save")
    thread.join(timeout=20)
    reply = outcome["result"]
    assert reply.status_code == 200, reply.content
    attempt.refresh_from_db()
    assert (reply.json()["state"], reply.json()["answered"], attempt.answered_count) == ("submitted", 1, 1)
    assert reply.json()["hash"] == attempt.answers_hash[:12]
    assert Response.objects.get(attempt=attempt, slot=slot).value == value


def test_two_submits_at_once_close_once_and_both_show_the_same_receipt(open_attempt):
    attempt, device, slot, value = open_attempt
    services.responses_save(attempt=attempt, device=device, entries=[{"slot": slot, "value": value, "seq": 1}])
    client = Client()
    client.force_login(attempt.candidate)
    body = {"key": "tab-2", "device": device, "responses": []}
    thread, outcome, pid = _on_own_connection(
        lambda _pid: post_json(client, f"/exam/{attempt.code}/submit/", body))
    with transaction.atomic():
        Attempt.objects.select_for_update().get(pk=attempt.pk)  # the first tab's submit, caught holding the row
        thread.start()
        _until_blocked(pid, "the second submit did not wait for the first")
        first, closed_now = services.attempt_submit(attempt=Attempt.objects.get(pk=attempt.pk), key="tab-1",
                                                    device=device)
    thread.join(timeout=20)
    second = outcome["result"]
    assert closed_now and second.status_code == 200, second.content
    assert (second.json()["state"], second.json()["answered"]) == ("submitted", 1)
    assert second.json()["hash"] == first.answers_hash[:12]
    attempt.refresh_from_db()
    assert attempt.submit_key == "tab-1"
    assert len(audit_events(action="delivery.attempt_close", target=attempt)) == 1
