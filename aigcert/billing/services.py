"""Writes of the billing context. Every money movement posts balanced ledger entries in the same transaction."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aigcert.billing import rules
from aigcert.billing.models import (
    InvoiceRequest,
    LedgerEntry,
    Order,
    OrderLine,
    Payment,
    Provider,
    Purpose,
    Refund,
    Voucher,
)
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, audit_record, now, outbox_publish
from aigcert.orgs import api as orgs

CASH_PROVIDERS = {Provider.OFFLINE, Provider.ALIPAY, Provider.WECHAT}
MAX_VOUCHERS_PER_ORDER = 1000
MAX_AMOUNT_FEN = 2_000_000_000  # 20,000,000 yuan: the bound of every amount column


@dataclass(frozen=True)
class CaptureResult:
    payment: Payment
    created: bool  # False: this provider reference was seen before, nothing changed
    duplicate: bool  # True: the order was already paid, this money is owed back


def _post(postings: list[tuple[str, int]], *, order: Order | None, memo: str) -> None:
    if not rules.balanced(postings):
        raise ValueError(f"unbalanced posting: {postings}")
    posting = uuid.uuid4()
    LedgerEntry.objects.bulk_create(
        LedgerEntry(posting=posting, account=account, amount_fen=amount, order=order, memo=memo[:120])
        for account, amount in postings if amount != 0
    )


def _fees(program_code: str, org_pk: int | None) -> tuple[rules.Fees, rules.Fees | None, str]:
    try:
        program = catalog.program_get(program_code)
    except NotFound:
        raise DomainError(_("Unknown program."), code="unknown_program") from None
    if program.fees is None:
        raise DomainError(_("This program has no fee schedule yet."), code="no_fees")
    official = rules.Fees(program.fees.deposit_fen, program.fees.balance_fen, program.fees.retake_fee_fen)
    if org_pk is None:
        return official, None, ""
    price = orgs.org_price(org_pk, program_code)
    org = orgs.org_by_pk(org_pk)
    if price is None:
        return official, None, org.slug
    return official, rules.Fees(price.deposit_fen, price.balance_fen, price.retake_fee_fen), org.slug


def _event_payload(order: Order) -> dict:
    return {"order": str(order.code), "number": order.number, "purpose": order.purpose,
            "program_code": order.program_code, "subject": order.subject, "user_id": order.user_id,
            "org_pk": order.organization_id, "status": order.status}


def order_price(*, purpose: str, program_code: str, org_pk: int | None = None) -> rules.Price:
    """What an order for this purpose would cost, without creating it (for pages that show the price first)."""
    official, org_fees, slug = _fees(program_code, org_pk)
    return rules.price_for(purpose, official=official, org_fees=org_fees, org_slug=slug)


@transaction.atomic
def order_create(*, user, purpose: str, program_code: str, subject: str = "", org_pk: int | None = None,
                 quantity: int = 1, actor=None) -> Order:
    # The balance is owed once the candidate has passed and can be paid whenever they are ready: it never expires.
    """An order priced from the fee schedule or the partner's price list; the amount is never an argument."""
    if purpose not in rules.PURPOSES:
        raise DomainError(_("Unknown order purpose."), code="bad_purpose")
    if not 1 <= quantity <= (MAX_VOUCHERS_PER_ORDER if purpose == rules.VOUCHER_BATCH else 1):
        raise DomainError(_("That quantity is not allowed."), code="bad_quantity")
    price = order_price(purpose=purpose, program_code=program_code, org_pk=org_pk)
    moment = now()
    total = price.unit_fen * quantity
    for _attempt in range(5):
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    number=rules.order_number(timezone.localtime(moment)), user=user, organization_id=org_pk,
                    purpose=purpose, program_code=program_code, subject=subject, total_fen=total,
                    expires_at=None if purpose == rules.BALANCE
                    else moment + timedelta(hours=settings.PAYMENT_WINDOW_HOURS),
                )
            break
        except IntegrityError:  # an order number collided; draw another
            continue
    else:
        raise DomainError(_("Could not create the order, please try again."), code="busy")
    program = catalog.program_get(program_code)
    OrderLine.objects.create(
        order=order, description=f"{program.name} · {Purpose(purpose).label}", quantity=quantity,
        unit_fen=price.unit_fen, amount_fen=total, price_source=price.source,
    )
    audit_record(actor=actor or user, action="billing.order_create", target=order, data={
        "number": order.number, "purpose": purpose, "program": program_code, "total_fen": total,
        "price_source": price.source, "quantity": quantity, "subject": subject,
    })
    if total == 0:
        # A partner may price a step at nothing; the order is settled without any money moving.
        _order_mark_paid(order, provider=Provider.NONE, moment=moment)
    return order


