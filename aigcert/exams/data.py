"""Frozen views of exam sessions and admission tickets for other apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class SessionData:
    pk: int
    code: str
    program_code: str
    sitting_code: str
    sitting_label: str
    start_at: datetime
    end_at: datetime
    duration_minutes: int
    capacity: int
    booking_opens_at: datetime
    booking_closes_at: datetime
    state: str
    state_label: str
    cancelled: bool

    @property
    def bookable(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class TicketData:
    """Everything printed on an admission ticket (准考证); labels are translated by the renderer."""

    ticket_number: str
    candidate_name: str
    id_number_masked: str
    photo: bytes | None  # JPEG or PNG bytes when the candidate uploaded one
    program_name: str
    session_date: date
    sitting_label: str  # e.g. 上午场
    start_time: str  # "HH:MM"
    duration_minutes: int
    exam_url: str  # where the online exam is taken
    rules: tuple[str, ...]  # already translated lines
    issued_at: datetime


@dataclass(frozen=True)
class PaperData:
    """A frozen paper as delivery needs it. ``items`` hold delivery-safe payloads only (no keys)."""

    pk: int
    code: str
    program_code: str
    mode: str  # "mock" | "formal"
    blueprint_name: str
    layout: str  # "one_per_page" | "all_on_one"
    shuffle_items: bool
    shuffle_options: bool
    seed: int
    items: tuple[dict[str, Any], ...]  # {"slot", "version_id", "item_type", "area_code", "points", "payload"}
    total_points: Decimal
