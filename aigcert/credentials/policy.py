"""The certificate office's own numbers, from its data file (data/credentials.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.utils.translation import get_language

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Named:
    code: str
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


@dataclass(frozen=True)
class ScoreBand(Named):
    min: int


@dataclass(frozen=True)
class CredentialsPolicy:
    serial_digits: int
    prefixes: dict[str, str]
    code_alphabet: str
    code_length: int
    at_risk_days_before_due: int
    band_programs: frozenset[str]
    bands: tuple[ScoreBand, ...]
    carriers: tuple[Named, ...]
    lookups_per_minute: int
    lookups_per_day: int
    status_list_length: int

    def carrier(self, code: str) -> Named | None:
        return next((c for c in self.carriers if c.code == code), None)

    def band(self, code: str) -> ScoreBand | None:
        return next((b for b in self.bands if b.code == code), None)


@cache
def credentials_policy() -> CredentialsPolicy:
    raw = yaml.safe_load((DATA_DIR / "credentials.yaml").read_text(encoding="utf-8"))
    bands = raw["score_bands"]
    return CredentialsPolicy(
        serial_digits=raw["number"]["serial_digits"], prefixes=dict(raw["number"]["prefixes"]),
        code_alphabet=raw["verification_code"]["alphabet"], code_length=raw["verification_code"]["length"],
        at_risk_days_before_due=raw["at_risk_days_before_due"],
        band_programs=frozenset(bands["programs"]),
        bands=tuple(ScoreBand(code=b["code"], min=b["min"], name_zh=b["name"]["zh"], name_en=b["name"]["en"])
                    for b in bands["bands"]),
        carriers=tuple(Named(code=c["code"], name_zh=c["name"]["zh"], name_en=c["name"]["en"])
                       for c in raw["carriers"]),
        lookups_per_minute=raw["verification_limits"]["per_minute"],
        lookups_per_day=raw["verification_limits"]["per_day"],
        status_list_length=raw["status_list_length"],
    )
