"""Item content checks, HTML sanitizing and the candidate payload: no database."""

import json
from decimal import Decimal as D

import pytest
from django.utils import translation

from aigcert.itembank import content as c
from aigcert.itembank.content import Answer, Blank, Criterion, ItemContent, Level, Option, TestCase, content_problems
from aigcert.itembank.demo import template_examples
from aigcert.itembank.payloads import delivery_payload
from aigcert.itembank.sanitize import clean_html, plain_text


def _fields(item, **kwargs):
    with translation.override("en"):
        return {p.field: p.message for p in content_problems(item, **kwargs)}


def _single(**overrides):
    item = ItemContent(item_type=c.SINGLE_CHOICE, stem="<p>Which?</p>", points=D(1),
                       options=[Option("A", "<p>a</p>"), Option("B", "<p>b</p>"), Option("C", "<p>c</p>")], key=["B"])
    for name, value in overrides.items():
        setattr(item, name, value)
    return item


def test_every_template_example_is_valid():
    examples = template_examples()
    assert sorted(item.item_type for _, item in examples) == sorted(c.ITEM_TYPES)
    for _program, item in examples:
        assert content_problems(item) == [], item.item_type


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"key": ["E"]}, "key", "not among the options"),
    ({"key": ["A", "B"]}, "key", "exactly one"),
    ({"points": D(0)}, "points", "greater than 0"),
    ({"points": D(-1)}, "points", "greater than 0"),
    ({"stem": "   "}, "stem", "empty"),
    ({"stem": "<p> </p>"}, "stem", "empty"),
    ({"options": [Option("A", "a")], "key": ["A"]}, "options", "at least two"),
    ({"options": [Option("A", "a"), Option("A", "b")], "key": ["A"]}, "options", "same identifier"),
    ({"difficulty": 6}, "difficulty", "1 to 5"),
])
def test_choice_item_problems(overrides, field, words):
    problems = _fields(_single(**overrides))
    assert field in problems
    assert words in problems[field]


def test_unknown_competency_is_named():
    problems = _fields(_single(standards=["A1.1", "Z9"]), known_standards={"A1.1"})
    assert problems == {"standards": "Not an evaluation-standard item of this program: Z9."}


def test_unknown_type():
    assert "type" in _fields(ItemContent(item_type="hotspot", stem="x", points=D(1)))


def test_multiple_choice_partial_credit_must_be_a_share():
    item = _single(item_type=c.MULTIPLE_CHOICE, key=["A", "B"], scoring=c.PARTIAL, partial_credit=D("1.5"))
    assert "partial_credit" in _fields(item)
    item.partial_credit = D("0.5")
    assert _fields(item) == {}


def test_true_false_key():
    item = ItemContent(item_type=c.TRUE_FALSE, stem="<p>s</p>", points=D(1), key=["maybe"])
    assert "key" in _fields(item)
    item.key = ["false"]
    assert _fields(item) == {}


def test_fill_in_markers_must_match_blanks():
    blank = Blank([Answer("GAN", D(1))])
    item = ItemContent(item_type=c.FILL_IN, stem="<p>[[1]] and [[2]]</p>", blanks=[blank])
    assert "stem" in _fields(item)
    item.stem = "<p>[[1]]</p>"
    item.settle_points()
    assert _fields(item) == {}
    assert item.points == D(1)


def test_fill_in_blank_without_answer():
    item = ItemContent(item_type=c.FILL_IN, stem="<p>[[1]]</p>", blanks=[Blank([Answer(" ", D(1))])])
    assert "blanks" in _fields(item)


def test_subjective_items_need_a_rubric_with_distinct_levels():
    essay = ItemContent(item_type=c.ESSAY, stem="<p>Discuss.</p>", min_words=10, max_words=5)
    problems = _fields(essay)
    assert "rubric" in problems
    assert "max_words" in problems
    essay.rubric = [Criterion("Argument", [Level("good", D(5)), Level("good too", D(5))])]
    assert "different points" in _fields(essay)["rubric"]
    essay.rubric = [Criterion("Argument", [Level("good", D(5)), Level("none", D(0))])]
    essay.max_words = 500
    essay.settle_points()
    assert _fields(essay) == {}
    assert essay.points == D(5)


def test_given_points_must_agree_with_the_rubric():
    essay = ItemContent(item_type=c.ESSAY, stem="<p>x</p>", points=D(20),
                        rubric=[Criterion("All", [Level("a", D(10)), Level("b", D(0))])])
    assert "add up to 10" in _fields(essay)["points"]


