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


@dataclass(frozen=True)
class CriterionData:
    name: str
    levels: tuple[tuple[str, Decimal, str], ...]  # (label, points, description)


@dataclass(frozen=True)
class ReviewData:
    """What a candidate may see of a version after a mock exam: the key, the explanation and, for items people
    mark, the rubric and a reference answer. Never part of a paper."""

    id: int
    item_code: str
    item_type: str
    points: Decimal
    objective: bool
    key: tuple[str, ...]            # option ids, "true"/"false", or one accepted answer per blank
    key_display: tuple[str, ...]    # option letters in the bank's order, or the answers as text
    explanation_html: str
    rubric: tuple[CriterionData, ...]
    reference: str                  # a reference prompt or solution, where the item has one
    stem_text: str


@dataclass(frozen=True)
class ProgramSpecData:
    """What the judge needs of a programming item. Never sent to a browser (the tests are the key)."""

    language: str
    tests: tuple[tuple[str, str, Decimal], ...]  # (input, expected output, points)
    time_limit_ms: int | None
    memory_limit_mb: int | None
