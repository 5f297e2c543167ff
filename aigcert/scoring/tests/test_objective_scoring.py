"""The item bank's objective scoring rules, as scoring uses them (itembank.api.responses_score on real approved
items): every objective type, partial credit, mapped scoring, fill-in normalization, wrong shapes, and the
subjective types left to people. ``is_answered`` is pure and tested without a database.

The item bank's own content module is not ours to import, so the rules are driven through the public API on
the demo bank's items; the few shapes the demo bank has none of (mapped scoring, two blanks) are planted into
item versions through the app registry."""

from decimal import Decimal as D

import pytest
from django.apps import apps

from aigcert.core.api import NotFound
from aigcert.itembank import api as itembank

GENERAL = "aigc-general"


def _reviews(program, item_type):
    versions = itembank.approved_versions(program, item_type=item_type)
    return itembank.versions_review(v.id for v in versions)


def _score(version_id, value):
    [points] = itembank.responses_score([(version_id, value)])
    return points


@pytest.fixture
def single(exam_bank):
    review = next(iter(_reviews(GENERAL, "single_choice").values()))
    options = [o["id"] for o in itembank.version_delivery_payload(review.id)["options"]]
    return review, options


@pytest.fixture
def multiple(exam_bank):
    """A 2-point multiple-choice item with at least two correct options (the demo bank gives half credit)."""
    reviews = _reviews(GENERAL, "multiple_choice")
    payloads = itembank.versions_delivery_payloads(reviews)
    review = next(r for r in reviews.values() if 2 <= len(r.key) < len(payloads[r.id]["options"]))
    assert review.points == D("2.00")
    return review, [o["id"] for o in payloads[review.id]["options"]]


def test_single_choice(single):
    review, options = single
    [key] = review.key
    wrong = next(o for o in options if o != key)
    assert review.points == D("1.00")
    assert _score(review.id, key) == D("1.00")
    for value in (wrong, None, "", "Z", [key], 1, True, {"id": key}, key.lower() if key.isupper() else "?"):
        assert _score(review.id, value) == D("0"), value


def test_multiple_choice_with_half_credit(multiple):
    review, options = multiple
    key = list(review.key)
    wrong = next(o for o in options if o not in key)
    assert _score(review.id, key) == D("2.00")
    assert _score(review.id, list(reversed(key))) == D("2.00")  # order doesn't matter
    assert _score(review.id, key[:1]) == D("1.00")              # 少选: half the points
    assert _score(review.id, key[:1] * 2) == D("1.00")          # a repeat counts once
    assert _score(review.id, [key[0], 5]) == D("1.00")          # what isn't an option id is ignored
    assert _score(review.id, [*key, wrong]) == D("0")           # 错选: nothing
    assert _score(review.id, [key[0], wrong]) == D("0")
    for value in ([wrong], [], None, key[0], {"a": key}, 3):
        assert _score(review.id, value) == D("0"), value


def test_true_false(exam_bank):
    reviews = _reviews(GENERAL, "true_false")
    yes = next(r for r in reviews.values() if r.key == ("true",))
    no = next(r for r in reviews.values() if r.key == ("false",))
    assert (_score(yes.id, True), _score(yes.id, False)) == (D("1.00"), D("0"))
    assert (_score(no.id, False), _score(no.id, True)) == (D("1.00"), D("0"))
    for value in ("true", "false", 1, 0, None, [True]):
        assert _score(yes.id, value) == D("0"), value
        assert _score(no.id, value) == D("0"), value


def _fill_in_accepting(text):
    for review in _reviews(GENERAL, "fill_in").values():
        if text in review.key_display[0].split(" / "):
            return review
    raise AssertionError(f"no demo fill-in item accepts {text!r}")


@pytest.mark.parametrize(("value", "points"), [
    (["imitation game"], "1"),
    (["Imitation Game"], "1"),            # case
    (["  imitation game \n"], "1"),       # trimmed
    (["imitation   game"], "1"),          # inner spaces
    (["imitation\u3000game"], "1"),       # a full-width space
    (["ＩＭＩＴＡＴＩＯＮ　ＧＡＭＥ"], "1"),  # full-width letters
    (["模仿游戏"], "1"),                  # any accepted answer
    (["模仿"], "1"),
    (["imitationgame"], "0"),
    (["游戏"], "0"),
    ([""], "0"),
    ([], "0"),
    ([None], "0"),
    ([42], "0"),
    ("imitation game", "0"),              # not a list
    (None, "0"),
])
def test_fill_in_normalizes_before_it_compares(exam_bank, value, points):
    review = _fill_in_accepting("imitation game")
    assert _score(review.id, value) == D(points)