def _order_mark_paid(order: Order, *, provider: str, moment) -> None:
    order.status, order.paid_at, order.paid_with = Order.Status.PAID, moment, provider
    order.save(update_fields=["status", "paid_at", "paid_with", "updated_at"])
    if order.purpose == rules.VOUCHER_BATCH:
        _vouchers_issue(order)
    outbox_publish(topic="billing.order_paid", payload=_event_payload(order))


def _vouchers_issue(order: Order) -> None:
    line = order.lines.get()
    expires = now() + timedelta(days=settings.VOUCHER_VALID_DAYS)
    made = 0
    while made < line.quantity:
        code = rules.voucher_code_new()
        if Voucher.objects.filter(code_text=code).exists():
            continue
        Voucher.objects.create(code_text=code, program_code=order.program_code, organization_id=order.organization_id,
                               batch_order=order, value_fen=line.unit_fen, expires_at=expires)
        made += 1


@transaction.atomic
def payment_capture(*, order_number: str, provider: str, provider_ref: str, amount_fen: int, actor=None,
                    raw: dict | None = None) -> CaptureResult:
    """Credit money exactly once per provider reference, however often, late or out of order it is reported."""
    if provider not in CASH_PROVIDERS:
        raise DomainError(_("Unknown payment provider."), code="bad_provider")
    existing = Payment.objects.filter(provider=provider, provider_ref=provider_ref).first()
    if existing is not None:
        return CaptureResult(existing, created=False, duplicate=existing.duplicate)
    order = Order.objects.select_for_update().filter(number=order_number).first()
    if order is None:
        raise DomainError(_("No order with that number."), code="unknown_order")
    if amount_fen != order.total_fen:
        raise DomainError(_("The amount paid (%(paid)s) does not match the order total (%(total)s).") % {
            "paid": catalog.format_fen(amount_fen), "total": catalog.format_fen(order.total_fen)},
            code="amount_mismatch")
    # Also a duplicate: money for an expired deposit or balance order (each is owed once per enrolment) whose
    # replacement is already paid. Retake fees are not: every paid retake after the free ones has its own order.
    duplicate = order.status in (Order.Status.PAID, Order.Status.REFUNDED) or (
        bool(order.subject) and order.purpose in (rules.DEPOSIT, rules.BALANCE)
        and Order.objects.filter(subject=order.subject, purpose=order.purpose, status=Order.Status.PAID)
        .exclude(pk=order.pk).exists())
    try:
        with transaction.atomic():
            payment = Payment.objects.create(order=order, provider=provider, provider_ref=provider_ref,
                                             amount_fen=amount_fen, duplicate=duplicate,
                                             confirmed_by=actor if getattr(actor, "is_authenticated", False)
                                             else None, raw=raw or {})
    except IntegrityError:
        # The same notification, delivered concurrently, won the race: it credited the order, we do nothing.
        winner = Payment.objects.get(provider=provider, provider_ref=provider_ref)
        return CaptureResult(winner, created=False, duplicate=winner.duplicate)
    _post(rules.posting_payment(provider=provider, purpose=order.purpose, amount_fen=amount_fen,
                                duplicate=duplicate), order=order, memo=f"{provider} {provider_ref}")
    audit_record(actor=actor, action="billing.payment_capture", target=order, data={
        "provider": provider, "provider_ref": provider_ref, "amount_fen": amount_fen, "duplicate": duplicate,
        "order_status": order.status,
    })
    if duplicate:
        refund = Refund.objects.create(payment=payment, amount_fen=amount_fen,
                                       reason=_("Duplicate payment of an order that was already paid."),
                                       requested_by=None)
        audit_record(actor=None, action="billing.refund_request", target=order,
                     data={"refund": str(refund.code), "amount_fen": amount_fen, "reason": "duplicate"})
    else:
        _order_mark_paid(order, provider=provider, moment=now())
    return CaptureResult(payment, created=True, duplicate=duplicate)


