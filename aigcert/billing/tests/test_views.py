"""Billing pages over HTTP: who may see an order, what the pay page shows, seat codes, invoices, and the finance
desk. Every refusal is checked to have changed nothing: no payment, no ledger entry, the same order total."""

import html
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.billing import rules, selectors, services
from aigcert.billing.models import InvoiceRequest, LedgerEntry, Order, Payment, Refund, Voucher
from aigcert.core.api import audit_events, now


@pytest.fixture(scope="module")
def _catalog_once(django_db_setup, django_db_blocker):
    """The shipped catalog, loaded once per module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def catalog(_catalog_once, db):
    """Overrides the root `catalog` fixture (same data) to keep the module fast."""


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────
def signed_in(user=None, language="en") -> Client:
    browser = Client()
    browser.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        browser.force_login(user)
    return browser


def page_messages(response) -> list[tuple[str, str]]:
    """(level, text) of the flash messages rendered by base.html."""
    return [(level, html.unescape(text)) for level, text in
            re.findall(r'<p class="message message-(\w+)">(.*?)</p>', response.content.decode())]


def snapshot(*orders: Order) -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "orders": [(o.status, o.total_fen, o.paid_with) for o in Order.objects.filter(pk__in=[o.pk for o in orders])
                   .order_by("pk")],
        "payments": sorted(Payment.objects.values_list("provider", "provider_ref", "amount_fen", "duplicate",
                                                         "status")),
        "ledger": LedgerEntry.objects.count(),
        "refunds": sorted(Refund.objects.values_list("status", "amount_fen")),
        "invoices": InvoiceRequest.objects.count(),
        "vouchers_redeemed": Voucher.objects.filter(redeemed_at__isnull=False).count(),
    }


def deposit_order(user) -> Order:
    return services.order_create(user=user, purpose=rules.DEPOSIT, program_code="aigc-general")


def reload(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def login_url(path: str) -> str:
    return f"/accounts/login/?next={path}"


@pytest.fixture(autouse=True)
def _gateways_off(settings):
    """Online gateways are the business of test_notifications; here only bank transfer and seat codes exist."""
    settings.ALIPAY = {**settings.ALIPAY, "app_id": ""}
    settings.WECHAT_PAY = {**settings.WECHAT_PAY, "mchid": ""}


@pytest.fixture
def buyer(catalog, make_user, make_profile):
    user = make_user(Role.CANDIDATE)
    make_profile(user, legal_name="王小明", id_number="11010519491231002X")
    return user


@pytest.fixture
def stranger(catalog, make_user):
    return make_user(Role.CANDIDATE)


@pytest.fixture
def fin(make_user):
    return make_user(Role.FINANCE)


@pytest.fixture
def order(buyer) -> Order:
    return deposit_order(buyer)


@pytest.fixture
def voucher(catalog) -> Voucher:
    return Voucher.objects.create(code_text=rules.voucher_code_new(), program_code="aigc-general", value_fen=49800,
                                  expires_at=now() + timedelta(days=30))


# ── who may see an order ────────────────────────────────────────────────────────────────────────────────────
PAGES = ["/orders/{code}/", "/orders/{code}/receipt/", "/orders/{code}/invoice/"]


@pytest.mark.parametrize("page", PAGES)
def test_someone_elses_order_is_404_like_a_missing_one(order, stranger, fin, page):
    services.offline_payment_confirm(order=order, bank_ref="ICBC-1", amount_fen=49800, actor=fin)  # receipt exists
    before = snapshot(order)

    for url in (page.format(code=order.code), page.format(code=uuid.uuid4())):
        response = signed_in(stranger).get(url)
        assert response.status_code == 404
        post = signed_in(stranger).post(url, {"action": "voucher", "code": "XXXX-XXXX-XXXX-XXXX", "kind": "personal",
                                              "title": "x", "email": "x@example.com"})
        assert post.status_code == 404
    # The buyer themself sees it.
    assert signed_in(order.user).get(page.format(code=order.code)).status_code == 200
    assert snapshot(order) == before


@pytest.mark.parametrize("page", [*PAGES, "/orders/", "/orders/{code}/wechat/"])
def test_anonymous_visitors_are_sent_to_log_in(order, page):
    url = page.format(code=order.code)

    response = signed_in(None).get(url)

    assert response.status_code == 302
    assert response.url == login_url(url)


def test_order_page_shows_the_transfer_reference_and_the_amount(order):
    response = signed_in(order.user).get(f"/orders/{order.code}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'<strong id="transfer-reference">(.*?)</strong>', body).group(1) == order.number
    assert re.search(r'<dd id="order-total" class="price">(.*?)</dd>', body).group(1) == "¥498"
    assert re.search(r'<dd id="order-status">(.*?)</dd>', body).group(1) == "Awaiting payment"
    assert 'id="pay-voucher"' in body
    assert 'id="pay-alipay"' not in body and 'id="pay-wechat"' not in body  # not configured in tests
    assert f'href="/orders/{order.code}/receipt/"' not in body


def test_receipt_is_404_until_the_order_is_paid(order, fin):
    browser = signed_in(order.user)
    assert browser.get(f"/orders/{order.code}/receipt/").status_code == 404

    services.offline_payment_confirm(order=order, bank_ref="ICBC20261121-0001", amount_fen=49800, actor=fin)

    response = browser.get(f"/orders/{order.code}/receipt/")
    assert response.status_code == 200
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", response.content.decode()))
    assert facts["Order number"] == order.number
    assert facts["Amount"] == "¥498"
    assert facts["Paid by"] == "王小明"
    assert html.unescape(facts["Paid with"]) == "Bank transfer · ICBC20261121-0001"
    assert f'href="/orders/{order.code}/receipt/"' in browser.get(f"/orders/{order.code}/").content.decode()


def test_receipt_of_a_cancelled_order_is_404(order):
    services.order_cancel(order=order, actor=order.user)

    assert signed_in(order.user).get(f"/orders/{order.code}/receipt/").status_code == 404


# ── invoice details ─────────────────────────────────────────────────────────────────────────────────────────
def test_company_invoice_without_tax_id_is_refused(order):
    before = snapshot(order)

    response = signed_in(order.user).post(f"/orders/{order.code}/invoice/", {
        "kind": "company", "title": "北京某科技有限公司", "tax_id": "  ", "email": "fin@example.com"})

    assert response.status_code == 200
    assert page_messages(response) == [("error", "A company invoice needs the taxpayer ID.")]
    assert snapshot(order) == before
    assert audit_events(action="billing.invoice_request") == []
    chinese = signed_in(order.user, language="zh-hans").post(f"/orders/{order.code}/invoice/", {
        "kind": "company", "title": "北京某科技有限公司", "tax_id": "", "email": "fin@example.com"})
    assert page_messages(chinese) == [("error", "单位发票须填写纳税人识别号。")]
    assert snapshot(order) == before


def test_valid_invoice_details_are_saved_and_audited(order):
    response = signed_in(order.user).post(f"/orders/{order.code}/invoice/", {
        "kind": "company", "title": " 北京某科技有限公司 ", "tax_id": "91110000abcdefgh1x", "email": "fin@example.com"},
        follow=True)

    assert response.redirect_chain == [(f"/orders/{order.code}/", 302)]
    assert page_messages(response) == [("success", "Invoice details saved. Finance sends the 发票 to your e-mail.")]
    invoice = InvoiceRequest.objects.get(order=order)
    assert (invoice.kind, invoice.title, invoice.tax_id, invoice.email) == (
        "company", "北京某科技有限公司", "91110000ABCDEFGH1X", "fin@example.com")
    [event] = audit_events(action="billing.invoice_request", target=order)
    assert event.actor_id == order.user.pk
    assert event.data == {"kind": "company", "title": "北京某科技有限公司", "tax_id": "91110000ABCDEFGH1X"}
    assert "Invoice details (saved)" in response.content.decode()

    # Saving again updates the same request.
    signed_in(order.user).post(f"/orders/{order.code}/invoice/", {
        "kind": "personal", "title": "王小明", "tax_id": "", "email": "w@example.com"})
    assert list(InvoiceRequest.objects.filter(order=order).values_list("kind", "title", "tax_id")) == [
        ("personal", "王小明", "")]


@pytest.mark.parametrize("fields", [
    {"kind": "bogus", "title": "王小明", "email": "w@example.com"},
    {"kind": "personal", "title": "   ", "email": "w@example.com"},
    {"kind": "personal", "title": "王小明", "email": "not-an-email"},
])
def test_invoice_details_that_make_no_sense_are_refused(order, fields):
    response = signed_in(order.user).post(f"/orders/{order.code}/invoice/", {"tax_id": "", **fields})

    assert InvoiceRequest.objects.count() == 0
    assert response.status_code == 200
    assert page_messages(response)[0][0] == "error"


def test_overlong_invoice_title_is_refused_with_a_message(order):
    response = signed_in(order.user).post(f"/orders/{order.code}/invoice/", {
        "kind": "company", "title": "公" * 150, "tax_id": "9" * 30, "email": "fin@example.com"})

    assert InvoiceRequest.objects.count() == 0
    assert response.status_code == 200
    assert page_messages(response)[0][0] == "error"


# ── seat codes on the order page ────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("code", ["", "nonsense", "AAAA-BBBB-CCCC-DDDD"])
def test_invalid_seat_code_is_refused_and_nothing_is_paid(order, voucher, code):
    before = snapshot(order)

    response = signed_in(order.user).post(f"/orders/{order.code}/", {"action": "voucher", "code": code}, follow=True)

    assert response.redirect_chain == [(f"/orders/{order.code}/", 302)]
    assert page_messages(response) == [("error", "This seat code is not valid for this order (unknown, used, expired "
                                                 "or for another program).")]
    assert snapshot(order) == before
    assert reload(order).status == "pending"


def test_valid_seat_code_pays_the_order(order, voucher):
    typed = voucher.code_text.lower().replace("-", " ")

    response = signed_in(order.user).post(f"/orders/{order.code}/", {"action": "voucher", "code": typed},
                                          follow=True)

    assert page_messages(response) == [("success", "Paid with your seat code.")]
    paid = reload(order)
    assert (paid.status, paid.paid_with, paid.total_fen) == ("paid", "voucher", 49800)
    assert list(Payment.objects.values_list("order_id", "provider", "provider_ref", "amount_fen")) == [
        (order.pk, "voucher", voucher.code_text, 49800)]
    voucher.refresh_from_db()
    assert voucher.redeemed_order_id == order.pk
    assert selectors.ledger_check().balanced
    assert {k: v for k, v in selectors.ledger_check().trial_balance.items() if v} == {
        "liability:vouchers": 49800, "revenue:deposit": -49800}

    # The same code again, on another order of the same buyer, is refused.
    second = deposit_order(order.user)
    again = signed_in(order.user).post(f"/orders/{second.code}/", {"action": "voucher", "code": voucher.code_text},
                                       follow=True)
    assert page_messages(again)[0][0] == "error"
    assert reload(second).status == "pending"


def test_seat_code_on_a_paid_order_is_refused(order, voucher, fin):
    services.offline_payment_confirm(order=order, bank_ref="ICBC-9", amount_fen=49800, actor=fin)
    before = snapshot(order)

    response = signed_in(order.user).post(f"/orders/{order.code}/", {"action": "voucher",
                                                                     "code": voucher.code_text}, follow=True)

    assert page_messages(response) == [("error", "This order cannot be paid with a seat code.")]
    assert snapshot(order) == before


TAMPERING = {"amount": "0.01", "total_fen": "1", "amount_fen": "1", "total": "0.01", "unit_fen": "1"}


def test_posted_amounts_never_change_the_order_total(order, voucher):
    browser = signed_in(order.user)

    browser.post(f"/orders/{order.code}/invoice/", {"kind": "personal", "title": "王小明", "email": "w@example.com",
                                                    **TAMPERING})
    browser.post(f"/orders/{order.code}/", {"action": "voucher", "code": "nonsense", **TAMPERING})
    assert reload(order).total_fen == 49800
    browser.post(f"/orders/{order.code}/", {"action": "voucher", "code": voucher.code_text, **TAMPERING})

    paid = reload(order)
    assert (paid.status, paid.total_fen) == ("paid", 49800)
    assert list(Payment.objects.values_list("amount_fen", flat=True)) == [49800]
    assert list(order.lines.values_list("unit_fen", "amount_fen")) == [(49800, 49800)]


# ── finance desk ────────────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("url", ["/staff/finance/", "/staff/finance/orders/{code}/confirm/"])
def test_finance_desk_is_for_finance_only(order, url):
    url = url.format(code=order.code)
    before = snapshot(order)

    assert signed_in(order.user).get(url).status_code == 403
    assert signed_in(order.user).post(url, {"bank_ref": "X1", "amount": "498"}).status_code == 403
    assert signed_in(None).get(url).url == login_url(url)
    assert snapshot(order) == before


def test_finance_desk_lists_the_pending_order(order, fin):
    response = signed_in(fin).get("/staff/finance/", {"q": order.number})

    assert response.status_code == 200
    body = response.content.decode()
    assert f'<tr id="order-{order.number}">' in body
    assert f'action="/staff/finance/orders/{order.code}/confirm/"' in body
    assert '<p id="ledger-state">The ledger balances.</p>' in body


def confirm(fin, order, amount, bank_ref="ICBC20261121-0001"):
    return signed_in(fin).post(f"/staff/finance/orders/{order.code}/confirm/",
                               {"bank_ref": bank_ref, "amount": amount}, follow=True)


def test_finance_confirm_with_the_wrong_amount_is_refused(order, fin):
    before = snapshot(order)

    response = confirm(fin, order, "400")

    assert response.redirect_chain == [("/staff/finance/", 302)]
    assert page_messages(response) == [
        ("error", f"{order.number}: The amount paid (400) does not match the order total (498).")]
    assert snapshot(order) == before
    assert Payment.objects.count() == 0 and LedgerEntry.objects.count() == 0


@pytest.mark.parametrize("amount", ["498", "498.00", " 498.0 "])
def test_finance_confirm_with_the_right_amount_pays_the_order(order, fin, amount):
    response = confirm(fin, order, amount)

    assert page_messages(response) == [("success", f"Payment of order {order.number} recorded.")]
    paid = reload(order)
    assert (paid.status, paid.paid_with, paid.total_fen) == ("paid", "offline", 49800)
    assert list(Payment.objects.values_list("provider", "provider_ref", "amount_fen", "confirmed_by")) == [
        ("offline", "ICBC20261121-0001", 49800, fin.pk)]
    check = selectors.ledger_check()
    assert check.balanced
    assert {k: v for k, v in check.trial_balance.items() if v} == {"cash:offline": 49800, "revenue:deposit": -49800}
    assert f'<tr id="order-{order.number}">' not in response.content.decode()


@pytest.mark.parametrize("amount", ["498.001", "abc", "", "-498", "498,00"])
def test_finance_confirm_with_an_unreadable_amount_is_refused(order, fin, amount):
    before = snapshot(order)

    response = confirm(fin, order, amount)

    assert page_messages(response) == [
        ("error", f"{order.number}: Enter the amount received in yuan, e.g. 498 or 498.00.")]
    assert snapshot(order) == before


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e30"])
def test_finance_confirm_with_a_non_finite_amount_is_refused_with_a_message(order, fin, amount):
    response = confirm(fin, order, amount)

    assert page_messages(response) == [
        ("error", f"{order.number}: Enter the amount received in yuan, e.g. 498 or 498.00.")]
    assert Payment.objects.count() == 0


def test_finance_confirm_without_a_bank_reference_is_refused(order, fin):
    before = snapshot(order)

    response = confirm(fin, order, "498", bank_ref="   ")

    assert page_messages(response) == [("error", f"{order.number}: Enter the bank's transaction reference.")]
    assert snapshot(order) == before


def test_second_confirm_of_a_paid_order_is_refused(order, fin):
    confirm(fin, order, "498")
    before = snapshot(order)

    response = confirm(fin, order, "498", bank_ref="ICBC20261121-0002")

    assert page_messages(response) == [
        ("error", f"{order.number}: This order is already paid; return the transfer to the payer instead.")]
    assert snapshot(order) == before
    assert Payment.objects.count() == 1


def test_a_bank_reference_cannot_pay_a_second_order(order, fin):
    other = deposit_order(order.user)
    confirm(fin, order, "498", bank_ref="ICBC-SHARED")
    before = snapshot(order, other)

    response = confirm(fin, other, "498", bank_ref="ICBC-SHARED")

    assert page_messages(response) == [
        ("error", f"{other.number}: That bank reference was already used for order {order.number}.")]
    assert snapshot(order, other) == before
    assert reload(other).status == "pending"


def test_finance_confirm_of_an_unknown_order_is_404(fin):
    response = signed_in(fin).post(f"/staff/finance/orders/{uuid.uuid4()}/confirm/",
                                   {"bank_ref": "X", "amount": "498"})

    assert response.status_code == 404
    assert Payment.objects.count() == 0


def test_finance_confirm_is_post_only(order, fin):
    assert signed_in(fin).get(f"/staff/finance/orders/{order.code}/confirm/").status_code == 405


def test_refund_complete_moves_a_pending_refund_and_keeps_the_books_balanced(order, fin, make_user):
    services.offline_payment_confirm(order=order, bank_ref="ICBC-R1", amount_fen=49800, actor=fin)
    refund = services.order_refund(order=reload(order), reason="考生退学", actor=fin)
    listed = signed_in(fin).get("/staff/finance/").content.decode()
    assert f'action="/staff/finance/refunds/{refund.code}/complete/"' in listed

    # Not for candidates.
    assert signed_in(order.user).post(f"/staff/finance/refunds/{refund.code}/complete/").status_code == 403
    assert Refund.objects.get(pk=refund.pk).status == "pending"

    response = signed_in(fin).post(f"/staff/finance/refunds/{refund.code}/complete/", follow=True)

    assert page_messages(response) == [("success", "Refund marked as paid back.")]
    done = Refund.objects.get(pk=refund.pk)
    assert (done.status, done.completed_by_id) == ("completed", fin.pk)
    assert Payment.objects.get().status == "refunded"
    check = selectors.ledger_check()
    assert check.balanced
    assert {k: v for k, v in check.trial_balance.items() if v} == {}
    entries = LedgerEntry.objects.count()

    again = signed_in(fin).post(f"/staff/finance/refunds/{refund.code}/complete/", follow=True)
    assert page_messages(again) == [("error", "This refund is already completed.")]
    assert LedgerEntry.objects.count() == entries
    assert signed_in(fin).post(f"/staff/finance/refunds/{uuid.uuid4()}/complete/").status_code == 404


# ── WeChat Pay page without WeChat Pay ──────────────────────────────────────────────────────────────────────
def test_wechat_pay_page_is_404_when_wechat_is_not_configured(order):
    assert signed_in(order.user).get(f"/orders/{order.code}/wechat/").status_code == 404
    assert reload(order).status == "pending"


def test_order_page_is_readable_in_chinese(order):
    response = signed_in(order.user, language="zh-hans").get(f"/orders/{order.code}/")

    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert re.search(r'<strong id="transfer-reference">(.*?)</strong>', response.content.decode()).group(1) == \
        order.number


def test_finance_refunds_a_paid_order_from_the_desk(order, fin):
    services.offline_payment_confirm(order=order, bank_ref="ICBC-W1", amount_fen=49800, actor=fin)

    assert signed_in(order.user).post("/staff/finance/refunds/", {"number": order.number,
                                                                  "reason": "x"}).status_code == 403
    no_reason = signed_in(fin).post("/staff/finance/refunds/", {"number": order.number, "reason": " "}, follow=True)
    assert page_messages(no_reason) == [("error", f"{order.number}: A refund needs a reason.")]
    assert not Refund.objects.exists()

    done = signed_in(fin).post("/staff/finance/refunds/", {"number": order.number.lower(), "reason": "考生退学"},
                               follow=True)

    assert page_messages(done) == [
        ("success", f"Refund of order {order.number} recorded; pay it back and mark it below.")]
    refund = Refund.objects.get()
    assert (refund.amount_fen, refund.reason, refund.status) == (49800, "考生退学", "pending")
    assert reload(order).status == "refunded"
    again = signed_in(fin).post("/staff/finance/refunds/", {"number": order.number, "reason": "again"}, follow=True)
    assert page_messages(again) == [("error", f"{order.number}: Only a paid order can be refunded.")]
    assert Refund.objects.count() == 1
    assert selectors.ledger_check().balanced