def test_fill_in_scores_each_blank(exam_bank):
    review = _fill_in_accepting("OpenAI")
    versions = apps.get_model("itembank", "ItemVersion").objects
    content = dict(versions.get(pk=review.id).content)
    content["blanks"] = [*content["blanks"], {"answers": [{"text": "GPT", "score": "1.5", "case_sensitive": True}],
                                              "default": "0", "lower": None, "upper": None}]
    versions.filter(pk=review.id).update(stem="<p>[[1]] 开发了 [[2]]。</p>", content=content, points=D("2.5"))
    assert _score(review.id, ["openai", "GPT"]) == D("2.5")
    assert _score(review.id, ["OpenAI", "gpt"]) == D("1")    # the second blank is case-sensitive
    assert _score(review.id, ["Google", "GPT"]) == D("1.5")
    assert _score(review.id, ["OpenAI"]) == D("1")           # a missing blank earns nothing
    assert _score(review.id, ["OpenAI", "GPT", "x"]) == D("2.5")
    assert _score(review.id, ["Google", None]) == D("0")


def _plant_map(version_id, mapping):
    versions = apps.get_model("itembank", "ItemVersion").objects
    content = {**versions.get(pk=version_id).content, "scoring": "map", "map": mapping}
    content.pop("partial_credit", None)
    versions.filter(pk=version_id).update(content=content)


def test_mapped_scoring_of_a_multiple_choice_item(multiple):
    review, options = multiple
    a, b, c = options[:3]
    _plant_map(review.id, {"entries": [{"key": a, "value": "1.5", "case_sensitive": True},
                                       {"key": b, "value": "1", "case_sensitive": True},
                                       {"key": c, "value": "-1", "case_sensitive": True}],
                           "default": "0", "lower": "0", "upper": "2"})
    assert _score(review.id, [a]) == D("1.5")
    assert _score(review.id, [a, b]) == D("2")       # 2.5 capped at the upper bound
    assert _score(review.id, [b, c]) == D("0")       # 1 - 1
    assert _score(review.id, [c]) == D("0")          # -1 raised to the lower bound
    assert _score(review.id, [a, a]) == D("1.5")     # each value counts once
    assert _score(review.id, [a, options[3]]) == D("1.5")  # unmapped: the default, 0
    assert _score(review.id, []) == D("0")
    assert _score(review.id, a) == D("0")            # not a list


def test_mapped_scoring_of_a_single_choice_item(single):
    review, options = single
    _plant_map(review.id, {"entries": [{"key": options[0], "value": "1", "case_sensitive": True},
                                       {"key": options[1], "value": "0.5", "case_sensitive": True}],
                           "default": "0", "lower": None, "upper": None})
    assert _score(review.id, options[0]) == D("1")
    assert _score(review.id, options[1]) == D("0.5")
    assert _score(review.id, options[2]) == D("0")
    assert _score(review.id, [options[0]]) == D("0")
    assert _score(review.id, None) == D("0")


@pytest.mark.parametrize("item_type", ["essay", "program", "prompt_task", "work_upload"])
def test_subjective_items_are_left_to_people(exam_bank, item_type):
    review = next(iter(_reviews("aigc-professional", item_type).values()))
    for value in ("一段回答", "", None, {"upload": "x", "name": "a.pdf", "size": 3}, ["A"]):
        assert _score(review.id, value) is None


def test_many_responses_are_scored_in_order(single, multiple):
    one, _one_options = single
    many, _options = multiple
    assert itembank.responses_score([(many.id, list(many.key)), (one.id, one.key[0]), (many.id, None),
                                     (one.id, "nope")]) == [D("2.00"), D("1.00"), D("0"), D("0")]
    assert itembank.responses_score([]) == []


def test_an_unknown_version_is_not_found(exam_bank):
    with pytest.raises(NotFound):
        itembank.responses_score([(10**9, "A")])


@pytest.mark.parametrize(("item_type", "value", "answered"), [
    ("single_choice", "A", True), ("single_choice", "", False), ("single_choice", "  ", False),
    ("single_choice", None, False),
    ("multiple_choice", ["A"], True), ("multiple_choice", [], False), ("multiple_choice", ["", " "], False),
    ("multiple_choice", [1, 2], False),
    ("true_false", False, True), ("true_false", True, True), ("true_false", None, False),
    ("true_false", "false", False),
    ("fill_in", ["", "x"], True), ("fill_in", ["", " "], False), ("fill_in", [], False),
    ("essay", "答", True), ("essay", "\n\t ", False), ("program", "print(1)", True), ("prompt_task", "", False),
    ("work_upload", {"upload": "3f0e", "name": "a.pdf", "size": 3}, True), ("work_upload", {"upload": ""}, False),
    ("work_upload", {}, False), ("essay", 42, False),
])
def test_is_answered(item_type, value, answered):
    assert itembank.is_answered(item_type, value) is answered
