"""The pure marking rules: double marking, third marking, arbitration, the AI check, valid scores, agreement."""

from decimal import Decimal as D

import pytest

from aigcert.marking import rules


@pytest.mark.parametrize(("marks", "kwargs", "expected"), [
    ([], {}, (rules.DOUBLE, None, "")),
    ([D(20)], {}, (rules.DOUBLE, None, "")),
    # two marks within the tolerance agree: the mean, the lower or the higher by the item's rule
    ([D(20), D(23)], {}, (rules.DONE, D("21.50"), rules.AGREED)),
    ([D(20), D(23)], {"rule": rules.LOWER}, (rules.DONE, D(20), rules.AGREED)),
    ([D(20), D(23)], {"rule": rules.HIGHER}, (rules.DONE, D(23), rules.AGREED)),
    # exactly at the tolerance still agrees; past it goes to a third marker
    ([D(20), D(24)], {}, (rules.DONE, D(22), rules.AGREED)),
    ([D(20), D("24.5")], {}, (rules.THIRD, None, rules.DISAGREED)),
    # the third mark sides with the closer of the two
    ([D(10), D(20), D(19)], {}, (rules.DONE, D("19.50"), rules.AGREED)),
    ([D(10), D(20), D(12)], {}, (rules.DONE, D(11), rules.AGREED)),
    # still apart: the chief marker arbitrates
    ([D(10), D(20), D(15)], {}, (rules.CHIEF, None, rules.DISAGREED)),
    # the chief's mark overrides everything
    ([D(10), D(20), D(15)], {"chief": D(14)}, (rules.DONE, D(14), rules.ARBITRATED)),
    # an AI check that differs from the agreed mark by more than the tolerance asks for one more human, once
    ([D(20), D(22)], {"ai": D(8)}, (rules.THIRD, None, rules.AI_CHECK)),
    ([D(20), D(22)], {"ai": D(24)}, (rules.DONE, D(21), rules.AGREED)),
    ([D(20), D(22)], {"ai": D(8), "ai_checked": True}, (rules.DONE, D(21), rules.AGREED)),
    ([D(20), D(22), D(19)], {"ai": D(8), "ai_checked": True}, (rules.DONE, D(21), rules.AGREED)),
    ([D(20), D(22), D(9)], {"ai": D(8), "ai_checked": True}, (rules.CHIEF, None, rules.AI_CHECK)),
])
def test_decide(marks, kwargs, expected):
    decision = rules.decide(marks=marks, tolerance=D(4), **kwargs)
    assert (decision.state, decision.final, decision.reason) == expected


def test_tolerance_is_a_share_of_the_points_never_below_one_step():
    assert rules.tolerance_for(D(30), D("0.15"), D("0.5")) == D("4.50")
    assert rules.tolerance_for(D(2), D("0.15"), D("0.5")) == D("0.5")


@pytest.mark.parametrize(("points", "problem"), [
    (D(0), ""), (D("5.5"), ""), (D(8), ""), (D("8.5"), "out_of_range"), (D(-1), "out_of_range"),
    (D("2.25"), "not_a_step"),
])
def test_criterion_scores_must_be_steps_within_the_rubric(points, problem):
    assert rules.criterion_problem(points, D(8), D("0.5")) == problem


def test_kappa_is_one_for_perfect_agreement_and_zero_or_below_for_none():
    perfect = [(D(a), D(a)) for a in (0, 3, 5, 8, 10)]
    assert rules.quadratic_weighted_kappa(perfect, D(10)) == D(1)
    # marks that run opposite to each other agree worse than chance
    opposite = [(D(a), D(10 - a)) for a in (0, 2, 8, 10)]
    assert rules.quadratic_weighted_kappa(opposite, D(10)) < 0
    assert rules.quadratic_weighted_kappa([], D(10)) is None


def test_kappa_matches_a_hand_computed_value():
    # 3 categories (0, 1, 2); observed pairs; hand computation: weights (i-j)^2/4.
    pairs = [(D(0), D(0)), (D(1), D(1)), (D(2), D(1)), (D(2), D(2))]
    # rows: [1,1,2], cols: [1,2,1]; observed weighted disagreement = 0.25;
    # expected = sum w_ij r_i c_j / n = (0.25*(1*2+1*1+2*2+1*1... computed below)
    rows, cols, n = [1, 1, 2], [1, 2, 1], 4
    expected = sum(((i - j) ** 2 / 4) * rows[i] * cols[j] / n for i in range(3) for j in range(3))
    assert rules.quadratic_weighted_kappa(pairs, D(2)) == D(str(round(1 - 0.25 / expected, 3)))


def test_agreement_counts_exact_and_within_one_point():
    a = rules.agreement([(D(5), D(5)), (D(5), D(6)), (D(5), D(8)), (D("4.5"), D("4.5"))], D(10))
    assert (a.pairs, a.exact_percent, a.adjacent_percent) == (4, 50, 75)


def test_gold_is_due_after_every_n_minus_one_real_scripts():
    assert [rules.gold_due(n, 4) for n in range(8)] == [False, False, False, True, False, False, False, True]
    assert not any(rules.gold_due(n, 0) for n in range(10))


def test_drifting_needs_enough_golds():
    poor = rules.agreement([(D(0), D(10))] * 3, D(10))
    assert rules.drifting(poor, min_pairs=3, min_adjacent=D("0.8"))
    assert not rules.drifting(poor, min_pairs=4, min_adjacent=D("0.8"))
