from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrgData:
    pk: int
    code: str  # public UUID, safe in URLs
    slug: str
    name: str
    active: bool


@dataclass(frozen=True)
class OrgPriceData:
    program_code: str
    deposit_fen: int
    balance_fen: int
    retake_fee_fen: int
