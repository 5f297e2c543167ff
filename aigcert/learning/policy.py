"""Learning's own numbers, from its data file (data/learning.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class LearningPolicy:
    practice_set_size: int
    practice_recent_sets: int
    question_max_chars: int
    file_max_mb: int


@cache
def learning_policy() -> LearningPolicy:
    raw = yaml.safe_load((DATA_DIR / "learning.yaml").read_text(encoding="utf-8"))
    return LearningPolicy(**raw["policy"])


@dataclass(frozen=True)
class PathStep:
    code: str
    lesson: tuple[str, str] | None  # (program code, lesson code)
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class PathStage:
    code: str
    days: int
    title_zh: str
    title_en: str
    steps: tuple[PathStep, ...]


@dataclass(frozen=True)
class LearningPath:
    code: str
    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    stages: tuple[PathStage, ...]


def _step(raw: dict) -> PathStep:
    lesson = None
    if raw.get("lesson"):
        program, code = raw["lesson"].split("/")
        lesson = (program, code)
    title = raw.get("title") or {}
    return PathStep(code=raw["code"], lesson=lesson, title_zh=title.get("zh", ""), title_en=title.get("en", ""))


@cache
def learning_paths() -> dict[str, LearningPath]:
    raw = yaml.safe_load((DATA_DIR / "paths.yaml").read_text(encoding="utf-8"))
    paths = {}
    for p in raw["paths"]:
        stages = tuple(PathStage(code=s["code"], days=int(s["days"]), title_zh=s["title"]["zh"],
                                 title_en=s["title"]["en"], steps=tuple(_step(x) for x in s["steps"]))
                       for s in p["stages"])
        paths[p["code"]] = LearningPath(code=p["code"], title_zh=p["title"]["zh"], title_en=p["title"]["en"],
                                        summary_zh=p["summary"]["zh"], summary_en=p["summary"]["en"], stages=stages)
    return paths


def demo_lesson_files() -> list[Path]:
    return sorted((DATA_DIR / "lessons").glob("*.yaml"))
