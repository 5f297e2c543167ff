from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from aigcert.billing.models import LedgerEntry, Order, Refund, Voucher
from aigcert.core.api import NotFound


def access_order(user, code) -> Order:
    """The buyer's own order; NotFound for anyone else's and for one that doesn't exist."""
    order = (Order.objects.filter(code=code, user=user).prefetch_related("lines", "payments").first()
             if getattr(user, "is_authenticated", False) else None)
    if order is None:
        raise NotFound()
    return order


def orders_of(user) -> list[Order]:
    return list(Order.objects.filter(user=user).prefetch_related("lines"))


def orders_awaiting_transfer(*, search: str = "") -> list[Order]:
    orders = Order.objects.filter(status__in=[Order.Status.PENDING, Order.Status.EXPIRED]).select_related("user")
    if search:
        orders = orders.filter(number__icontains=search.strip())
    return list(orders.order_by("created_at")[:200])


def refunds_pending() -> list[Refund]:
    return list(Refund.objects.filter(status=Refund.Status.PENDING).select_related("payment__order__user"))


@dataclass(frozen=True)
class LedgerCheck:
    balanced: bool
    total_fen: int
    unbalanced_postings: tuple[str, ...]
    trial_balance: dict[str, int]


def ledger_check() -> LedgerCheck:
    """The books balance when every posting, and so the whole ledger, sums to zero."""
    total = LedgerEntry.objects.aggregate(total=Sum("amount_fen"))["total"] or 0
    unbalanced = tuple(
        str(row["posting"]) for row in
        LedgerEntry.objects.values("posting").annotate(total=Sum("amount_fen")).exclude(total=0)
    )
    trial = {row["account"]: row["total"] for row in
             LedgerEntry.objects.values("account").annotate(total=Sum("amount_fen")).order_by("account")}
    return LedgerCheck(balanced=total == 0 and not unbalanced, total_fen=total, unbalanced_postings=unbalanced,
                       trial_balance=trial)


def vouchers_of_org(org_pk: int) -> list[Voucher]:
    return list(Voucher.objects.filter(organization_id=org_pk).select_related("redeemed_order__user")
                .order_by("redeemed_at", "created_at"))
