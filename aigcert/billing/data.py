from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OrderData:
    code: str
    number: str
    purpose: str
    program_code: str
    subject: str
    status: str
    status_label: str
    total_fen: int
    expires_at: datetime | None
    paid_at: datetime | None
    paid_with: str
    user_id: int
    org_pk: int | None

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def paid(self) -> bool:
        return self.status == "paid"


@dataclass(frozen=True)
class VoucherData:
    code_text: str
    program_code: str
    value_fen: int
    expires_at: datetime
    redeemed_at: datetime | None
    redeemed_order_number: str | None
    redeemed_by_user_id: int | None
