"""The marking policy (data/marking.yaml): read once, validated, merged per program."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

POLICY_FILE = Path(__file__).parent / "data" / "marking.yaml"


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tolerance_share: Decimal = Field(ge=0, le=1)
    step: Decimal = Field(gt=0, le=10)
    final_rule: Literal["mean", "lower", "higher"]
    lock_minutes: int = Field(ge=1, le=24 * 60)
    gold_every: int = Field(ge=0, le=1000)
    drift_min_golds: int = Field(ge=1, le=1000)
    drift_min_adjacent: Decimal = Field(ge=0, le=1)
    ai_check: bool


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: Policy
    programs: dict[str, dict] = {}


@dataclass(frozen=True)
class MarkingPolicy:
    tolerance_share: Decimal
    step: Decimal
    final_rule: str
    lock_minutes: int
    gold_every: int
    drift_min_golds: int
    drift_min_adjacent: Decimal
    ai_check: bool


@cache
def _file() -> PolicyFile:
    return PolicyFile.model_validate(yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8")))


@cache
def marking_policy(program_code: str) -> MarkingPolicy:
    data = _file()
    merged = {**data.default.model_dump(), **data.programs.get(program_code, {})}
    return MarkingPolicy(**Policy.model_validate(merged).model_dump())
