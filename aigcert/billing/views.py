"""Pay pages, receipts, invoice details, gateway notifications and the finance desk."""

from __future__ import annotations

import json
import logging

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from aigcert.accounts import api as accounts
from aigcert.billing import providers, rules, selectors, services
from aigcert.billing.gateways import alipay, wechat
from aigcert.billing.gateways.base import InvalidNotification
from aigcert.billing.models import InvoiceRequest, Order, Provider, Refund
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, now

logger = logging.getLogger(__name__)
finance = accounts.roles_required(accounts.Role.FINANCE, accounts.Role.STAFF)


def _order_or_404(request, code) -> Order:
    try:
        return selectors.access_order(request.user, code)
    except NotFound:
        raise Http404 from None


@login_required
def orders(request):
    return render(request, "billing/orders.html", {"orders": selectors.orders_of(request.user)})


@login_required
def order(request, code):
    order_obj = _order_or_404(request, code)
    if request.method == "POST" and request.POST.get("action") == "voucher":
        try:
            services.voucher_redeem(order=order_obj, code=request.POST.get("code", ""), actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Paid with your seat code."))
        return redirect("billing:order", code=order_obj.code)
    return render(request, "billing/order.html", {
        "order": order_obj, "program": catalog.program_get(order_obj.program_code),
        "checkouts": providers.checkouts(order_obj) if order_obj.status == Order.Status.PENDING else [],
        "notes": providers.PROVIDER_NOTES, "invoice": getattr(order_obj, "invoice", None),
    })


@login_required
def receipt(request, code):
    order_obj = _order_or_404(request, code)
    if order_obj.status not in (Order.Status.PAID, Order.Status.REFUNDED):
        raise Http404
    return render(request, "billing/receipt.html", {
        "order": order_obj, "program": catalog.program_get(order_obj.program_code),
        "payment": order_obj.payments.filter(duplicate=False).first(),
        "buyer": accounts.legal_name_of(request.user),
    })


@login_required
def invoice(request, code):
    order_obj = _order_or_404(request, code)
    current = getattr(order_obj, "invoice", None)
    if request.method == "POST":
        try:
            services.invoice_request_save(order=order_obj, kind=request.POST.get("kind", ""),
                                          title=request.POST.get("title", ""), tax_id=request.POST.get("tax_id", ""),
                                          email=request.POST.get("email", ""), actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Invoice details saved. Finance sends the 发票 to your e-mail."))
            return redirect("billing:order", code=order_obj.code)
    return render(request, "billing/invoice.html", {"order": order_obj, "invoice": current,
                                                    "kinds": InvoiceRequest.Kind.choices})


@login_required
def pay_wechat(request, code):
    order_obj = _order_or_404(request, code)
    config = providers.wechat_config()
    if config is None:
        raise Http404
    if order_obj.status != Order.Status.PENDING:
        return redirect("billing:order", code=order_obj.code)
    try:
        code_url = providers.wechat_code_url(order_obj, config)
    except providers.GatewayUnavailable:
        messages.error(request, _("WeChat Pay is not available right now. Try again, or pay by bank transfer."))
        return redirect("billing:order", code=order_obj.code)
    qr = segno.make(code_url, error="m").svg_inline(scale=6, title=_("WeChat Pay QR code"))
    return render(request, "billing/wechat.html", {"order": order_obj, "qr": qr})


# ── gateway notifications (server to server; no session, no CSRF token: the signature is the proof) ──────────
@csrf_exempt
@require_POST
def notify_alipay(request):
    config = providers.alipay_config()
    if config is None:
        raise Http404
    try:
        note = alipay.parse_notification(config, request.POST.dict())
    except InvalidNotification as exc:
        logger.warning("refused Alipay notification: %s", exc)
        return HttpResponseBadRequest("fail")
    return _credit(note, Provider.ALIPAY, alipay.NOTIFICATION_ACK)


@csrf_exempt
@require_POST
def notify_wechat(request):
    config = providers.wechat_config()
    if config is None:
        raise Http404
    try:
        note = wechat.parse_notification(config, headers=request.headers, body=request.body, now=now())
    except InvalidNotification as exc:
        logger.warning("refused WeChat Pay notification: %s", exc)
        body, status = wechat.NOTIFICATION_NACK
        return JsonResponse(body, status=status)
    ack_body, ack_status = wechat.NOTIFICATION_ACK
    return _credit(note, Provider.WECHAT, json.dumps(ack_body, ensure_ascii=False), status=ack_status,
                   content_type="application/json")


def _credit(note, provider: str, ack: str, *, status: int = 200, content_type: str = "text/plain") -> HttpResponse:
    if note.paid:
        try:
            services.payment_capture(order_number=note.order_number, provider=provider,
                                     provider_ref=note.provider_ref, amount_fen=note.amount_fen, raw=note.raw)
        except DomainError as exc:
            # A signed notification we can't apply (unknown order, wrong amount): refuse, keep the evidence.
            logger.error("%s notification for %s not applied: %s", provider, note.order_number, exc.message)
            return HttpResponseBadRequest("fail")
    return HttpResponse(ack, status=status, content_type=content_type)


# ── finance desk ────────────────────────────────────────────────────────────────────────────────────────────
def _fen(text: str) -> int | None:
    """The amount a clerk typed, in yuan (498 or 498.00), as fen; None for anything else."""
    try:
        fen = rules.yuan_to_fen((text or "").strip())
    except ValueError:
        return None
    return fen if fen <= services.MAX_AMOUNT_FEN else None


@finance
def finance_desk(request):
    search = request.GET.get("q", "")
    return render(request, "billing/finance.html", {
        "orders": selectors.orders_awaiting_transfer(search=search), "search": search,
        "refunds": selectors.refunds_pending(), "ledger": selectors.ledger_check(),
    })


@finance
@require_POST
def finance_confirm(request, code):
    order_obj = Order.objects.filter(code=code).first()
    if order_obj is None:
        raise Http404
    amount = _fen(request.POST.get("amount", ""))
    try:
        if amount is None:
            raise DomainError(_("Enter the amount received in yuan, e.g. 498 or 498.00."))
        services.offline_payment_confirm(order=order_obj, bank_ref=request.POST.get("bank_ref", ""),
                                         amount_fen=amount, actor=request.user)
    except DomainError as exc:
        messages.error(request, f"{order_obj.number}: {exc.message}")
    else:
        messages.success(request, _("Payment of order %(number)s recorded.") % {"number": order_obj.number})
    return redirect("billing:finance")


@finance
@require_POST
def finance_refund(request):
    """Refund a paid order (a withdrawal): the candidate's deposit comes back and their seat is released."""
    order_obj = Order.objects.filter(number=(request.POST.get("number") or "").strip().upper()).first()
    if order_obj is None:
        messages.error(request, _("No order with that number."))
        return redirect("billing:finance")
    try:
        services.order_refund(order=order_obj, reason=request.POST.get("reason", ""), actor=request.user)
    except DomainError as exc:
        messages.error(request, f"{order_obj.number}: {exc.message}")
    else:
        messages.success(request, _("Refund of order %(number)s recorded; pay it back and mark it below.") % {
            "number": order_obj.number})
    return redirect("billing:finance")


@finance
@require_POST
def finance_refund_complete(request, code):
    refund = Refund.objects.filter(code=code).first()
    if refund is None:
        raise Http404
    try:
        services.refund_complete(refund=refund, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Refund marked as paid back."))
    return redirect("billing:finance")
