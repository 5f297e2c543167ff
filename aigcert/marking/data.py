"""Frozen views of marking for results and the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RecheckData:
    code: str
    attempt_code: str
    state: str
    state_label: str
    outcome: str
    outcome_label: str
    reason: str
    resolution: str
    created_at: datetime
    resolved_at: datetime | None
    changes: list[dict]


@dataclass(frozen=True)
class MarkingStateData:
    scripts: int
    done: int

    @property
    def finished(self) -> bool:
        return self.done >= self.scripts
