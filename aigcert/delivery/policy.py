"""The exam-day policy (data/exam_day.yaml): read once, validated, merged per program."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

POLICY_FILE = Path(__file__).parent / "data" / "exam_day.yaml"

INTEGRITY_KINDS = ("focus_lost", "visibility_hidden", "fullscreen_exit", "paste", "second_login", "ip_changed",
                   "ua_changed")
CLIENT_KINDS = ("focus_lost", "visibility_hidden", "fullscreen_exit", "paste")  # the player may report these


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rule(_Strict):
    action: Literal["count", "warn", "notify"]
    after: int = Field(default=1, ge=1, le=1000)


class Policy(_Strict):
    check_in_opens_minutes: int = Field(ge=0, le=24 * 60)
    latest_entry_minutes: int = Field(ge=0, le=600)
    approval_required: bool
    stagger_seconds: int = Field(ge=0, le=600)
    integrity: dict[Literal[INTEGRITY_KINDS], Rule]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def every_kind_has_a_rule(self):
        missing = sorted(set(INTEGRITY_KINDS) - set(self.integrity))
        if missing:
            raise ValueError(f"integrity rules missing for: {', '.join(missing)}")
        return self


class PolicyFile(_Strict):
    default: Policy
    programs: dict[str, dict] = {}


@dataclass(frozen=True)
class ExamDayPolicy:
    check_in_opens_minutes: int
    latest_entry_minutes: int
    approval_required: bool
    stagger_seconds: int
    integrity: dict[str, tuple[str, int]]  # kind → (action, after)


@cache
def _file() -> PolicyFile:
    return PolicyFile.model_validate(yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8")))


@cache
def exam_day_policy(program_code: str) -> ExamDayPolicy:
    """The policy of one program: the default with the program's overrides (validated the same way)."""
    data = _file()
    merged = data.default.model_dump()
    override = data.programs.get(program_code, {})
    for key, value in override.items():
        merged[key] = {**merged[key], **value} if key == "integrity" else value
    policy = Policy.model_validate(merged)
    return ExamDayPolicy(
        check_in_opens_minutes=policy.check_in_opens_minutes, latest_entry_minutes=policy.latest_entry_minutes,
        approval_required=policy.approval_required, stagger_seconds=policy.stagger_seconds,
        integrity={kind: (rule.action, rule.after) for kind, rule in policy.integrity.items()})
