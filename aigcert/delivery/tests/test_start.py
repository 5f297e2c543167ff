"""Starting a mock exam: who may, what a start makes, and that a second start (or a race) finds the same attempt.
The player page: the candidate's order, and each load taking the attempt over as the device that may save."""

import re
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from aigcert.accounts.api import Role
from aigcert.core.api import audit_events, now
from aigcert.delivery import rules, services
from aigcert.delivery.models import Attempt
from aigcert.delivery.tests.conftest import GENERAL, START, config_of, english, post_json, unlock, valid_value
from aigcert.exams import api as exams


def _papers() -> int:
    return apps.get_model("exams", "Paper").objects.count()


def _player(attempt) -> str:
    return reverse("delivery:player", args=[attempt.code])


# -- who may start -------------------------------------------------------------------------------------------

def test_a_visitor_is_sent_to_log_in(client, exam_bank):
    response = client.post(START)
    assert response.status_code == 302
    assert response["Location"] == f"{resolve_url('accounts:login')}?next={START}"
    assert Attempt.objects.count() == 0


@pytest.mark.parametrize("state", [None, "registered", "withdrawn"])
def test_without_a_paid_deposit_there_is_no_mock_exam(client, exam_bank, make_user, state):
    candidate = make_user(Role.CANDIDATE)
    if state:
        apps.get_model("enrolment", "Enrolment").objects.create(candidate=candidate, program_code=GENERAL, state=state)
    client.force_login(candidate)
    papers = _papers()
    assert client.post(START).status_code == 404
    assert Attempt.objects.count() == 0
    assert _papers() == papers


def test_only_the_unlocked_program_opens(examinee_client):
    assert examinee_client.post("/exam/mock/aigc-professional/start/").status_code == 404
    assert Attempt.objects.count() == 0


def test_unknown_programs_and_programs_without_an_exam_are_not_found(examinee_client, examinee):
    unlock(examinee, "aigc-expert")  # announced, no exam policy yet
    assert examinee_client.post("/exam/mock/aigc-expert/start/").status_code == 404
    assert examinee_client.post("/exam/mock/no-such-program/start/").status_code == 404
    assert Attempt.objects.count() == 0


def test_a_program_without_a_mock_blueprint_says_so(examinee_client, examinee):
    unlock(examinee, "aigc-mentor")  # has an exam policy; the demo sets up no mock for it
    papers = _papers()
    response = english(examinee_client).post("/exam/mock/aigc-mentor/start/")
    assert response.status_code == 409
    assert next(t.name for t in response.templates) == "delivery/unavailable.html"
    assert response.context["reason"] == "No mock exam is set up for this program yet."
    assert "No mock exam is set up for this program yet." in response.content.decode()
    assert Attempt.objects.count() == 0
    assert _papers() == papers


def test_start_is_a_post(examinee_client):
    assert examinee_client.get(START).status_code == 405
    assert Attempt.objects.count() == 0


# -- what a start makes --------------------------------------------------------------------------------------

def test_a_start_freezes_a_paper_and_opens_an_attempt_on_it(examinee_client, examinee):
    papers = _papers()
    response = examinee_client.post(START)
    attempt = Attempt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _player(attempt)
    assert (attempt.candidate_id, attempt.program_code, attempt.kind, attempt.number, attempt.state,
            attempt.session_code, attempt.closed_at, attempt.closed_by_server, attempt.answered_count,
            attempt.answers_hash, attempt.submit_key) == (examinee.pk, GENERAL, "mock", 1, "open", "", None, False,
                                                          0, "", "")
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=60)  # 通用级: 60 minutes
    assert _papers() == papers + 1
    paper = exams.paper_get(attempt.paper_id)
    assert (paper.program_code, paper.mode, len(paper.items), paper.total_points) == (GENERAL, "mock", 100, 100)
    items = list(paper.items)
    assert attempt.schema == rules.response_schema(items)
    assert attempt.order == rules.presentation_order(items, seed=attempt.seed, shuffle_items=paper.shuffle_items,
                                                     shuffle_options=paper.shuffle_options)
    [event] = audit_events(action="delivery.attempt_start")
    assert (event.actor_id, event.target_id) == (examinee.pk, str(attempt.pk))
    assert event.data == {"kind": "mock", "program": GENERAL, "paper": paper.code, "seed": attempt.seed,
                          "deadline": attempt.deadline_at.isoformat()}


