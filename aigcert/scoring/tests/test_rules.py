"""The arithmetic of scores without a database: scaling to the slot, the pass line, the gap report and the trend."""

import random
from decimal import Decimal as D

import pytest

from aigcert.scoring import rules
from aigcert.scoring.rules import AreaGap


@pytest.mark.parametrize(("score", "item_points", "slot_points", "expected"), [
    (D("1"), D("1"), D("1"), D("1")),           # same points: the score as it is
    (D("2.00"), D("2.00"), D("1.5"), D("1.50")),  # a 2-point multiple choice in a 1.5-point slot
    (D("1.00"), D("2.00"), D("1.5"), D("0.75")),  # half credit of it
    (D("1.00"), D("1.00"), D("0.5"), D("0.50")),  # a 1-point true/false in a 0.5-point slot
    (D("0"), D("2.00"), D("1.5"), D("0.00")),
    (D("1"), D("3"), D("1"), D("0.33")),
    (D("2"), D("3"), D("1"), D("0.67")),
    (D("0.5"), D("4"), D("1"), D("0.13")),        # 0.125 rounds half up
    (D("1"), D("1"), D("2"), D("2.00")),          # a bigger slot scales up
    (D("5"), D("0"), D("2"), D("0")),             # an item worth nothing earns nothing
])
def test_scaled(score, item_points, slot_points, expected):
    result = rules.scaled(score, item_points=item_points, slot_points=slot_points)
    assert str(result) == str(expected)  # to the cent when scaled


@pytest.mark.parametrize(("pass_mark", "total", "paper_max", "line"), [
    (60, 100, D("100"), D("60.00")),
    (60, 100, D("75"), D("45.00")),
    (60, 100, D("33.33"), D("20.00")),  # 19.998
    (70, 120, D("100"), D("58.33")),
    (60, 100, D("0"), D("0.00")),
    (60, 0, D("100"), D("0")),
])
def test_pass_line(pass_mark, total, paper_max, line):
    assert rules.pass_line(pass_mark=pass_mark, total_score=total, paper_max=paper_max) == line


def test_gap_report_by_hand():
    scores = [
        ("A1", D("1"), D("1")), ("A1", D("1.5"), D("0.75")), ("A1", D("0.5"), D("0")),  # 1.75 / 3
        ("A2", D("1"), D("0")), ("A2", D("1"), D("1")),                                  # 1 / 2
        ("A3", D("2"), D("1")), ("A3", D("0.5"), D("0.25")),                             # 1.25 / 2.5
        ("A3", D("25"), None),      # marked by people later: not in the report yet
        ("", D("1"), D("0")),       # no area: nowhere to put it
        ("A4", D("10"), None),      # an area with nothing scored is no area of the report
        ("A5", D("2"), D("1.2")), ("A5", D("3"), D("1.8")),                              # 3 / 5: exactly the line
        ("A6", D("5"), D("2.99")),                                                       # just below
    ]
    report = rules.gap_report(scores, pass_rate=D("0.6"))
    assert report == [
        (AreaGap("A2", D("1"), D("2"), 2, 1), True),      # 0.5, tied with A3: the codes' order
        (AreaGap("A3", D("1.25"), D("2.5"), 2, 2), True),  # 0.5
        (AreaGap("A1", D("1.75"), D("3"), 3, 2), True),    # 0.5833
        (AreaGap("A6", D("2.99"), D("5"), 1, 1), True),    # 0.598
        (AreaGap("A5", D("3"), D("5"), 2, 2), False),      # 0.6 is not below 0.6
    ]
    rates = [(gap.rate, gap.percent) for gap, _below in report]
    assert rates == [(D("0.5"), 50), (D("0.5"), 50), (D("0.5833"), 58), (D("0.598"), 60), (D("0.6"), 60)]


def test_gap_report_of_nothing_scored_is_empty():
    assert rules.gap_report([], pass_rate=D("0.6")) == []
    assert rules.gap_report([("A1", D("25"), None), ("", D("1"), D("1"))], pass_rate=D("0.6")) == []


