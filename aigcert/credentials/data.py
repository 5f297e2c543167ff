"""Frozen views of certificates for the apps above (talent, the portal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class HoldingData:
    """A certificate its holder holds now: issued and neither revoked nor replaced."""

    user_id: int
    number: str
    program_code: str
    program_name: str  # in the active language
    series_code: str
    direction_code: str | None
    level: str  # in the active language
    level_rank: int
    issued_on: date


@dataclass(frozen=True)
class CertificateData:
    """A person's certificate as their personal center lists it, pending ones included."""

    code: str
    number: str  # '' until issued
    program_name: str  # in the active language
    state: str
    state_label: str
    tracking_number: str
