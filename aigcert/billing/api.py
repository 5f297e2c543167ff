"""What other apps may ask billing. Amounts are never passed in: billing prices every order itself."""

from __future__ import annotations

from aigcert.billing import rules, selectors, services
from aigcert.billing.data import OrderData, VoucherData
from aigcert.billing.models import Order
from aigcert.core.api import NotFound

__all__ = [
    "BALANCE",
    "DEPOSIT",
    "RETAKE",
    "VOUCHER_BATCH",
    "OrderData",
    "VoucherData",
    "ledger_check",
    "offline_payment_confirm",
    "order_cancel",
    "order_create",
    "order_for_subject",
    "order_get",
    "order_price_fen",
    "orders_expire",
    "orders_for_subjects",
    "voucher_redeem_for",
    "vouchers_of_org",
]

DEPOSIT, BALANCE, RETAKE, VOUCHER_BATCH = rules.DEPOSIT, rules.BALANCE, rules.RETAKE, rules.VOUCHER_BATCH
ledger_check = selectors.ledger_check
orders_expire = services.orders_expire


def _data(order: Order) -> OrderData:
    return OrderData(code=str(order.code), number=order.number, purpose=order.purpose,
                     program_code=order.program_code, subject=order.subject, status=order.status,
                     status_label=str(order.get_status_display()), total_fen=order.total_fen,
                     expires_at=order.expires_at, paid_at=order.paid_at, paid_with=order.paid_with,
                     user_id=order.user_id, org_pk=order.organization_id)


def order_price_fen(*, purpose: str, program_code: str, org_pk: int | None = None) -> int:
    return services.order_price(purpose=purpose, program_code=program_code, org_pk=org_pk).unit_fen


def order_create(*, user, purpose: str, program_code: str, subject: str = "", org_pk: int | None = None,
                 quantity: int = 1, actor=None) -> OrderData:
    return _data(services.order_create(user=user, purpose=purpose, program_code=program_code, subject=subject,
                                       org_pk=org_pk, quantity=quantity, actor=actor))


def order_get(code: str) -> OrderData:
    order = Order.objects.filter(code=code).first()
    if order is None:
        raise NotFound()
    return _data(order)


def order_for_subject(subject: str, purpose: str, *, statuses: tuple[str, ...] = ("pending", "paid")) -> (
        OrderData | None):
    order = Order.objects.filter(subject=subject, purpose=purpose, status__in=statuses).order_by("-id").first()
    return _data(order) if order else None


def orders_for_subjects(subjects: list[str]) -> list[OrderData]:
    return [_data(o) for o in Order.objects.filter(subject__in=subjects).order_by("-id")]


def order_cancel(*, code: str, actor) -> OrderData:
    order = Order.objects.filter(code=code).first()
    if order is None:
        raise NotFound()
    return _data(services.order_cancel(order=order, actor=actor))


def voucher_redeem_for(*, order_code: str, voucher_code: str, actor) -> OrderData:
    """A partner assigns one of its seat codes to its candidate: the candidate's deposit order is settled."""
    order = Order.objects.filter(code=order_code).first()
    if order is None:
        raise NotFound()
    services.voucher_redeem(order=order, code=voucher_code, actor=actor)
    order.refresh_from_db()
    return _data(order)


def vouchers_of_org(org_pk: int) -> list[VoucherData]:
    return [
        VoucherData(code_text=v.code_text, program_code=v.program_code, value_fen=v.value_fen,
                    expires_at=v.expires_at, redeemed_at=v.redeemed_at,
                    redeemed_order_number=v.redeemed_order.number if v.redeemed_order else None,
                    redeemed_by_user_id=v.redeemed_order.user_id if v.redeemed_order else None)
        for v in selectors.vouchers_of_org(org_pk)
    ]


def offline_payment_confirm(*, order_code: str, bank_ref: str, amount_fen: int, actor) -> OrderData:
    """Finance records a bank transfer against an order (the finance desk's action, also used by tests)."""
    order = Order.objects.filter(code=order_code).first()
    if order is None:
        raise NotFound()
    services.offline_payment_confirm(order=order, bank_ref=bank_ref, amount_fen=amount_fen, actor=actor)
    order.refresh_from_db()
    return _data(order)
