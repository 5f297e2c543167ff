"""Scoring test helpers. The shared fixtures (demo bank and blueprints once per module, candidates whose
program is unlocked, the player's endpoints) come from aigcert/exam_fixtures.py."""


from decimal import Decimal

import pytest
from django.apps import apps

from aigcert.exam_fixtures import (
    GENERAL,
    _exam_bank_once,
    _media,
    catalog,
    config_of,
    english,
    exam_bank,
    examinee,
    examinee_client,
    formal_day,
    post_json,
    sitting,
    unlock,
)
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.scoring import rules

# -- taking a mock exam the way the browser does (the player's endpoints) -------------------------------------


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


def points_the_slow_way(attempt) -> dict:
    """Each slot's points worked out independently of the batch scorer: the item bank's own scoring of each
    stored response, scaled to the slot."""
    paper = exams.paper_get(attempt.paper_id)
    responses = dict(apps.get_model("delivery", "Response").objects.filter(attempt_id=attempt.pk)
                     .values_list("slot", "value"))
    raw = itembank.responses_score([(i["version_id"], responses.get(i["slot"])) for i in paper.items])
    review = itembank.versions_review(i["version_id"] for i in paper.items)
    return {i["slot"]: rules.scaled(points, item_points=review[i["version_id"]].points,
                                    slot_points=Decimal(i["points"]))
            for i, points in zip(paper.items, raw, strict=True)}
