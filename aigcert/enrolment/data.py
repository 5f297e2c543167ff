from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from aigcert.billing.data import OrderData
from aigcert.exams.data import SessionData


@dataclass(frozen=True)
class BookingData:
    code: str
    ticket_number: str
    status: str
    status_label: str
    kind: str
    session: SessionData
    ticket_from: date  # the admission ticket can be downloaded from this day

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


@dataclass(frozen=True)
class EnrolmentData:
    code: str
    program_code: str
    program_name: str
    state: str
    state_label: str
    next_step: str
    org_pk: int | None
    retakes_used: int
    next_retake_fee_fen: int
    result_score: int | None
    result_at: datetime | None  # when the result was recorded: for a pass, the day of the pass notice
    candidate_id: int
    booking: BookingData | None
    pending_order: OrderData | None
    orders: tuple[OrderData, ...]


@dataclass(frozen=True)
class SeatData:
    """A confirmed seat in a session, as exam day needs it."""

    candidate_id: int
    ticket_number: str
    enrolment_code: str
    program_code: str
    rank: int  # 0-based position among the session's confirmed seats, by ticket number (-1: not asked for)
