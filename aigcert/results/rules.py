"""Pure rules of results: the release moment, the re-check window, and a result's totals by section and by
standard area with the pass decision. No database; tested without one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

ZERO = Decimal(0)


def release_at(exam_day: date, *, delay_days: int, at: time, tz: tzinfo) -> datetime:
    """When a session's results appear: the program's delay after the exam day, at the policy's local time."""
    return datetime.combine(exam_day + timedelta(days=delay_days), at, tzinfo=tz)


def recheck_open(released_at: datetime | None, moment: datetime, *, window_days: int) -> bool:
    """Whether a re-check may still be asked for: the results are out and the window hasn't closed."""
    return released_at is not None and released_at <= moment < released_at + timedelta(days=window_days)


@dataclass(frozen=True)
class Part:
    code: str
    awarded: Decimal
    maximum: Decimal

    @property
    def percent(self) -> int:
        return int(self.awarded * 100 / self.maximum) if self.maximum else 0

    def as_json(self) -> dict:
        return {"code": self.code, "awarded": str(self.awarded), "maximum": str(self.maximum)}


@dataclass(frozen=True)
class Totals:
    total: Decimal
    maximum: Decimal
    sections: tuple[Part, ...]  # by item type, in the paper's order
    areas: tuple[Part, ...]     # by standard area, by code
    passed: bool
    complete: bool              # every item has its score


class PaperTotals:
    """A paper's shape, worked out once: its items' sections, areas and maxima. ``of`` then adds up one
    candidate's points by section and by area (a session's thousands of results share a handful of papers)."""

    def __init__(self, items: Iterable[tuple[str, str, Decimal]]):
        self.items = list(items)  # (item type, area code, maximum), in the paper's order
        self.maximum = sum((m for _t, _a, m in self.items), ZERO)
        self.sections = self._groups(0)
        self.areas = sorted(self._groups(1), key=lambda group: group[0])

    def _groups(self, key: int) -> list[tuple[str, list[int], Decimal]]:
        groups: dict[str, list[int]] = {}
        for index, item in enumerate(self.items):
            if item[key]:
                groups.setdefault(item[key], []).append(index)
        return [(code, indices, sum((self.items[i][2] for i in indices), ZERO)) for code, indices in groups.items()]

    def of(self, awarded: list[Decimal | None], *, pass_line: Decimal) -> Totals:
        """The result from each item's points (in the paper's order; None where an item has no score yet, which
        makes the result incomplete and never a pass)."""
        complete = None not in awarded
        values = awarded if complete else [ZERO if v is None else v for v in awarded]
        total = sum(values, ZERO)
        def parts(groups: list[tuple[str, list[int], Decimal]]) -> tuple[Part, ...]:
            return tuple(Part(code, sum((values[i] for i in indices), ZERO), maximum)
                         for code, indices, maximum in groups)

        return Totals(total=total, maximum=self.maximum, sections=parts(self.sections), areas=parts(self.areas),
                      passed=complete and total >= pass_line, complete=complete)


def totals(items: Iterable[tuple[str, str, Decimal, Decimal | None]], *, pass_line: Decimal) -> Totals:
    """(item type, area code, maximum, awarded) per item of the paper → the result. An item still without a
    score makes the result incomplete (and never a pass)."""
    rows = list(items)
    return PaperTotals((t, a, m) for t, a, m, _v in rows).of([v for *_rest, v in rows], pass_line=pass_line)
