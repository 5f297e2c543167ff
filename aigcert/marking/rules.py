"""Pure rules of marking: when two marks agree, what the final mark is, when a script goes to a third marker or
the chief marker, what counts as a valid criterion score, and how markers agree with gold scripts and each other.
No database; tested without one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")

# Script states.
DOUBLE, THIRD, CHIEF, DONE = "double", "third", "chief", "done"
# Why a script's final mark is what it is, or why it went further.
AGREED, DISAGREED, AI_CHECK, ARBITRATED, RECHECKED = "agreed", "disagreed", "ai_check", "arbitrated", "rechecked"
# How an agreeing pair becomes the final mark (the exam office chooses per program; arbitration overrides).
MEAN, LOWER, HIGHER = "mean", "lower", "higher"
FINAL_RULES = (MEAN, LOWER, HIGHER)


def combine(a: Decimal, b: Decimal, rule: str) -> Decimal:
    if rule == LOWER:
        return min(a, b)
    if rule == HIGHER:
        return max(a, b)
    return ((a + b) / 2).quantize(CENT, rounding=ROUND_HALF_UP)


def agree(a: Decimal, b: Decimal, tolerance: Decimal) -> bool:
    return abs(a - b) <= tolerance


@dataclass(frozen=True)
class Decision:
    state: str            # DOUBLE (still waiting), THIRD, CHIEF or DONE
    final: Decimal | None  # set when DONE
    reason: str           # AGREED, DISAGREED, AI_CHECK, ARBITRATED, or "" while waiting
    pair: tuple[int, int] | None = None  # which of the marks (by position) agreed, when an agreeing pair decided


def decide(*, marks: Sequence[Decimal], tolerance: Decimal, rule: str = MEAN, chief: Decimal | None = None,
           ai: Decimal | None = None, ai_checked: bool = False) -> Decision:
    """The next step for a script from its independent marks so far (first, second, third, in order).

    - The chief marker's mark, once given, is final (arbitration overrides).
    - Two marks within the tolerance agree: the final is the pair combined by ``rule``. If an AI check is given
      (``ai``: its total, only when usable) and differs from that by more than the tolerance, the script goes to
      a third marker once (``ai_checked`` says it already went).
    - Two marks apart go to a third marker. With three marks, the closest pair within the tolerance decides;
      after an AI check the third mark must also agree with the pair's final. Otherwise the chief arbitrates.
    """
    if chief is not None:
        return Decision(DONE, chief, ARBITRATED)
    if len(marks) < 2:
        return Decision(DOUBLE, None, "")
    first, second = marks[0], marks[1]
    if len(marks) == 2:
        if not agree(first, second, tolerance):
            return Decision(THIRD, None, DISAGREED)
        final = combine(first, second, rule)
        if ai is not None and not ai_checked and not agree(ai, final, tolerance):
            return Decision(THIRD, None, AI_CHECK)
        return Decision(DONE, final, AGREED, (0, 1))
    third = marks[2]
    if agree(first, second, tolerance):  # the third marker came for the AI check
        final = combine(first, second, rule)
        if agree(third, final, tolerance):
            return Decision(DONE, final, AGREED, (0, 1))
        return Decision(CHIEF, None, AI_CHECK)
    pairs = [(abs(first - third), 0, first), (abs(second - third), 1, second)]
    gap, position, partner = min(pairs)
    if gap <= tolerance:
        return Decision(DONE, combine(partner, third, rule), AGREED, (position, 2))
    return Decision(CHIEF, None, DISAGREED)


def tolerance_for(max_points: Decimal, share: Decimal, step: Decimal) -> Decimal:
    """The largest gap between two marks that still agree: a share of the item's points, never below one step."""
    raw = (max_points * share).quantize(CENT, rounding=ROUND_HALF_UP)
    return max(raw, step)


def criterion_problem(points: Decimal, maximum: Decimal, step: Decimal) -> str:
    """'' when ``points`` is a valid score for a criterion worth ``maximum``; else a code saying why not."""
    if points < 0 or points > maximum:
        return "out_of_range"
    if step > 0 and (points / step) != (points / step).to_integral_value():
        return "not_a_step"
    return ""


# ── agreement ────────────────────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Agreement:
    pairs: int
    exact: Decimal     # share of pairs with the same total
    adjacent: Decimal  # share within one point
    qwk: Decimal | None  # quadratic weighted kappa over whole points; None when undefined

    @property
    def exact_percent(self) -> int:
        return int((self.exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def adjacent_percent(self) -> int:
        return int((self.adjacent * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quadratic_weighted_kappa(pairs: Sequence[tuple[Decimal, Decimal]], maximum: Decimal) -> Decimal | None:
    """Cohen's kappa with quadratic weights over whole-point categories 0..maximum (Fleiss & Cohen 1973).
    1 is perfect agreement, 0 what chance gives; None when there are no pairs or no spread to agree about."""
    if not pairs:
        return None
    size = max(_whole(maximum), max(max(_whole(a), _whole(b)) for a, b in pairs)) + 1
    observed = [[0] * size for _ in range(size)]
    for a, b in pairs:
        observed[_whole(a)][_whole(b)] += 1
    n = len(pairs)
    rows = [sum(observed[i]) for i in range(size)]
    cols = [sum(observed[i][j] for i in range(size)) for j in range(size)]
    numerator = denominator = 0.0
    span = (size - 1) ** 2 or 1
    for i in range(size):
        for j in range(size):
            weight = (i - j) ** 2 / span
            numerator += weight * observed[i][j]
            denominator += weight * rows[i] * cols[j] / n
    if denominator == 0:
        return None
    return Decimal(1 - numerator / denominator).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def agreement(pairs: Sequence[tuple[Decimal, Decimal]], maximum: Decimal) -> Agreement:
    """How two sets of marks of the same scripts agree: (marker, other) totals per script."""
    n = len(pairs)
    if n == 0:
        return Agreement(0, ZERO, ZERO, None)
    exact = sum(1 for a, b in pairs if a == b)
    adjacent = sum(1 for a, b in pairs if abs(a - b) <= 1)
    share = Decimal("0.0001")
    return Agreement(n, (Decimal(exact) / n).quantize(share), (Decimal(adjacent) / n).quantize(share),
                     quadratic_weighted_kappa(pairs, maximum))


def drifting(gold: Agreement, *, min_pairs: int, min_adjacent: Decimal) -> bool:
    """Whether a marker's agreement with gold scripts is low enough for the chief marker to look (never acted on
    automatically: the chief decides whether to stop them)."""
    return gold.pairs >= min_pairs and gold.adjacent < min_adjacent


def gold_due(real_marks: int, every: int) -> bool:
    """Whether the next script a marker takes should be a gold one: after every ``every - 1`` real scripts."""
    return every > 0 and (real_marks + 1) % every == 0
