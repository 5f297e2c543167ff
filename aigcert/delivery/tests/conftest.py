"""Delivery test helpers. The shared fixtures (demo bank and blueprints once per module, candidates whose
program is unlocked, the player's endpoints) come from aigcert/exam_fixtures.py."""


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
    unlock,
)

# -- helpers shared by the delivery tests ---------------------------------------------------------------------

START = "/exam/mock/aigc-general/start/"


def valid_value(schema_entry):
    """A value each item type accepts: the first option, True, empty blanks, some text."""
    item_type, detail = schema_entry
    if item_type == "single_choice":
        return detail[0]
    if item_type == "multiple_choice":
        return [detail[0]]
    if item_type == "true_false":
        return True
    if item_type == "fill_in":
        return ["x"] * detail
    return "我的回答"


def responses_table() -> list[tuple]:
    """Every response row, for "nothing changed" checks."""
    return list(apps.get_model("delivery", "Response").objects.order_by("attempt_id", "slot")
                .values_list("attempt_id", "slot", "value", "flagged", "seq"))


@pytest.fixture
def open_mock(examinee_client):
    """A started 通用级 mock with its player loaded (as a browser would): (attempt, config)."""
    started = examinee_client.post(START)
    assert started.status_code == 302
    page = examinee_client.get(started["Location"])
    assert page.status_code == 200
    config = config_of(page)
    attempt = apps.get_model("delivery", "Attempt").objects.get(code=config["code"])
    return attempt, config


# What the endpoints say when they refuse, in English (the `aigcert_language` cookie set to "en").
EN = {
    "not_on_paper": "This item is not on your paper.",
    "bad_option": "That option is not one of this item's options.",
    "bad_shape": "This answer is not in the form the item expects.",
    "too_long": "This answer is too long.",
    "upload_only": "Hand in files with the upload button.",
    "time_up": "Time is up. Your exam was submitted with the answers saved before the deadline.",
    "superseded": ("This exam is now open in another window or on another device. Continue there, or reload this "
                   "page to continue here."),
    "too_large": "Too much at once. Please save again.",
    "malformed": "The request could not be read.",
    "login": "Your login has ended. Log in again; your saved answers are kept.",
    "not_found": "Not found.",
    "upload_type": "Files of this type are not accepted for this item.",
    "upload_size": "The file is larger than this item allows.",
    "upload_content": "The file's content does not match its type.",
    "upload_empty": "The file is empty.",
    "stale": "A newer answer to this item is already saved.",
}


@pytest.fixture
def practical(examinee, examinee_client):
    """A started 专业级 mock (essays, programs, prompt tasks, work uploads) with its player loaded:
    (attempt, config, the slot of a work upload)."""
    unlock(examinee, "aigc-professional")
    started = examinee_client.post("/exam/mock/aigc-professional/start/")
    config = config_of(examinee_client.get(started["Location"]))
    attempt = apps.get_model("delivery", "Attempt").objects.get(code=config["code"])
    upload_slot = next(s for s in attempt.order["slots"] if attempt.schema[s][0] == "work_upload")
    return attempt, config, upload_slot