def offline_payment_confirm(*, order: Order, bank_ref: str, amount_fen: int, actor) -> Payment:
    """Finance saw the transfer on the bank statement. A second transfer for a paid order is refused."""
    bank_ref = (bank_ref or "").strip()
    if not bank_ref:
        raise DomainError(_("Enter the bank's transaction reference."), code="bank_ref", field="bank_ref")
    if order.status == Order.Status.PAID:
        raise DomainError(_("This order is already paid; return the transfer to the payer instead."),
                          code="already_paid")
    result = payment_capture(order_number=order.number, provider=Provider.OFFLINE, provider_ref=bank_ref,
                             amount_fen=amount_fen, actor=actor)
    if not result.created:
        raise DomainError(_("That bank reference was already used for order %(number)s.") % {
            "number": result.payment.order.number}, code="bank_ref_used", field="bank_ref")
    return result.payment


@transaction.atomic
def voucher_redeem(*, order: Order, code: str, actor) -> Payment:
    """Settle a deposit order with a prepaid seat code: single use, not expired, same program."""
    normalized = rules.voucher_code_normalize(code)
    refusal = DomainError(_("This seat code is not valid for this order (unknown, used, expired or for another "
                            "program)."), code="voucher_invalid", field="code")
    if normalized is None:
        raise refusal
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.PENDING or order.purpose != rules.DEPOSIT:
        raise DomainError(_("This order cannot be paid with a seat code."), code="voucher_not_applicable")
    moment = now()
    # Conditional update: of two people typing the same code at once, exactly one gets it.
    claimed = Voucher.objects.filter(code_text=normalized, redeemed_at__isnull=True, expires_at__gt=moment,
                                     program_code=order.program_code).update(redeemed_at=moment,
                                                                            redeemed_order=order)
    if claimed != 1:
        raise refusal
    voucher = Voucher.objects.get(code_text=normalized)
    payment = Payment.objects.create(order=order, provider=Provider.VOUCHER, provider_ref=normalized,
                                     amount_fen=order.total_fen, confirmed_by=None)
    _post(rules.posting_voucher(purpose=order.purpose, order_total_fen=order.total_fen,
                                voucher_value_fen=voucher.value_fen), order=order, memo=f"voucher {normalized}")
    audit_record(actor=actor, action="billing.voucher_redeem", target=order,
                 data={"voucher": normalized, "value_fen": voucher.value_fen, "order_total_fen": order.total_fen})
    _order_mark_paid(order, provider=Provider.VOUCHER, moment=moment)
    return payment


@transaction.atomic
def order_cancel(*, order: Order, actor) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.PENDING:
        raise DomainError(_("Only an unpaid order can be cancelled."), code="not_pending")
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="billing.order_cancel", target=order, data={"number": order.number})
    outbox_publish(topic="billing.order_closed", payload=_event_payload(order))
    return order


def orders_expire(*, limit: int = 500) -> int:
    """Close unpaid orders past their payment window, so what they held (a seat) is released."""
    closed = 0
    for pk in Order.objects.filter(status=Order.Status.PENDING, expires_at__lt=now()).values_list("pk", flat=True)[
            :limit]:
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(pk=pk, status=Order.Status.PENDING).first()
            if order is None:
                continue
            order.status = Order.Status.EXPIRED
            order.save(update_fields=["status", "updated_at"])
            audit_record(actor=None, action="billing.order_expire", target=order, data={"number": order.number})
            outbox_publish(topic="billing.order_closed", payload=_event_payload(order))
            closed += 1
    return closed


