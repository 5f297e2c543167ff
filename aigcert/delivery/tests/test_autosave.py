"""Autosave, the exam hot path: sequence numbers (later wins, stale is ignored and never an error), flags, clearing,
the query budget, and every kind of bad input refused with its code and without changing a single response."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from aigcert.accounts.api import Role
from aigcert.core.api import now
from aigcert.delivery import services
from aigcert.delivery.models import Attempt
from aigcert.delivery.tests.conftest import EN, english, post_json, responses_table, unlock, valid_value


def _slots(attempt, item_type):
    return [slot for slot in attempt.order["slots"] if attempt.schema[slot][0] == item_type]


def _save(client, config, entries, device=None):
    return post_json(client, config["saveUrl"], {"device": config["device"] if device is None else device,
                                                 "responses": entries})


def _stored(attempt) -> dict:
    return {r.slot: (r.value, r.flagged, r.seq) for r in attempt.responses.all()}


def _ok(response, saved, stale, attempt):
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"saved", "stale", "serverNow", "deadline"}
    assert (body["saved"], body["stale"]) == (saved, stale)
    assert body["deadline"] == int(attempt.deadline_at.timestamp() * 1000)
    assert isinstance(body["serverNow"], int)


# -- sequence numbers ----------------------------------------------------------------------------------------

def test_a_higher_sequence_number_wins_and_a_late_one_is_ignored(examinee_client, open_mock):
    attempt, config = open_mock
    slot = _slots(attempt, "single_choice")[0]
    a, b, c, d = attempt.schema[slot][1][:4]
    _ok(_save(examinee_client, config, [{"slot": slot, "value": a, "seq": 5}]), {slot: 5}, [], attempt)
    _ok(_save(examinee_client, config, [{"slot": slot, "value": b, "seq": 7}]), {slot: 7}, [], attempt)
    # Arrived late (sent before seq 7): ignored, reported as stale, and not an error.
    _ok(_save(examinee_client, config, [{"slot": slot, "value": c, "seq": 6}]), {}, [slot], attempt)
    _ok(_save(examinee_client, config, [{"slot": slot, "value": d, "seq": 1}]), {}, [slot], attempt)
    assert _stored(attempt) == {slot: (b, False, 7)}


def test_a_retry_of_a_save_that_got_through_is_confirmed_once_and_changes_nothing(examinee_client, open_mock):
    attempt, config = open_mock
    slot = _slots(attempt, "single_choice")[0]
    entry = {"slot": slot, "value": attempt.schema[slot][1][1], "seq": 7, "flagged": True}
    _save(examinee_client, config, [entry])
    retry = _save(examinee_client, config, [entry])
    assert retry.status_code == 200
    body = retry.json()
    assert (body["saved"], body["stale"]) in (({slot: 7}, []), ({}, [slot]))  # confirmed either way, never both
    assert _stored(attempt) == {slot: (entry["value"], True, 7)}


def test_an_equal_number_is_the_same_write_sent_again(examinee_client, open_mock):
    """A sequence number names one write: sent again (a retry whose reply was lost) it is confirmed as saved, and
    the server holds what that write said. Only a lower number is stale."""
    attempt, config = open_mock
    slot = _slots(attempt, "single_choice")[0]
    first, other = attempt.schema[slot][1][:2]
    _save(examinee_client, config, [{"slot": slot, "value": first, "seq": 7}])
    _ok(_save(examinee_client, config, [{"slot": slot, "value": first, "seq": 7}]), {slot: 7}, [], attempt)
    assert _stored(attempt) == {slot: (first, False, 7)}
    _ok(_save(examinee_client, config, [{"slot": slot, "value": other, "seq": 6}]), {}, [slot], attempt)
    assert _stored(attempt) == {slot: (first, False, 7)}


def test_a_mixed_batch_writes_the_newer_and_reports_the_stale(examinee_client, open_mock):
    attempt, config = open_mock
    one, two, three = _slots(attempt, "single_choice")[:3]
    first = {s: attempt.schema[s][1][0] for s in (one, two, three)}
    second = {s: attempt.schema[s][1][1] for s in (one, two, three)}
    _save(examinee_client, config, [{"slot": one, "value": first[one], "seq": 10},
                                    {"slot": two, "value": first[two], "seq": 20}])
    response = _save(examinee_client, config, [{"slot": one, "value": second[one], "seq": 11},
                                               {"slot": two, "value": second[two], "seq": 19},
                                               {"slot": three, "value": second[three], "seq": 12}])
    _ok(response, {one: 11, three: 12}, [two], attempt)
    assert _stored(attempt) == {one: (second[one], False, 11), two: (first[two], False, 20),
                                three: (second[three], False, 12)}


def test_the_highest_number_of_a_slot_in_one_batch_is_the_one_kept(examinee_client, open_mock):
    attempt, config = open_mock
    slot = _slots(attempt, "multiple_choice")[0]
    a, b, c = attempt.schema[slot][1][:3]
    response = _save(examinee_client, config, [{"slot": slot, "value": [a], "seq": 3},
                                               {"slot": slot, "value": [a, b], "seq": 9},
                                               {"slot": slot, "value": [c], "seq": 4}])
    _ok(response, {slot: 9}, [], attempt)
    assert _stored(attempt) == {slot: ([a, b], False, 9)}


def test_flags_are_saved_with_or_without_an_answer(examinee_client, open_mock):
    attempt, config = open_mock
    one, two = _slots(attempt, "true_false")[:2]
    _save(examinee_client, config, [{"slot": one, "value": False, "seq": 1, "flagged": True},
                                    {"slot": two, "value": None, "seq": 2, "flagged": True}])
    assert _stored(attempt) == {one: (False, True, 1), two: (None, True, 2)}
    _save(examinee_client, config, [{"slot": one, "value": False, "seq": 3, "flagged": False}])
    assert _stored(attempt) == {one: (False, False, 3), two: (None, True, 2)}


def test_an_answer_is_cleared_with_null(examinee_client, open_mock):
    attempt, config = open_mock
    single, multiple = _slots(attempt, "single_choice")[0], _slots(attempt, "multiple_choice")[0]
    _save(examinee_client, config, [{"slot": single, "value": attempt.schema[single][1][0], "seq": 1},
                                    {"slot": multiple, "value": attempt.schema[multiple][1][:2], "seq": 2}])
    response = _save(examinee_client, config, [{"slot": single, "value": None, "seq": 3},
                                               {"slot": multiple, "value": [], "seq": 4}])
    _ok(response, {single: 3, multiple: 4}, [], attempt)
    assert _stored(attempt) == {single: (None, False, 3), multiple: ([], False, 4)}
    submitted = post_json(examinee_client, config["submitUrl"], {"key": "k"})
    assert submitted.json()["answered"] == 0  # cleared answers are no answers


def test_an_empty_save_changes_nothing_and_is_fine(examinee_client, open_mock):
    attempt, config = open_mock
    _ok(_save(examinee_client, config, []), {}, [], attempt)
    assert responses_table() == []
    # An empty body names no device: it isn't the device that may save.
    assert post_json(examinee_client, config["saveUrl"], "").status_code == 409


# -- the query budget (ARCHITECTURE.md: at most 3 queries) ----------------------------------------------------

@pytest.mark.parametrize("size", [1, 20])
def test_autosave_stays_within_three_queries(examinee_client, open_mock, django_assert_max_num_queries, size):
    attempt, config = open_mock  # the player page was loaded first: it set the language cookie, as in a browser
    slots = attempt.order["slots"][:size]
    entries = [{"slot": s, "value": valid_value(attempt.schema[s]), "seq": n, "flagged": n % 2 == 0}
               for n, s in enumerate(slots, start=1)]
    with django_assert_max_num_queries(3):
        response = _save(examinee_client, config, entries)
    _ok(response, {e["slot"]: e["seq"] for e in entries}, [], attempt)
    updates = [{**e, "seq": e["seq"] + 100, "value": None} for e in entries]
    with django_assert_max_num_queries(3):
        response = _save(examinee_client, config, updates)
    _ok(response, {e["slot"]: e["seq"] for e in updates}, [], attempt)


def test_a_save_is_one_statement_once_the_attempt_is_read(open_mock, django_assert_num_queries):
    attempt, config = open_mock
    attempt = Attempt.objects.get(pk=attempt.pk)
    entries = [{"slot": s, "value": valid_value(attempt.schema[s]), "seq": n}
               for n, s in enumerate(attempt.order["slots"][:20], start=1)]
    with django_assert_num_queries(1):
        result = services.responses_save(attempt=attempt, device=config["device"], entries=entries)
    assert result == services.SaveResult(saved={e["slot"]: e["seq"] for e in entries}, stale=[])


def test_a_batch_of_late_writes_is_one_statement_too(open_mock, django_assert_num_queries):
    """Everything stale (sent before what is stored): still one statement, no extra look at the attempt."""
    attempt, config = open_mock
    attempt = Attempt.objects.get(pk=attempt.pk)
    entries = [{"slot": s, "value": valid_value(attempt.schema[s]), "seq": 10 + n}
               for n, s in enumerate(attempt.order["slots"][:3], start=1)]
    services.responses_save(attempt=attempt, device=config["device"], entries=entries)
    late = [{**e, "seq": e["seq"] - 5, "value": None} for e in entries]
    with django_assert_num_queries(1):
        result = services.responses_save(attempt=attempt, device=config["device"], entries=late)
    assert result == services.SaveResult(saved={}, stale=[e["slot"] for e in entries])


def test_a_late_batch_through_the_endpoint_stays_within_three_queries(examinee_client, open_mock,
                                                                      django_assert_max_num_queries):
    attempt, config = open_mock
    entries = [{"slot": s, "value": valid_value(attempt.schema[s]), "seq": 50 + n}
               for n, s in enumerate(attempt.order["slots"][:20], start=1)]
    _save(examinee_client, config, entries)
    with django_assert_max_num_queries(3):
        response = _save(examinee_client, config, [{**e, "seq": e["seq"] - 40} for e in entries])
    _ok(response, {}, [e["slot"] for e in entries], attempt)


# -- bad input: refused with its code, and nothing changes ----------------------------------------------------

def _first(attempt, item_type):
    return _slots(attempt, item_type)[0]


BAD_ENTRIES = {
    "not on the paper": lambda a: ([{"slot": "q999", "value": "A", "seq": 50}], "not_on_paper", "q999"),
    "an option that does not exist": lambda a: (
        [{"slot": _first(a, "single_choice"), "value": "Z", "seq": 50}], "bad_option", _first(a, "single_choice")),
    "one unknown option among good ones": lambda a: (
        [{"slot": _first(a, "multiple_choice"), "value": [a.schema[_first(a, "multiple_choice")][1][0], "Z"],
          "seq": 50}], "bad_option", _first(a, "multiple_choice")),
    "a list for a single choice": lambda a: (
        [{"slot": _first(a, "single_choice"), "value": [a.schema[_first(a, "single_choice")][1][0]], "seq": 50}],
        "bad_shape", _first(a, "single_choice")),
    "the string true for true/false": lambda a: (
        [{"slot": _first(a, "true_false"), "value": "true", "seq": 50}], "bad_shape", _first(a, "true_false")),
    "an option twice": lambda a: (
        [{"slot": _first(a, "multiple_choice"), "value": [a.schema[_first(a, "multiple_choice")][1][0]] * 2,
          "seq": 50}], "bad_shape", _first(a, "multiple_choice")),
    "one bad entry at the end of a good batch": lambda a: (
        [{"slot": s, "value": valid_value(a.schema[s]), "seq": 50 + n} for n, s in enumerate(a.order["slots"][1:4])]
        + [{"slot": _first(a, "true_false"), "value": 1, "seq": 60}], "bad_shape", _first(a, "true_false")),
    "one bad entry at the start of a good batch": lambda a: (
        [{"slot": "q0", "value": None, "seq": 49}]
        + [{"slot": s, "value": valid_value(a.schema[s]), "seq": 50 + n} for n, s in enumerate(a.order["slots"][1:4])],
        "not_on_paper", "q0"),
}


@pytest.fixture
def answered(examinee_client, open_mock):
    """An attempt with one answer saved already (seq 1), so that "nothing changed" means something."""
    attempt, config = open_mock
    slot = attempt.order["slots"][0]
    _save(examinee_client, config, [{"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 1}])
    assert len(responses_table()) == 1
    return attempt, config


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_bad_entries_are_refused_and_none_of_the_batch_is_written(examinee_client, answered, case):
    attempt, config = answered
    entries, code, slot = BAD_ENTRIES[case](attempt)
    before = responses_table()
    response = _save(english(examinee_client), config, entries)
    assert response.status_code == 400
    assert response.json() == {"error": code, "message": EN[code], "slot": slot}
    assert responses_table() == before


@pytest.mark.parametrize("body", [
    "not json", b"\x80\x81", "[1, 2]", '"text"', "null",
    {"responses": "q1"},
    {"responses": ["q1"]},
    {"responses": [{"slot": 7, "value": "A", "seq": 1}]},
    {"responses": [{"slot": "q1", "value": "A"}]},
    {"responses": [{"slot": "q1", "value": "A", "seq": "1"}]},
    {"responses": [{"slot": "q1", "value": "A", "seq": 1.5}]},
    {"responses": [{"slot": "q1", "value": "A", "seq": -1}]},
    {"responses": [{"slot": "q1", "value": "A", "seq": True}]},
    {"responses": [{"slot": "q1", "value": "A", "seq": 2**62}]},
], ids=["text", "not-utf8", "a-list", "a-string", "null", "responses-not-a-list", "entry-not-an-object",
        "slot-not-a-string", "no-seq", "seq-a-string", "seq-a-fraction", "seq-negative", "seq-a-boolean",
        "seq-too-big"])
def test_malformed_requests_are_refused(examinee_client, answered, body):
    _attempt, config = answered
    before = responses_table()
    if isinstance(body, dict):
        body = {"device": config["device"], **body}
    response = post_json(english(examinee_client), config["saveUrl"], body)
    assert response.status_code == 400
    assert response.json() == {"error": "malformed", "message": EN["malformed"]}
    assert responses_table() == before


def test_an_oversized_body_is_refused_before_it_is_read(examinee_client, answered, settings):
    attempt, config = answered
    settings.EXAM_AUTOSAVE_MAX_BYTES = 2048
    slot = attempt.order["slots"][1]
    entry = {"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 2}

    def body_of(size):
        body = {"device": config["device"], "responses": [entry], "pad": ""}
        body["pad"] = "x" * (size - len(json.dumps(body)))
        data = json.dumps(body)
        assert len(data.encode()) == size
        return data

    before = responses_table()
    refused = post_json(english(examinee_client), config["saveUrl"], body_of(2049))
    assert refused.status_code == 413
    assert refused.json() == {"error": "too_large", "message": EN["too_large"]}
    assert responses_table() == before
    _ok(post_json(examinee_client, config["saveUrl"], body_of(2048)), {slot: 2}, [], attempt)


def test_someone_elses_attempt_looks_like_no_attempt(answered, make_user):
    attempt, config = answered
    stranger = Client()
    stranger.force_login(unlock(make_user(Role.CANDIDATE)))
    english(stranger)
    slot = attempt.order["slots"][0]
    before = responses_table()
    theirs = _save(stranger, config, [{"slot": slot, "value": None, "seq": 99}])
    missing = post_json(stranger, f"/exam/{uuid.uuid4()}/save/", {"device": config["device"],
                                                                  "responses": [{"slot": slot, "value": None,
                                                                                 "seq": 99}]})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"error": "not_found", "message": EN["not_found"]}
    assert responses_table() == before


def test_a_visitor_whose_login_ended_is_told_so(answered):
    attempt, config = answered
    visitor = english(Client())
    before = responses_table()
    slot = attempt.order["slots"][0]
    response = _save(visitor, config, [{"slot": slot, "value": None, "seq": 99}])
    assert response.status_code == 401
    assert response.json() == {"error": "login", "message": EN["login"]}
    assert responses_table() == before


def test_autosave_is_a_post(examinee_client, answered):
    _attempt, config = answered
    assert examinee_client.get(config["saveUrl"]).status_code == 405


# -- the deadline --------------------------------------------------------------------------------------------

def _time_is_up(attempt, settings):
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline_at=now() - timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS + 5))


def test_after_the_deadline_and_its_grace_saves_are_refused_and_the_saved_answers_stand(examinee_client, answered,
                                                                                       settings):
    attempt, config = answered
    _time_is_up(attempt, settings)
    before = responses_table()
    first, second = attempt.order["slots"][:2]
    response = _save(english(examinee_client), config, [{"slot": first, "value": None, "seq": 2},
                                                        {"slot": second, "value": valid_value(attempt.schema[second]),
                                                         "seq": 3}])
    assert response.status_code == 409
    assert response.json() == {"error": "time_up", "message": EN["time_up"], "redirect": config["doneUrl"]}
    assert responses_table() == before


def test_time_up_is_said_in_the_candidates_language(examinee_client, answered, settings):
    attempt, config = answered
    _time_is_up(attempt, settings)
    entry = {"slot": attempt.order["slots"][0], "value": None, "seq": 2}
    examinee_client.cookies["aigcert_language"] = "en"
    assert _save(examinee_client, config, [entry]).json()["message"] == EN["time_up"]


def test_time_up_is_said_in_chinese_by_default(examinee_client, answered, settings):
    attempt, config = answered
    _time_is_up(attempt, settings)
    assert examinee_client.cookies["aigcert_language"].value == "zh-hans"  # set by the player page
    entry = {"slot": attempt.order["slots"][0], "value": None, "seq": 2}
    response = _save(examinee_client, config, [entry])
    assert response.status_code == 409
    with translation.override("zh-hans"):
        chinese = translation.gettext(EN["time_up"])
    assert response.json()["message"] == chinese
    assert chinese != EN["time_up"]


def test_within_the_grace_a_save_on_its_way_still_counts(examinee_client, answered, settings):
    attempt, config = answered
    settings.EXAM_SAVE_GRACE_SECONDS = 600
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=now() - timedelta(seconds=60))
    attempt.refresh_from_db()
    slot = attempt.order["slots"][1]
    _ok(_save(examinee_client, config, [{"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 2}]),
        {slot: 2}, [], attempt)


def test_after_submit_saves_are_refused(examinee_client, answered):
    attempt, config = answered
    assert post_json(examinee_client, config["submitUrl"], {"key": "k"}).status_code == 200
    before = responses_table()
    response = _save(english(examinee_client), config, [{"slot": attempt.order["slots"][1], "value": None,
                                                         "seq": 9}])
    assert response.status_code == 409
    assert response.json() == {"error": "time_up", "message": EN["time_up"], "redirect": config["doneUrl"]}
    assert responses_table() == before


@pytest.mark.parametrize("ending", ["password changed", "account deactivated"])
def test_a_session_django_has_ended_cannot_save(examinee_client, answered, examinee, ending):
    attempt, config = answered
    if ending == "password changed":
        examinee.set_password("a-new-password-42")
    else:
        examinee.is_active = False
    examinee.save()
    before = responses_table()
    slot = attempt.order["slots"][1]
    response = _save(english(examinee_client), config,
                     [{"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 2}])
    assert response.status_code == 401
    assert response.json() == {"error": "login", "message": EN["login"]}
    assert responses_table() == before
    # Every other page already treats the session as ended.
    assert examinee_client.get(f"/exam/{attempt.code}/").status_code == 302


def test_texts_are_saved_as_typed(examinee_client, practical):
    attempt, config, _upload_slot = practical
    slots = {kind: next(s for s in attempt.order["slots"] if attempt.schema[s][0] == kind)
             for kind in ("essay", "program", "prompt_task")}
    texts = {"essay": "第一段。\n\n第二段：“引号”与 emoji 🙂", "program": "def f(x):\n\treturn x * 2  # 注释\n",
             "prompt_task": "你是一名助手。<b>不是 HTML</b> & 'quotes'"}
    entries = [{"slot": slots[k], "value": texts[k], "seq": n} for n, k in enumerate(texts, start=1)]
    _ok(_save(examinee_client, config, entries), {e["slot"]: e["seq"] for e in entries}, [], attempt)
    assert {slot: value for slot, (value, _flag, _seq) in _stored(attempt).items()} == {
        slots[k]: texts[k] for k in texts}
    too_long = _save(english(examinee_client), config, [{"slot": slots["essay"], "value": "字" * 20_001, "seq": 9}])
    assert too_long.status_code == 400
    assert too_long.json() == {"error": "too_long", "message": EN["too_long"], "slot": slots["essay"]}


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"], ids=["nul", "lone-surrogate"])
def test_text_no_database_can_store_is_refused_alike_on_every_database(examinee_client, practical, text):
    """PostgreSQL's jsonb refuses NUL, and a lone surrogate (valid in JSON's \\u escapes) is no UTF-8 at all."""
    attempt, config, _upload_slot = practical
    essay = next(s for s in attempt.order["slots"] if attempt.schema[s][0] == "essay")
    body = json.dumps({"device": config["device"], "responses": [{"slot": essay, "value": text, "seq": 1}]})
    response = post_json(english(examinee_client), config["saveUrl"], body)
    assert response.status_code == 400
    assert response.json() == {"error": "bad_shape", "message": EN["bad_shape"], "slot": essay}
    assert responses_table() == []
