"""Frozen views of attempts for other apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AttemptData:
    pk: int
    code: str
    candidate_id: int
    program_code: str
    kind: str
    number: int
    paper_id: int
    session_code: str
    state: str
    started_at: datetime
    deadline_at: datetime
    closed_at: datetime | None
    closed_by_server: bool
    order: dict[str, Any]
    answered_count: int
    answers_hash: str

    @property
    def closed(self) -> bool:
        return self.state != "open"
