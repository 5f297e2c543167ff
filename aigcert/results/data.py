"""Frozen views of results for the apps above (the portal now; credentials and talent later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class ResultData:
    code: str
    program_code: str
    session_code: str
    released: bool
    release_due: datetime
    # None until released: nothing of the score leaves results before that.
    total: Decimal | None
    maximum: Decimal | None
    passed: bool | None
