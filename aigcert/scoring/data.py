"""Frozen views of scores for the apps above scoring."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class SessionScoringData:
    session_code: str
    program_code: str
    state: str
    state_label: str
    attempts_total: int
    attempts_scored: int
    error: str
    frozen: bool
    judge_unavailable: int
    overrides: dict[str, int]

    @property
    def done(self) -> bool:
        return self.state == "done"


@dataclass(frozen=True)
class FormalScoreData:
    attempt_code: str
    attempt_pk: int
    candidate_id: int
    slots: dict[str, str | None]  # slot → points earned as text; None where people mark it
    paper_max: Decimal


@dataclass(frozen=True)
class MachineOutputData:
    kind: str        # "judge" | "prompt"
    state: str       # "pending" | "running" | "done" | "unavailable"
    result: dict[str, Any]
    message: str
