"""Scoring rules and text normalization: pure functions, no database."""

from decimal import Decimal as D

import pytest

from aigcert.itembank import rules
from aigcert.itembank.rules import MapEntry, Mapping


def test_single_choice_and_true_false_score_exactly():
    assert rules.score_single_choice("B", "B", D(2)) == D(2)
    assert rules.score_single_choice("B", "C", D(2)) == 0
    assert rules.score_single_choice("B", None, D(2)) == 0
    assert rules.score_true_false(True, True, D(1)) == D(1)
    assert rules.score_true_false(True, False, D(1)) == 0
    assert rules.score_true_false(False, None, D(1)) == 0


def test_multiple_choice_all_or_nothing():
    key = ["A", "C", "D"]
    assert rules.score_multiple_choice(key, ["D", "A", "C"], D(2)) == D(2)
    assert rules.score_multiple_choice(key, ["A", "C"], D(2)) == 0
    assert rules.score_multiple_choice(key, ["A", "B", "C", "D"], D(2)) == 0
    assert rules.score_multiple_choice(key, [], D(2)) == 0


@pytest.mark.parametrize(("chosen", "expected"), [
    (["A", "C", "D"], D(2)),      # all correct
    (["A", "C"], D("1.00")),       # 少选得部分分
    (["D"], D("1.00")),
    (["A", "B"], 0),               # 错选不得分
    (["B"], 0),
    ([], 0),                       # nothing chosen
])
def test_multiple_choice_partial_credit(chosen, expected):
    assert rules.score_multiple_choice(["A", "C", "D"], chosen, D(2), partial_credit=D("0.5")) == expected


def test_partial_credit_share_is_configurable():
    assert rules.score_multiple_choice(["A", "B", "C"], ["A"], D(3), partial_credit=D("0.4")) == D("1.20")


@pytest.mark.parametrize(("response", "score"), [
    ("Attention", D(1)),
    ("  attention ", D(1)),        # trim + case
    ("ＡＴＴＥＮＴＩＯＮ", D(1)),    # full-width
    ("注意力", D(1)),               # an accepted alternative
    ("Attentions", 0),
    ("", 0),
    (None, 0),
])
def test_fill_in_normalizes_trim_width_and_case(response, score):
    blank = Mapping((MapEntry("Attention", D(1), case_sensitive=False), MapEntry("注意力", D(1), False)))
    assert rules.score_fill_in([blank], [response]) == [score]


def test_fill_in_case_sensitive_blank_still_trims_and_folds_width():
    blank = Mapping((MapEntry("GPT", D(1), case_sensitive=True),))
    assert rules.score_fill_in([blank], [" ＧＰＴ "]) == [D(1)]
    assert rules.score_fill_in([blank], ["gpt"]) == [0]


def test_fill_in_scores_each_blank_separately():
    blanks = [Mapping((MapEntry("2017", D(1), False),)), Mapping((MapEntry("Transformer", D(2), False),))]
    assert rules.score_fill_in(blanks, ["2017", "RNN"]) == [D(1), 0]
    assert rules.score_fill_in(blanks, ["2017"]) == [D(1), 0]  # a missing answer scores 0


# The examples of the QTI specification (and of the issue), scored with map_response semantics.
YORK = Mapping((MapEntry("York", D(1), case_sensitive=True), MapEntry("york", D("0.5"), case_sensitive=True)))


@pytest.mark.parametrize(("response", "score"), [("York", D(1)), ("york", D("0.5")), ("Leeds", 0)])
def test_qti_text_entry_mapping(response, score):
    assert rules.map_response(YORK, [response]) == score


def _water(default):
    return Mapping((MapEntry("H", D(1)), MapEntry("O", D(1)), MapEntry("Cl", D(-1))),
                   default=D(default), lower=D(0), upper=D(2))


@pytest.mark.parametrize(("chosen", "score"), [
    ({"H", "O"}, D(2)),
    ({"H", "O", "Cl"}, D(1)),
    ({"H", "He"}, D(0)),          # 1 + default (−2) = −1, raised to the lower bound 0
    ({"Cl"}, D(0)),
    ({"H", "O", "C", "N"}, D(0)),  # 2 − 2 − 2 = −2 → 0
])
def test_qti_choice_multiple_example_with_its_own_default(chosen, score):
    """QTI 2.1's choice_multiple example declares defaultValue −2."""
    assert rules.map_response(_water(-2), sorted(chosen)) == score


def test_qti_unmapped_choice_scores_the_default_zero():
    # With defaultValue 0, He adds nothing: {H, He} keeps H's 1 (QTI sums mapped values).
    assert rules.map_response(_water(0), ["H", "He"]) == D(1)
    assert rules.map_response(_water(0), ["H", "O"]) == D(2)
    assert rules.map_response(_water(0), ["H", "O", "Cl"]) == D(1)


def test_qti_mapping_counts_each_value_once_and_null_scores_zero():
    assert rules.map_response(_water(0), ["H", "H", "O", "O"]) == D(2)
    assert rules.map_response(_water(-2), []) == 0           # NULL: the template's isNull branch
    assert rules.map_response(_water(-2), ["", None]) == 0


def test_qti_mapping_upper_bound_caps_the_sum():
    mapping = Mapping((MapEntry("A", D(2)), MapEntry("B", D(2))), upper=D(3))
    assert rules.map_response(mapping, ["A", "B"]) == D(3)
    assert mapping.max_score() == D(3)


def test_qti_case_insensitive_map_entry():
    mapping = Mapping((MapEntry("Paris", D(1), case_sensitive=False),))
    assert rules.map_response(mapping, ["PARIS"]) == D(1)


def test_match_correct():
    assert rules.match_correct(["A", "C"], ["C", "A"], D(2)) == D(2)
    assert rules.match_correct(["A", "C"], ["A"], D(2)) == 0
    assert rules.match_correct(["A"], [], D(2)) == 0


@pytest.mark.parametrize(("text", "count"), [
    ("生成式人工智能", 7),
    ("GPT-4 is a model", 4),
    ("使用 Stable Diffusion 生成图片", 8),
    ("", 0),
])
def test_word_count_counts_cjk_characters_and_latin_words(text, count):
    assert rules.word_count(text) == count
