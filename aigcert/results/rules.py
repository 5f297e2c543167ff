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


def totals(items: Iterable[tuple[str, str, Decimal, Decimal | None]], *, pass_line: Decimal) -> Totals:
    """(item type, area code, maximum, awarded) per item of the paper → the result. An item still without a
    score makes the result incomplete (and never a pass)."""
    total = maximum = ZERO
    sections: dict[str, list[Decimal]] = {}
    areas: dict[str, list[Decimal]] = {}
    complete = True
    for item_type, area, item_max, awarded in items:
        if awarded is None:
            complete = False
            awarded = ZERO
        total += awarded
        maximum += item_max
        for key, parts in ((item_type, sections), (area, areas)):
            if not key:
                continue
            entry = parts.setdefault(key, [ZERO, ZERO])
            entry[0] += awarded
            entry[1] += item_max
    return Totals(total=total, maximum=maximum,
                  sections=tuple(Part(code, v[0], v[1]) for code, v in sections.items()),
                  areas=tuple(Part(code, v[0], v[1]) for code, v in sorted(areas.items())),
                  passed=complete and total >= pass_line, complete=complete)