def test_work_upload_types_and_size():
    upload = ItemContent(item_type=c.WORK_UPLOAD, stem="<p>x</p>", allowed_types=["exe"], max_size_mb=0,
                         rubric=[Criterion("All", [Level("a", D(10)), Level("b", D(0))])])
    problems = _fields(upload)
    assert "exe" in problems["allowed_types"]
    assert "max_size_mb" in problems


def test_program_needs_tests_and_limits():
    program = ItemContent(item_type=c.PROGRAM, stem="<p>x</p>", time_limit_ms=10, memory_limit_mb=8)
    problems = _fields(program)
    assert {"tests", "time_limit_ms", "memory_limit_mb", "points"} <= set(problems)
    program.tests = [TestCase("1\n", "1\n", D(3)), TestCase("2\n", "2\n", D(2))]
    program.time_limit_ms, program.memory_limit_mb = 1000, 256
    program.settle_points()
    assert _fields(program) == {}
    assert program.points == D(5)


def test_problems_are_in_the_users_language():
    item = _single(key=["E"])
    with translation.override("zh-hans"):
        zh = content_problems(item)[0].message
    with translation.override("en"):
        en = content_problems(item)[0].message
    assert en == "The key E is not among the options."
    assert zh != en and "选项" in zh


@pytest.mark.parametrize("hostile", [
    '<p>ok<script>alert(1)</script></p>',
    '<p>ok</p><iframe src="https://evil.example/"></iframe>',
    '<p onclick="steal()">ok</p>',
    '<p>ok <a href="javascript:alert(1)">x</a></p>',
    '<p>ok<img src="x" onerror="alert(1)"></p>',
    '<p>ok<img src="https://cdn.example/x.png"></p>',
    '<svg onload="alert(1)"><p>ok</p></svg>',
    '<p style="background:url(javascript:alert(1))">ok</p>',
])
def test_stems_lose_scripts_frames_handlers_and_foreign_images(hostile):
    cleaned = clean_html(hostile)
    lowered = cleaned.lower()
    for bad in ("<script", "<iframe", "onclick", "onerror", "onload", "javascript:", "cdn.example", "<svg", "style="):
        assert bad not in lowered
    assert "ok" in plain_text(cleaned)


def test_own_images_and_simple_markup_survive():
    html = '<p><strong>粗</strong> <code>x</code><img src="/itembank/assets/' + "a" * 64 + '.png" alt="图"></p>'
    assert clean_html(html) == html


def _secret_item(item_type):
    """An example item with a marker planted in every field a candidate must never see."""
    item = next(i for _, i in template_examples() if i.item_type == item_type)
    item.explanation = "<p>SECRET-EXPLANATION</p>"
    for criterion in item.rubric:
        criterion.name = "SECRET-RUBRIC"
    item.reference_prompt = "SECRET-REFERENCE" if item.reference_prompt else ""
    item.qualities = ["SECRET-QUALITY"] if item.qualities else []
    if item.tests:
        item.tests = [TestCase("SECRET-IN", "SECRET-OUT", D(1))]
        item.reference_solution = "SECRET-SOLUTION"
    for blank in item.blanks:
        blank.answers = [Answer("SECRET-ANSWER", D(1))]
    return item


@pytest.mark.parametrize("item_type", c.ITEM_TYPES)
def test_candidate_payload_never_carries_keys_rubrics_explanations_or_tests(item_type):
    item = _secret_item(item_type)
    payload = delivery_payload(item)
    text = json.dumps(payload, ensure_ascii=False)
    assert "SECRET" not in text
    assert "key" not in payload and "scoring" not in payload and "rubric" not in payload
    assert payload["type"] == item_type


def test_choice_payload_has_options_but_no_key():
    item = _single()
    payload = delivery_payload(item)
    assert [o["label"] for o in payload["options"]] == ["A", "B", "C"]
    assert payload["multiple"] is False
    assert "B" not in json.dumps({k: v for k, v in payload.items() if k != "options"})


def test_fill_in_payload_splits_the_stem_at_blanks():
    item = ItemContent(item_type=c.FILL_IN, stem="<p>GAN 由[[1]]和[[2]]组成</p>",
                       blanks=[Blank([Answer("生成器", D(1))]), Blank([Answer("判别器", D(1))])])
    item.settle_points()
    payload = delivery_payload(item)
    assert payload["stem_parts"] == [{"html": "<p>GAN 由"}, {"blank": 1}, {"html": "和"}, {"blank": 2},
                                     {"html": "组成</p>"}]
    assert "生成器" not in json.dumps(payload, ensure_ascii=False)
