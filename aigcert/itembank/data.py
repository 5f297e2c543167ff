"""Frozen views of item versions for other apps (exams assemble papers from them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class VersionData:
    id: int
    code: str
    item_code: str
    item_type: str
    points: Decimal
    difficulty: int
    standards: tuple[str, ...]
