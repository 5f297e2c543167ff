"""What every online payment gateway adapter hands back to billing, whatever its protocol."""

from __future__ import annotations

from dataclasses import dataclass, field


class InvalidNotification(Exception):
    """A notification that must change nothing: bad signature, wrong merchant, unreadable body."""


@dataclass(frozen=True)
class GatewayNotification:
    order_number: str  # our order number, sent to the gateway as out_trade_no
    provider_ref: str  # the gateway's own transaction id (trade_no / transaction_id)
    amount_fen: int
    paid: bool  # True only for a final successful state (TRADE_SUCCESS/TRADE_FINISHED, SUCCESS)
    state: str  # the gateway's raw state name, kept for the record
    raw: dict = field(default_factory=dict)
