"""The results policy (data/results.yaml): read once, validated, merged per program."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

POLICY_FILE = Path(__file__).parent / "data" / "results.yaml"


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    release_time: time
    recheck_window_days: int = Field(ge=0, le=365)


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: Policy
    programs: dict[str, dict] = {}


@dataclass(frozen=True)
class ResultsPolicy:
    release_time: time
    recheck_window_days: int


@cache
def _file() -> PolicyFile:
    return PolicyFile.model_validate(yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8")))


@cache
def results_policy(program_code: str) -> ResultsPolicy:
    data = _file()
    merged = {**data.default.model_dump(), **data.programs.get(program_code, {})}
    return ResultsPolicy(**Policy.model_validate(merged).model_dump())