@transaction.atomic
def order_refund(*, order: Order, reason: str, actor) -> Refund:
    """Give a paid order's money back (e.g. a withdrawal); finance then pays it out and marks it done."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("A refund needs a reason."), code="reason", field="reason")
    order = Order.objects.select_for_update().get(pk=order.pk)
    payment = order.payments.filter(duplicate=False, status=Payment.Status.CAPTURED).first()
    if order.status != Order.Status.PAID or payment is None:
        raise DomainError(_("Only a paid order can be refunded."), code="not_paid")
    if payment.provider not in CASH_PROVIDERS:
        raise DomainError(_("Orders settled with a seat code or at no charge have no money to refund."),
                          code="not_cash")
    if hasattr(payment, "refund"):
        raise DomainError(_("This payment already has a refund."), code="refund_exists")
    refund = Refund.objects.create(payment=payment, amount_fen=payment.amount_fen, reason=reason,
                                   requested_by=actor)
    order.status = Order.Status.REFUNDED
    order.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="billing.refund_request", target=order,
                 data={"refund": str(refund.code), "amount_fen": refund.amount_fen, "reason": reason})
    outbox_publish(topic="billing.order_refunded", payload=_event_payload(order))
    return refund


@transaction.atomic
def refund_complete(*, refund: Refund, actor) -> Refund:
    """The money has gone back to the payer: only now does it leave the cash account."""
    refund = Refund.objects.select_for_update().select_related("payment__order").get(pk=refund.pk)
    if refund.status != Refund.Status.PENDING:
        raise DomainError(_("This refund is already completed."), code="refund_done")
    payment = refund.payment
    refund.status, refund.completed_by, refund.completed_at = Refund.Status.COMPLETED, actor, now()
    refund.save(update_fields=["status", "completed_by", "completed_at", "updated_at"])
    payment.status = Payment.Status.REFUNDED
    payment.save(update_fields=["status", "updated_at"])
    _post(rules.posting_refund(provider=payment.provider, purpose=payment.order.purpose,
                               amount_fen=refund.amount_fen, duplicate=payment.duplicate),
          order=payment.order, memo=f"refund {payment.provider_ref}")
    audit_record(actor=actor, action="billing.refund_complete", target=payment.order,
                 data={"refund": str(refund.code), "amount_fen": refund.amount_fen})
    return refund


@transaction.atomic
def invoice_request_save(*, order: Order, kind: str, title: str, tax_id: str, email: str, actor) -> InvoiceRequest:
    title, tax_id, email = (title or "").strip(), (tax_id or "").strip().upper(), (email or "").strip()
    if kind not in InvoiceRequest.Kind.values:
        raise DomainError(_("Choose whether the invoice is for an individual or a company."), field="kind")
    if not title or len(title) > 100:
        raise DomainError(_("Enter the invoice title (at most 100 characters)."), field="title")
    if kind == InvoiceRequest.Kind.COMPANY and not tax_id:
        raise DomainError(_("A company invoice needs the taxpayer ID."), code="tax_id", field="tax_id")
    if tax_id and not re.fullmatch(r"[0-9A-Z]{15,20}", tax_id):
        raise DomainError(_("A taxpayer ID has 15 to 20 digits or capital letters."), field="tax_id")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Enter a valid e-mail address for the invoice."), field="email") from None
    invoice, _created = InvoiceRequest.objects.update_or_create(
        order=order, defaults={"kind": kind, "title": title, "tax_id": tax_id, "email": email})
    audit_record(actor=actor, action="billing.invoice_request", target=order,
                 data={"kind": kind, "title": invoice.title, "tax_id": invoice.tax_id})
    return invoice