def test_a_second_start_finds_the_open_attempt(examinee_client):
    first = examinee_client.post(START)
    papers = _papers()
    second = examinee_client.post(START)
    attempt = Attempt.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == _player(attempt)
    assert _papers() == papers  # no paper frozen for nothing
    assert len(audit_events(action="delivery.attempt_start")) == 1


def test_the_service_returns_the_open_attempt_on_a_second_start(examinee):
    paper = exams.paper_for_mock(program_code=GENERAL, candidate_id=examinee.pk, attempt_number=1)
    first, created = services.attempt_start(candidate=examinee, paper=paper, kind="mock", duration_minutes=60)
    again, created_again = services.attempt_start(candidate=examinee, paper=paper, kind="mock", duration_minutes=60)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Attempt.objects.count() == 1


def test_two_starts_racing_end_on_one_attempt(examinee, monkeypatch):
    """The second request looked before the first one wrote: the unique constraint stops it, and it returns the
    winner's attempt."""
    paper = exams.paper_for_mock(program_code=GENERAL, candidate_id=examinee.pk, attempt_number=1)
    winner, _created = services.attempt_start(candidate=examinee, paper=paper, kind="mock", duration_minutes=60)
    real_filter = Attempt.objects.filter
    blind = {"lookups": 1}

    def filter_that_misses_the_open_attempt(*args, **kwargs):
        found = real_filter(*args, **kwargs)
        if kwargs.get("state") == Attempt.State.OPEN and blind["lookups"]:
            blind["lookups"] -= 1
            return found.none()
        return found

    monkeypatch.setattr(Attempt.objects, "filter", filter_that_misses_the_open_attempt)
    loser, created = services.attempt_start(candidate=examinee, paper=paper, kind="mock", duration_minutes=60)
    assert blind["lookups"] == 0  # the race really happened
    assert (loser.pk, created) == (winner.pk, False)
    assert Attempt.objects.count() == 1
    assert len(audit_events(action="delivery.attempt_start")) == 1


def test_one_open_attempt_per_candidate_program_and_kind(examinee):
    paper = exams.paper_for_mock(program_code=GENERAL, candidate_id=examinee.pk, attempt_number=1)
    first, _created = services.attempt_start(candidate=examinee, paper=paper, kind="mock", duration_minutes=60)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(candidate=examinee, program_code=GENERAL, kind="mock", paper_id=paper.pk, seed=1,
                               order={}, schema={}, started_at=now(), deadline_at=now())
    formal, created = services.attempt_start(candidate=examinee, paper=paper, kind="formal", duration_minutes=60)
    assert created and formal.pk != first.pk
    services.attempt_submit(attempt=first, key="done")
    second, created = services.attempt_start(candidate=examinee, paper=paper, kind="mock", duration_minutes=60)
    assert created
    assert (second.pk != first.pk, second.number, second.state) == (True, 2, "open")


def test_the_next_mock_after_a_submitted_one_is_number_two_on_a_new_paper(examinee_client):
    examinee_client.post(START)
    first = Attempt.objects.get()
    services.attempt_submit(attempt=first, key="k")
    response = examinee_client.post(START)
    second = Attempt.objects.exclude(pk=first.pk).get()
    assert response["Location"] == _player(second)
    assert (second.number, second.state) == (2, "open")
    assert second.paper_id != first.paper_id  # per-candidate papers: a fresh draw each time


# -- the player ----------------------------------------------------------------------------------------------

def test_the_player_shows_the_paper_in_the_candidates_order(examinee_client, open_mock):
    attempt, _config = open_mock
    page = examinee_client.get(_player(attempt))
    html = page.content.decode()
    assert re.findall(r'<section class="player-item" id="item-(q\d+)"', html) == attempt.order["slots"]
    for slot, option_ids in attempt.order["options"].items():
        section = html.split(f'id="item-{slot}"')[1].split("</section>")[0]
        assert re.findall(rf'name="r-{slot}" value="([^"]+)"', section) == option_ids
        # Letters follow the candidate's order, not the paper's.
        assert re.findall(r'<span class="option-label">([A-Z])\.</span>', section) == [
            chr(ord("A") + i) for i in range(len(option_ids))]
    assert html.count('class="nav-item"') == 100