def test_an_area_worth_nothing_has_rate_zero():
    [(gap, below)] = rules.gap_report([("A1", D("0"), D("0"))], pass_rate=D("0.6"))
    assert (gap.rate, gap.percent, gap.items, gap.wrong, below) == (D("0"), 0, 1, 0, True)


def test_percent_rounds_half_up():
    assert AreaGap("A1", D("1"), D("8"), 1, 1).percent == 13  # 12.5
    assert AreaGap("A1", D("2"), D("3"), 1, 1).percent == 67
    assert AreaGap("A1", D("1"), D("3"), 1, 1).rate == D("0.3333")


def test_gap_report_invariants_over_many_random_papers():
    for seed in range(300):
        rnd = random.Random(seed)
        scores = []
        for _ in range(rnd.randint(0, 60)):
            maximum = rnd.choice([D("0.5"), D("1"), D("1.5"), D("2"), D("25")])
            awarded = rnd.choice([None, D("0"), maximum, maximum / 2])
            scores.append((rnd.choice(["A1", "A2", "A3", "B1", ""]), maximum, awarded))
        pass_rate = rnd.choice([D("0.5"), D("0.6"), D("0.75")])
        report = rules.gap_report(scores, pass_rate=pass_rate)
        counted = [s for s in scores if s[0] and s[2] is not None]
        assert sum(gap.items for gap, _ in report) == len(counted)
        assert {gap.area_code for gap, _ in report} == {s[0] for s in counted}
        assert sum(gap.awarded for gap, _ in report) == sum(s[2] for s in counted)
        assert sum(gap.maximum for gap, _ in report) == sum(s[1] for s in counted)
        assert sum(gap.wrong for gap, _ in report) == sum(1 for s in counted if s[2] < s[1])
        keys = [(gap.rate, gap.area_code) for gap, _ in report]
        assert keys == sorted(keys)  # weakest first, ties by code
        assert all(below == (gap.rate < pass_rate) for gap, below in report)
        assert all(D(0) <= gap.rate <= D(1) for gap, _ in report)
        assert rules.gap_report(reversed(scores), pass_rate=pass_rate) == report  # the input's order doesn't matter


def test_trend_points():
    assert rules.trend_points([], maximum=D("100")) == []
    assert rules.trend_points([D("50")], maximum=D("0")) == []
    assert rules.trend_points([D("50")], maximum=D("100")) == [(24.0, 80.0)]
    assert rules.trend_points([D("0"), D("100")], maximum=D("100")) == [(24.0, 136.0), (536.0, 24.0)]
    assert rules.trend_points([D("50"), D("75"), D("100")], maximum=D("100")) == [
        (24.0, 80.0), (280.0, 52.0), (536.0, 24.0)]
    assert rules.trend_points([D("60")], maximum=D("100")) == [(24.0, 68.8)]
    assert rules.trend_points([D("1"), D("2")], maximum=D("4"), width=100, height=100, pad=10) == [
        (10.0, 70.0), (90.0, 50.0)]


def test_paper_scorer_memoizes_by_the_stored_text_and_scales_to_the_slot():
    calls = []

    def single(value):
        calls.append(value)
        return D(2) if value == "b" else D(0)

    scorer = rules.PaperScorer([("q1", 11, D("1.5")), ("q2", 12, D(3)), ("q3", 13, D(5))],
                               {11: (D(2), single), 12: (D(3), lambda v: D(3) if v else D(0)),
                                13: (D(5), None)})
    assert scorer.objective_max == D("4.5")
    first, total = scorer.score({"q1": '"b"', "q2": "true"})
    assert first == {"q1": "1.50", "q2": "3", "q3": None} and total == D("4.50")
    again, _ = scorer.score({"q1": '"b"', "q2": "true"})
    assert again == first and calls == ["b"]  # the same stored answer is decoded and scored once
    blank, total = scorer.score({})
    assert blank == {"q1": "0.00", "q2": "0", "q3": None} and total == 0
