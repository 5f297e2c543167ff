"""Scoring fixtures: candidates whose program is unlocked, on top of the root `exam_bank` (catalog, demo bank
and demo blueprints, loaded once per module). Enrolment rows are made through the app registry: their model is
not ours to import, and paying a deposit is enrolment's own tested journey."""

import json
import re

import pytest
from django.apps import apps

from aigcert.accounts.api import Role
from aigcert.exam_fixtures import _exam_bank_once, exam_bank
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank

GENERAL = "aigc-general"


def unlock(user, program_code=GENERAL):
    apps.get_model("enrolment", "Enrolment").objects.create(candidate=user, program_code=program_code,
                                                            state="deposit_paid")
    return user


@pytest.fixture
def catalog(exam_bank):
    """Overrides the root fixture: the module's catalog is already loaded."""


@pytest.fixture
def examinee(exam_bank, make_user):
    """A candidate who paid the deposit of 通用级: mock exams are open to them."""
    return unlock(make_user(Role.CANDIDATE))


@pytest.fixture
def examinee_client(client, examinee):
    client.force_login(examinee)
    return client


# -- taking a mock exam the way the browser does (the player's endpoints) -------------------------------------

def config_of(page) -> dict:
    found = re.search(r'<script id="exam-config" type="application/json">(.*?)</script>', page.content.decode(), re.S)
    assert found, "the player page has no exam-config"
    return json.loads(found.group(1))


def post_json(client, url: str, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def attempt_row(code):
    return apps.get_model("delivery", "Attempt").objects.get(code=code)


def start_mock(client, program_code=GENERAL):
    """Start a mock and load its player: (attempt row, player config)."""
    started = client.post(f"/exam/mock/{program_code}/start/")
    assert started.status_code == 302, started
    page = client.get(started["Location"])
    assert page.status_code == 200
    config = config_of(page)
    return attempt_row(config["code"]), config


def answer_and_submit(client, config, answers: dict, *, key="k"):
    """Save {slot: value} in one batch and submit; returns the submit's JSON."""
    entries = [{"slot": slot, "value": value, "seq": n} for n, (slot, value) in enumerate(answers.items(), start=1)]
    if entries:
        saved = post_json(client, config["saveUrl"], {"device": config["device"], "responses": entries})
        assert saved.status_code == 200, saved.content
        assert saved.json()["stale"] == []
    submitted = post_json(client, config["submitUrl"], {"key": key, "device": config["device"]})
    assert submitted.status_code == 200, submitted.content
    return submitted.json()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def take_mock(django_capture_on_commit_callbacks):
    """take_mock(client, answers={slot: value}) → the attempt row: started, answered, submitted and scored by the
    outbox listener's task once the submit commits (tasks run inline in tests)."""
    def take(client, answers_for=lambda attempt: {}, program_code=GENERAL):
        attempt, config = start_mock(client, program_code)
        with django_capture_on_commit_callbacks(execute=True):
            answer_and_submit(client, config, answers_for(attempt))
        return attempt_row(attempt.code)
    return take


def english(client):
    client.cookies["aigcert_language"] = "en"
    return client


def paper_reviews(attempt):
    """The attempt's paper items and their keys: (items, {version id: review})."""
    paper = exams.paper_get(attempt.paper_id)
    return list(paper.items), itembank.versions_review(item["version_id"] for item in paper.items)


def right_answer(item_type, review):
    if item_type == "single_choice":
        return review.key[0]
    if item_type == "multiple_choice":
        return list(review.key)
    if item_type == "true_false":
        return review.key == ("true",)
    raise AssertionError(item_type)


def all_right(attempt):
    items, reviews = paper_reviews(attempt)
    return {item["slot"]: right_answer(item["item_type"], reviews[item["version_id"]]) for item in items}
