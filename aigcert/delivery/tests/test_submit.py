"""Submit (idempotent by key, carrying the last answers) and the server's own close at the deadline: one close,
one audit event, one outbox event, whatever happens after."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from aigcert.accounts.api import Role
from aigcert.core.api import audit_events, now
from aigcert.delivery import rules, services
from aigcert.delivery.api import ATTEMPT_CLOSED, attempts_close_due
from aigcert.delivery.models import Attempt
from aigcert.delivery.tests.conftest import EN, GENERAL, english, post_json, responses_table, unlock, valid_value
from aigcert.exams import api as exams


def _closed_events(attempt=None) -> list[dict]:
    events = apps.get_model("core", "OutboxEvent").objects.filter(topic=ATTEMPT_CLOSED).order_by("pk")
    payloads = [e.payload for e in events]
    return [p for p in payloads if attempt is None or p["attempt"] == str(attempt.code)]


def _entries(attempt, count, *, seq_from=1):
    return [{"slot": s, "value": valid_value(attempt.schema[s]), "seq": n}
            for n, s in enumerate(attempt.order["slots"][:count], start=seq_from)]


def _receipt(attempt, state):
    attempt.refresh_from_db()
    return {"state": state, "redirect": f"/exam/{attempt.code}/done/", "answered": attempt.answered_count,
            "hash": attempt.answers_hash[:12]}


def test_submit_closes_once_and_every_later_submit_gets_the_same_receipt(examinee_client, open_mock, examinee):
    attempt, config = open_mock
    entries = _entries(attempt, 3)
    post_json(examinee_client, config["saveUrl"], {"device": config["device"], "responses": entries})
    first = post_json(examinee_client, config["submitUrl"], {"key": "key-1", "device": config["device"]})
    assert first.status_code == 200
    receipt = _receipt(attempt, "submitted")
    values = {e["slot"]: e["value"] for e in entries}
    assert attempt.answers_hash == rules.answers_hash(values)
    assert first.json() == receipt
    assert receipt["answered"] == 3
    closed_at = attempt.closed_at
    # Same key (a retry), another key (another tab), no body at all, and after the minute's close-out.
    assert post_json(examinee_client, config["submitUrl"], {"key": "key-1"}).json() == receipt
    assert post_json(examinee_client, config["submitUrl"], {"key": "key-2", "device": "elsewhere"}).json() == receipt
    assert post_json(examinee_client, config["submitUrl"], "").json() == receipt
    assert attempts_close_due() == 0
    assert post_json(examinee_client, config["submitUrl"], {"key": "key-3"}).json() == receipt
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_at, attempt.closed_by_server, attempt.submit_key, attempt.device) == (
        "submitted", closed_at, False, "key-1", "")
    [event] = audit_events(action="delivery.attempt_close")
    assert (event.actor_id, event.target_id) == (examinee.pk, str(attempt.pk))
    assert event.data == {"by_server": False, "state": "submitted", "answered": 3, "hash": attempt.answers_hash}
    assert _closed_events() == [{"attempt": str(attempt.code), "kind": "mock", "program": GENERAL,
                                 "by_server": False, "state": "submitted", "session": ""}]


def test_submit_carries_the_answers_not_yet_saved(examinee_client, open_mock):
    attempt, config = open_mock
    saved, pending = _entries(attempt, 2), _entries(attempt, 5, seq_from=10)[2:]
    post_json(examinee_client, config["saveUrl"], {"device": config["device"], "responses": saved})
    response = post_json(examinee_client, config["submitUrl"],
                         {"key": "k", "device": config["device"], "responses": pending})
    assert response.status_code == 200
    assert response.json() == _receipt(attempt, "submitted")
    assert {r.slot: (r.value, r.seq) for r in attempt.responses.all()} == {
        e["slot"]: (e["value"], e["seq"]) for e in saved + pending}
    assert attempt.answered_count == 5
    assert attempt.answers_hash == rules.answers_hash({e["slot"]: e["value"] for e in saved + pending})


def test_a_superseded_tab_may_not_submit_under_the_tab_that_took_over(examinee_client, open_mock):
    # The current tab may hold answers not saved yet; only its own submit brings them in.
    attempt, old = open_mock
    examinee_client.get(reverse("delivery:player", args=[attempt.code]))  # another tab took over
    response = post_json(english(examinee_client), old["submitUrl"],
                         {"key": "k", "device": old["device"], "responses": _entries(attempt, 2)})
    assert response.status_code == 409
    assert response.json() == {"error": "superseded", "message": EN["superseded"]}
    assert responses_table() == []
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_at) == ("open", None)
    assert audit_events(action="delivery.attempt_close") == []


def test_a_bad_answer_in_a_submit_is_refused_and_the_attempt_stays_open(examinee_client, open_mock):
    attempt, config = open_mock
    good = _entries(attempt, 2)
    response = post_json(english(examinee_client), config["submitUrl"],
                         {"key": "k", "device": config["device"],
                          "responses": [*good, {"slot": "q404", "value": "A", "seq": 9}]})
    assert response.status_code == 400
    assert response.json() == {"error": "not_on_paper", "message": EN["not_on_paper"], "slot": "q404"}
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_at) == ("open", None)
    assert responses_table() == []
    assert audit_events(action="delivery.attempt_close") == []
    assert _closed_events() == []


@pytest.mark.parametrize("body", ["{", "[]", {"key": "k", "responses": [{"slot": "q1", "value": "A"}]}],
                         ids=["broken-json", "a-list", "entry-without-seq"])
def test_a_malformed_submit_is_refused_and_the_attempt_stays_open(examinee_client, open_mock, body):
    attempt, config = open_mock
    response = post_json(english(examinee_client), config["submitUrl"], body)
    assert response.status_code == 400
    assert response.json() == {"error": "malformed", "message": EN["malformed"]}
    attempt.refresh_from_db()
    assert attempt.state == "open"


def test_a_submit_after_the_grace_closes_as_the_server_would_and_takes_no_late_answers(examinee_client, open_mock,
                                                                                      settings):
    attempt, config = open_mock
    saved = _entries(attempt, 1)
    post_json(examinee_client, config["saveUrl"], {"device": config["device"], "responses": saved})
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline_at=now() - timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS + 5))
    late = _entries(attempt, 4, seq_from=10)[1:]
    response = post_json(examinee_client, config["submitUrl"],
                         {"key": "k", "device": config["device"], "responses": late})
    assert response.status_code == 200
    assert response.json() == _receipt(attempt, "expired")
    assert attempt.closed_by_server is True
    assert attempt.answered_count == 1
    assert [r.slot for r in attempt.responses.all()] == [saved[0]["slot"]]
    assert _closed_events(attempt)[0]["by_server"] is True


def test_someone_elses_submit_is_not_found(open_mock, make_user):
    attempt, config = open_mock
    stranger = english(Client())
    stranger.force_login(unlock(make_user(Role.CANDIDATE)))
    response = post_json(stranger, config["submitUrl"], {"key": "k"})
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": EN["not_found"]}
    attempt.refresh_from_db()
    assert attempt.state == "open"


@pytest.mark.parametrize("endpoint", ["submitUrl", "uploadUrl"])
def test_a_visitor_whose_login_ended_is_told_so_on_submit_and_upload(open_mock, endpoint):
    _attempt, config = open_mock
    response = english(Client()).post(config[endpoint], {})
    assert response.status_code == 401
    assert response.json() == {"error": "login", "message": EN["login"]}


# -- the server's close at the deadline ----------------------------------------------------------------------

def test_the_close_out_closes_only_attempts_past_their_grace(exam_bank, make_user, settings):
    settings.EXAM_SAVE_GRACE_SECONDS = 60
    paper = exams.paper_for_mock(program_code=GENERAL, candidate_id=1, attempt_number=1)

    def attempt(deadline_in, answers=0, submit=False):
        started, _created = services.attempt_start(candidate=make_user(Role.CANDIDATE), paper=paper, kind="mock",
                                                   duration_minutes=60)
        device = services.attempt_claim_device(started)
        entries = _entries(started, answers)
        if entries:
            entries[-1]["value"] = None  # one cleared: saved, but no answer
            services.responses_save(attempt=started, device=device, entries=entries)
        if submit:
            services.attempt_submit(attempt=started, key="k")
        Attempt.objects.filter(pk=started.pk).update(deadline_at=now() + deadline_in)
        started.refresh_from_db()
        return started, entries

    due, entries = attempt(timedelta(seconds=-600), answers=3)
    in_grace, _entries_in_grace = attempt(timedelta(seconds=-30), answers=1)
    running, _entries_running = attempt(timedelta(minutes=30))
    submitted, _entries_submitted = attempt(timedelta(seconds=-900), submit=True)
    closes_before = len(audit_events(action="delivery.attempt_close"))

    assert attempts_close_due() == 1

    due.refresh_from_db()
    assert (due.state, due.closed_by_server, due.answered_count, due.device, due.submit_key) == (
        "expired", True, 2, "", "")
    assert due.closed_at is not None
    assert due.answers_hash == rules.answers_hash({e["slot"]: e["value"] for e in entries})
    for still_open in (in_grace, running):
        still_open.refresh_from_db()
        assert (still_open.state, still_open.closed_at) == ("open", None)
    submitted.refresh_from_db()
    assert (submitted.state, submitted.closed_by_server) == ("submitted", False)
    closes = audit_events(action="delivery.attempt_close")
    assert len(closes) == closes_before + 1
    assert (closes[0].actor_id, closes[0].target_id, closes[0].data) == (
        None, str(due.pk), {"by_server": True, "state": "expired", "answered": 2, "hash": due.answers_hash})
    assert _closed_events(due) == [{"attempt": str(due.code), "kind": "mock", "program": GENERAL, "by_server": True,
                                    "state": "expired", "session": ""}]
    assert _closed_events(in_grace) == _closed_events(running) == []
    # Run again (the next minute): nothing more to do, nothing published twice.
    assert attempts_close_due() == 0
    assert len(_closed_events(due)) == 1


def test_the_close_out_works_through_every_due_attempt_in_batches(exam_bank, make_user):
    """A whole session ends in the same minute: one tick closes all of it, however small its batches."""
    paper = exams.paper_for_mock(program_code=GENERAL, candidate_id=1, attempt_number=1)
    for _ in range(5):
        started, _created = services.attempt_start(candidate=make_user(Role.CANDIDATE), paper=paper, kind="mock",
                                                   duration_minutes=60)
        Attempt.objects.filter(pk=started.pk).update(deadline_at=now() - timedelta(hours=1))
    assert attempts_close_due(batch=2) == 5
    assert Attempt.objects.filter(state="open").count() == 0
    assert attempts_close_due(batch=2) == 0


def test_the_player_of_an_expired_attempt_closes_it_and_goes_to_the_result(examinee_client, open_mock, settings):
    attempt, config = open_mock
    saved = _entries(attempt, 2)
    post_json(examinee_client, config["saveUrl"], {"device": config["device"], "responses": saved})
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline_at=now() - timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS + 5))
    player = examinee_client.get(reverse("delivery:player", args=[attempt.code]))
    assert player.status_code == 302
    assert player["Location"] == config["doneUrl"]
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_by_server, attempt.answered_count) == ("expired", True, 2)
    done = examinee_client.get(config["doneUrl"])
    assert done.status_code == 302
    assert done["Location"] == f"/me/mocks/{attempt.code}/"  # a mock's receipt is its result page
    assert len(_closed_events(attempt)) == 1
    # Looking again changes nothing.
    assert examinee_client.get(reverse("delivery:player", args=[attempt.code]))["Location"] == config["doneUrl"]
    assert len(_closed_events(attempt)) == 1


def test_a_formal_attempt_ends_on_the_receipt_page(examinee_client, examinee):
    paper = exams.paper_for_mock(program_code=GENERAL, candidate_id=examinee.pk, attempt_number=1)
    attempt, _created = services.attempt_start(candidate=examinee, paper=paper, kind="formal", duration_minutes=60)
    device = services.attempt_claim_device(attempt)
    services.responses_save(attempt=attempt, device=device, entries=_entries(attempt, 4))
    services.attempt_submit(attempt=attempt, key="k")
    attempt.refresh_from_db()
    page = english(examinee_client).get(reverse("delivery:done", args=[attempt.code]))
    assert page.status_code == 200
    assert next(t.name for t in page.templates) == "delivery/done.html"
    html = page.content.decode()
    assert "4 / 100" in html
    assert f"<code>{attempt.answers_hash[:12]}</code>" in html


def test_a_submit_is_not_held_to_the_autosave_size_limit(examinee_client, open_mock, settings):
    # After a long offline stretch the submit carries everything still queued; refusing it would leave those
    # answers on the device while the server closes the exam without them.
    attempt, config = open_mock
    settings.EXAM_AUTOSAVE_MAX_BYTES = 300
    entries = _entries(attempt, 8)
    body = {"key": "big", "device": config["device"], "responses": entries}
    assert post_json(examinee_client, config["saveUrl"], body).status_code == 413
    submitted = post_json(examinee_client, config["submitUrl"], body)
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    assert {row[1] for row in responses_table() if row[0] == attempt.pk} == {e["slot"] for e in entries}
