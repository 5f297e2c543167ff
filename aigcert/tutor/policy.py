from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class TutorPolicy:
    question_max_chars: int
    passages_shown: int
    passages_to_model: int
    related_practice: int
    min_score: float
    per_minute: int
    per_day: int
    answer_max_tokens: int
    streams_per_process: int


@cache
def tutor_policy() -> TutorPolicy:
    raw = yaml.safe_load((Path(__file__).parent / "data" / "tutor.yaml").read_text(encoding="utf-8"))
    return TutorPolicy(**raw["policy"])