def test_the_player_config(examinee_client, open_mock):
    attempt, config = open_mock
    attempt.refresh_from_db()
    code = str(attempt.code)
    assert set(config) == {"code", "device", "layout", "deadline", "serverNow", "seqBase", "saved", "saveUrl",
                           "submitUrl", "uploadUrl", "doneUrl", "loginUrl", "csrf", "strings", "formal", "paused",
                           "stateUrl", "integrityUrl", "warnings"}
    assert (config["formal"], config["paused"], config["warnings"]) == (False, False, [])
    assert config["loginUrl"] == f"/accounts/login/?next=/exam/{code}/"
    assert (config["code"], config["device"], config["layout"], config["seqBase"], config["saved"]) == (
        code, attempt.device, "one_per_page", 1, {})
    assert config["deadline"] == int(attempt.deadline_at.timestamp() * 1000)
    assert (config["saveUrl"], config["submitUrl"], config["uploadUrl"], config["doneUrl"]) == (
        f"/exam/{code}/save/", f"/exam/{code}/submit/", f"/exam/{code}/upload/", f"/exam/{code}/done/")
    assert len(config["device"]) == 32


def test_each_load_takes_the_attempt_over_and_the_old_device_is_told(examinee_client, open_mock):
    attempt, old = open_mock
    new = config_of(examinee_client.get(_player(attempt)))
    attempt.refresh_from_db()
    assert new["device"] != old["device"]
    assert attempt.device == new["device"]
    slot = attempt.order["slots"][0]
    entry = {"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 5}
    refused = post_json(english(examinee_client), old["saveUrl"], {"device": old["device"], "responses": [entry]})
    assert refused.status_code == 409
    assert refused.json() == {"error": "superseded", "message": (
        "This exam is now open in another window or on another device. Continue there, or reload this page to "
        "continue here.")}
    assert attempt.responses.count() == 0
    accepted = post_json(examinee_client, new["saveUrl"], {"device": new["device"], "responses": [entry]})
    assert accepted.status_code == 200
    assert accepted.json()["saved"] == {slot: 5}


def test_resume_brings_back_every_saved_answer_and_the_same_deadline(examinee_client, open_mock):
    attempt, config = open_mock
    first, second, third = attempt.order["slots"][:3]
    entries = [{"slot": first, "value": valid_value(attempt.schema[first]), "seq": 3, "flagged": True},
               {"slot": second, "value": None, "seq": 8, "flagged": True},
               {"slot": third, "value": valid_value(attempt.schema[third]), "seq": 4}]
    assert post_json(examinee_client, config["saveUrl"],
                     {"device": config["device"], "responses": entries}).status_code == 200
    again = config_of(examinee_client.get(_player(attempt)))
    assert again["saved"] == {
        first: {"value": valid_value(attempt.schema[first]), "flagged": True, "seq": 3},
        second: {"value": None, "flagged": True, "seq": 8},
        third: {"value": valid_value(attempt.schema[third]), "flagged": False, "seq": 4},
    }
    assert again["seqBase"] == 9
    assert again["deadline"] == config["deadline"]


def test_someone_elses_attempt_is_not_found(open_mock, exam_bank, make_user):
    attempt, config = open_mock
    other = Client()
    other.force_login(unlock(make_user(Role.CANDIDATE)))
    for url in (_player(attempt), config["doneUrl"]):
        assert other.get(url).status_code == 404
    assert other.get(f"/exam/{uuid.uuid4()}/").status_code == 404
    attempt.refresh_from_db()
    assert attempt.device == config["device"]  # the stranger's visit took nothing over


def test_the_done_page_of_an_open_attempt_goes_back_to_the_player(examinee_client, open_mock):
    attempt, config = open_mock
    response = examinee_client.get(config["doneUrl"])
    assert response.status_code == 302
    assert response["Location"] == _player(attempt)
