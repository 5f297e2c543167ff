"""The talent database's numbers, consent text, regions and the credit-code alphabet, from its data files."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.utils.translation import get_language

DATA_DIR = Path(__file__).parent / "data"


def _load(name: str) -> dict:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


def english() -> bool:
    return (get_language() or "").startswith("en")


@dataclass(frozen=True)
class TalentPolicy:
    bio_max_chars: int
    links_max: int
    link_max_chars: int
    position_max_chars: int
    message_max_chars: int
    reply_max_chars: int
    organization_max_chars: int
    page_size: int
    max_page: int
    skills_max_filter: int


@dataclass(frozen=True)
class TalentLimits:
    searches_per_minute: int
    searches_per_day: int
    profile_views_per_day: int
    contact_requests_per_day: int


@dataclass(frozen=True)
class ConsentText:
    version: str
    text_zh: str
    text_en: str

    @property
    def text(self) -> str:
        return self.text_en if english() else self.text_zh


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_en if english() else self.name_zh


@dataclass(frozen=True)
class UsccScheme:
    alphabet: str
    weights: tuple[int, ...]
    length: int


@cache
def talent_policy() -> TalentPolicy:
    return TalentPolicy(**_load("talent.yaml")["policy"])


@cache
def talent_limits() -> TalentLimits:
    return TalentLimits(**_load("talent.yaml")["limits"])


@cache
def consent_text() -> ConsentText:
    raw = _load("talent.yaml")["consent"]
    return ConsentText(version=str(raw["version"]), text_zh=raw["text"]["zh"], text_en=raw["text"]["en"])


@cache
def regions() -> dict[str, Region]:
    return {str(r["code"]): Region(code=str(r["code"]), name_zh=r["zh"], name_en=r["en"])
            for r in _load("regions.yaml")["regions"]}


def region_choices() -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in regions().values()]


def region_name(code: str) -> str:
    region = regions().get(code)
    return region.name if region else ""


@cache
def uscc_scheme() -> UsccScheme:
    raw = _load("uscc.yaml")
    return UsccScheme(alphabet=raw["alphabet"], weights=tuple(raw["weights"]), length=int(raw["length"]))
