"""Pure rules of learning: course completion, the day-by-day plan of a learning path, drawing practice items."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


def completion_percent(completed: int, total: int) -> int:
    """Whole percent of a course's lessons completed; 0 for a course without lessons. Never 100 until all are."""
    if total <= 0:
        return 0
    percent = math.floor(100 * completed / total)
    return 100 if completed >= total else min(percent, 99)


@dataclass(frozen=True)
class StageSpec:
    code: str
    days: int
    step_codes: tuple[str, ...]


@dataclass(frozen=True)
class ScheduledStep:
    code: str
    stage_code: str
    due: date


def path_schedule(start: date, stages: Sequence[StageSpec]) -> list[ScheduledStep]:
    """Each stage starts when the one before ends; its steps are spread evenly over its days, the last step due on
    the stage's last day. A stage of n steps over d days puts step i (1-based) on day ceil(i·d/n)."""
    steps: list[ScheduledStep] = []
    offset = 0
    for stage in stages:
        count = len(stage.step_codes)
        for number, code in enumerate(stage.step_codes, start=1):
            day = math.ceil(number * stage.days / count)
            steps.append(ScheduledStep(code=code, stage_code=stage.code, due=start + timedelta(days=offset + day - 1)))
        offset += stage.days
    return steps


@dataclass(frozen=True)
class PlanStanding:
    due: int  # steps due by today (inclusive)
    done: int
    total: int

    @property
    def difference(self) -> int:
        """Steps ahead of the plan (positive) or behind it (negative)."""
        return self.done - self.due

    @property
    def behind(self) -> int:
        return max(0, -self.difference)

    @property
    def ahead(self) -> int:
        return max(0, self.difference)

    @property
    def state(self) -> str:
        if self.done >= self.total:
            return "finished"
        if self.difference < 0:
            return "behind"
        if self.difference > 0:
            return "ahead"
        return "on_track"


def plan_standing(schedule: Sequence[ScheduledStep], done_codes: set[str] | frozenset[str],
                  today: date) -> PlanStanding:
    done = sum(1 for step in schedule if step.code in done_codes)
    due = sum(1 for step in schedule if step.due <= today)
    return PlanStanding(due=due, done=done, total=len(schedule))


def practice_draw(candidates: Sequence[int], size: int, *, recent: set[int] | frozenset[int] = frozenset(),
                  rng: random.Random | None = None) -> list[int]:
    """Up to ``size`` distinct item versions, preferring ones the candidate hasn't practised recently."""
    rng = rng or random.Random()
    fresh = [v for v in candidates if v not in recent]
    seen = [v for v in candidates if v in recent]
    rng.shuffle(fresh)
    rng.shuffle(seen)
    return (fresh + seen)[:size]
