"""Pure arithmetic of scores: scaling an item's score to its slot, the pass line, and the gap report by area."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
CENT = Decimal("0.01")


def scaled(score: Decimal, *, item_points: Decimal, slot_points: Decimal) -> Decimal:
    """An item's score in its paper's points: a 2-point item in a 1.5-point slot earns 1.5 × its share."""
    if item_points <= 0:
        return ZERO
    if item_points == slot_points:
        return score
    return (score * slot_points / item_points).quantize(CENT, rounding=ROUND_HALF_UP)


def pass_line(*, pass_mark: int, total_score: int, paper_max: Decimal) -> Decimal:
    """The pass mark in this paper's points (the policy's 60 of 100 is 60% of whatever the paper is worth)."""
    if total_score <= 0:
        return ZERO
    return (Decimal(pass_mark) * paper_max / Decimal(total_score)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AreaGap:
    area_code: str
    awarded: Decimal
    maximum: Decimal
    items: int
    wrong: int

    @property
    def rate(self) -> Decimal:
        """Share of the area's points earned, 0–1, to four places."""
        return (self.awarded / self.maximum).quantize(Decimal("0.0001")) if self.maximum else ZERO

    @property
    def percent(self) -> int:
        return int((self.rate * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def gap_report(scores: Iterable[tuple[str, Decimal, Decimal | None]], *,
               pass_rate: Decimal) -> list[tuple[AreaGap, bool]]:
    """(area, maximum, awarded) per item → areas weakest first, each with whether it is below the pass rate.

    Items not scored yet (awarded None: people mark them) are left out; so are items with no area. Ties keep
    the area codes' order so the report is stable."""
    totals: dict[str, list] = {}
    for area, maximum, awarded in scores:
        if awarded is None or not area:
            continue
        entry = totals.setdefault(area, [ZERO, ZERO, 0, 0])
        entry[0] += awarded
        entry[1] += maximum
        entry[2] += 1
        entry[3] += 1 if awarded < maximum else 0
    gaps = [AreaGap(area, v[0], v[1], v[2], v[3]) for area, v in totals.items()]
    gaps.sort(key=lambda g: (g.rate, g.area_code))
    return [(g, g.rate < pass_rate) for g in gaps]


def trend_points(scores: list[Decimal], *, maximum: Decimal, width: int = 560, height: int = 160,
                 pad: int = 24) -> list[tuple[float, float]]:
    """Where each score sits on a chart of the given size (oldest left), for an SVG polyline."""
    if not scores or maximum <= 0:
        return []
    step = (width - 2 * pad) / max(1, len(scores) - 1)
    return [(round(pad + i * step, 1), round(height - pad - float(s / maximum) * (height - 2 * pad), 1))
            for i, s in enumerate(scores)]


class PaperScorer:
    """Scores the objective items of one frozen paper, memoizing by the stored answer text: a session's thousands
    of attempts give each slot only a handful of distinct answers, so each is decoded and scored once.

    ``items`` are the paper's (slot, version id, slot points); ``scorers`` map a version id to (the item's own
    points, a function scoring a decoded answer), the function None where people or the judge score."""

    def __init__(self, items: Iterable[tuple[str, int, Decimal]],
                 scorers: dict[int, tuple[Decimal, Callable[[Any], Decimal] | None]]):
        self.slots: list[tuple[str, Decimal, Decimal, Callable[[Any], Decimal] | None]] = []
        for slot, version_id, slot_points in items:
            item_points, score = scorers[version_id]
            self.slots.append((slot, slot_points, item_points, score))
        self._memo: dict[tuple[str, str | None], tuple[str, Decimal]] = {}

    @property
    def objective_max(self) -> Decimal:
        return sum((points for _slot, points, _item, score in self.slots if score is not None), ZERO)

    def score(self, answers: dict[str, str | None]) -> tuple[dict[str, str | None], Decimal]:
        """(slot → points earned as text, None where not objective; the objective total) of one attempt whose
        stored answers (JSON text, absent when never answered) are given by slot."""
        result: dict[str, str | None] = {}
        total = ZERO
        memo = self._memo
        for slot, slot_points, item_points, score in self.slots:
            if score is None:
                result[slot] = None
                continue
            raw = answers.get(slot)
            key = (slot, raw)
            earned = memo.get(key)
            if earned is None:
                value = json.loads(raw) if raw is not None else None
                points = scaled(score(value), item_points=item_points, slot_points=slot_points)
                earned = memo[key] = (str(points), points)
            result[slot] = earned[0]
            total += earned[1]
        return result, total
