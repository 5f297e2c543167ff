"""Gateway notifications and gateway pages end to end over HTTP, with real RSA keys generated here: Alipay's
asynchronous notify, WeChat Pay's encrypted notification, the signed Alipay cashier link on the order page and the
WeChat Pay Native QR page against a small local stand-in for WeChat's API.

The "platform" keys play Alipay / WeChat Pay; the merchant key is ours. Every string-to-sign is rebuilt here from the
published rules rather than through the adapter, so a shared mistake cannot hide."""

import base64
import html
import io
import json
import re
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.billing import rules, selectors, services
from aigcert.billing.gateways import wechat
from aigcert.billing.models import LedgerEntry, Order, Payment, Refund
from aigcert.core.api import now

ALIPAY_APP_ID = "2021000000000001"
ALIPAY_GATEWAY = "https://openapi.alipay.com/gateway.do"
WX_MCHID = "1900009191"
WX_APPID = "wxd678efh567hg6787"
WX_MERCHANT_SERIAL = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"
WX_PLATFORM_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
WX_API_V3_KEY = "0123456789abcdefghijABCDEFGHIJ01"
CODE_URL = "weixin://wxpay/bizpayurl?pr=abc"


# ── keys and settings ───────────────────────────────────────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def keys() -> dict[str, rsa.RSAPrivateKey]:
    """RSA-2048 generation is slow-ish: once per module."""
    return {name: rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for name in ("merchant", "alipay", "wechat", "forger")}


def private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def rsa2_sign(key, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verifies(key, message: bytes, signature_b64: str) -> bool:
    try:
        key.public_key().verify(base64.b64decode(signature_b64), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@pytest.fixture
def alipay_on(settings, keys):
    settings.SITE_URL = "https://aigcert.example.com"
    settings.ALIPAY = {"app_id": ALIPAY_APP_ID, "private_key_pem": private_pem(keys["merchant"]),
                       "alipay_public_key_pem": public_pem(keys["alipay"]), "gateway_url": ALIPAY_GATEWAY}


@pytest.fixture
def alipay_off(settings):
    settings.ALIPAY = {"app_id": "", "private_key_pem": "", "alipay_public_key_pem": "", "gateway_url": ALIPAY_GATEWAY}


@pytest.fixture
def wechat_on(settings, keys):
    settings.SITE_URL = "https://aigcert.example.com"
    settings.WECHAT_PAY = {
        "mchid": WX_MCHID, "appid": WX_APPID, "merchant_serial_no": WX_MERCHANT_SERIAL,
        "merchant_private_key_pem": private_pem(keys["merchant"]),
        "platform_public_key_pem": public_pem(keys["wechat"]), "platform_serial_no": WX_PLATFORM_SERIAL,
        "api_v3_key": WX_API_V3_KEY, "api_base": "https://api.mch.weixin.qq.com",
    }


@pytest.fixture
def wechat_off(settings):
    settings.WECHAT_PAY = {key: "" for key in ("mchid", "appid", "merchant_serial_no", "merchant_private_key_pem",
                                              "platform_public_key_pem", "platform_serial_no", "api_v3_key")} | {
        "api_base": "https://api.mch.weixin.qq.com"}


# ── database ────────────────────────────────────────────────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def _catalog_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def catalog(_catalog_once, db):
    """Overrides the root `catalog` fixture (same data) to keep the module fast."""


@pytest.fixture
def buyer(catalog, make_user):
    return make_user(Role.CANDIDATE)


@pytest.fixture
def order(buyer) -> Order:
    return services.order_create(user=buyer, purpose=rules.DEPOSIT, program_code="aigc-general")


def reload(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def books() -> dict[str, int]:
    check = selectors.ledger_check()
    assert check.balanced, check
    return {account: total for account, total in check.trial_balance.items() if total}


def state(*orders: Order) -> dict:
    return {
        "orders": [(o.status, o.paid_with, o.paid_at) for o in Order.objects.filter(pk__in=[o.pk for o in orders])
                   .order_by("pk")],
        "payments": sorted(Payment.objects.values_list("provider", "provider_ref", "amount_fen", "duplicate")),
        "ledger": LedgerEntry.objects.count(),
        "refunds": Refund.objects.count(),
        "books": books(),
    }


def signed_in(user) -> Client:
    browser = Client()
    browser.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    browser.force_login(user)
    return browser


def page_messages(response) -> list[tuple[str, str]]:
    return [(level, html.unescape(text)) for level, text in
            re.findall(r'<p class="message message-(\w+)">(.*?)</p>', response.content.decode())]


def gateway() -> Client:
    """Gateways are servers: no session, no CSRF token (the view must not need one)."""
    return Client(enforce_csrf_checks=True)


# ── Alipay notifications ────────────────────────────────────────────────────────────────────────────────────
def alipay_notification(key, order: Order, **overrides) -> dict[str, str]:
    """Shaped like Alipay's trade_status_sync push; signed over every field but sign/sign_type, sorted, empty
    values left out (the documented rule)."""
    params = {
        "gmt_create": "2026-11-21 20:00:05", "charset": "utf-8", "seller_email": "billing@aigcert.example.com",
        "subject": "AIGC技能（通用级） · 首款", "buyer_id": "2088102177846880", "invoice_amount": "498.00",
        "notify_id": secrets.token_hex(16), "notify_type": "trade_status_sync", "trade_status": "TRADE_SUCCESS",
        "receipt_amount": "498.00", "app_id": ALIPAY_APP_ID, "buyer_pay_amount": "498.00", "sign_type": "RSA2",
        "seller_id": "2088101117955611", "gmt_payment": "2026-11-21 20:00:10", "notify_time": "2026-11-21 20:00:11",
        "version": "1.0", "out_trade_no": order.number, "total_amount": "498.00",
        "trade_no": "2026112122001446880500000001", "auth_app_id": ALIPAY_APP_ID, "point_amount": "0.00",
        "fund_bill_list": '[{"amount":"498.00","fundChannel":"ALIPAYACCOUNT"}]',
    }
    params.update(overrides)
    kept = {k: v for k, v in params.items() if k not in ("sign", "sign_type") and v != ""}
    params["sign"] = rsa2_sign(key, "&".join(f"{k}={kept[k]}" for k in sorted(kept)).encode())
    return params


def post_alipay(params: dict[str, str]):
    return gateway().post("/billing/notify/alipay/", data=urlencode(params),
                          content_type="application/x-www-form-urlencoded; charset=utf-8")


def assert_acked(response):
    assert response.status_code == 200
    assert response.content == b"success"


def assert_refused(response):
    assert response.status_code == 400
    assert response.content == b"fail"


def test_alipay_trade_success_pays_the_order_once(alipay_on, keys, order):
    response = post_alipay(alipay_notification(keys["alipay"], order))

    assert_acked(response)
    paid = reload(order)
    assert (paid.status, paid.paid_with) == ("paid", "alipay")
    [payment] = Payment.objects.all()
    assert (payment.order_id, payment.provider, payment.provider_ref, payment.amount_fen, payment.duplicate) == (
        order.pk, "alipay", "2026112122001446880500000001", 49800, False)
    assert payment.raw["out_trade_no"] == order.number
    assert books() == {"cash:alipay": 49800, "revenue:deposit": -49800}
    after_first = state(order)

    # Alipay re-sends until it reads "success": the replay is acknowledged and changes nothing.
    again = post_alipay(alipay_notification(keys["alipay"], order))

    assert_acked(again)
    assert state(order) == after_first
    assert Payment.objects.count() == 1


def test_alipay_wait_buyer_pay_is_acknowledged_and_changes_nothing(alipay_on, keys, order):
    before = state(order)

    response = post_alipay(alipay_notification(keys["alipay"], order, trade_status="WAIT_BUYER_PAY"))

    assert_acked(response)
    assert reload(order).status == "pending"
    assert state(order) == before


def test_alipay_trade_finished_after_trade_success_is_the_same_payment(alipay_on, keys, order):
    assert_acked(post_alipay(alipay_notification(keys["alipay"], order)))
    after_success = state(order)

    response = post_alipay(alipay_notification(keys["alipay"], order, trade_status="TRADE_FINISHED",
                                               gmt_close="2027-02-21 20:00:10"))

    assert_acked(response)
    assert state(order) == after_success
    assert Payment.objects.count() == 1


def test_alipay_notification_signed_with_another_key_is_refused(alipay_on, keys, order):
    before = state(order)

    response = post_alipay(alipay_notification(keys["forger"], order))

    assert_refused(response)
    assert state(order) == before
    assert reload(order).status == "pending"


def test_alipay_notification_tampered_after_signing_is_refused(alipay_on, keys, order):
    params = alipay_notification(keys["alipay"], order, total_amount="0.01")
    params["total_amount"] = "498.00"
    before = state(order)

    assert_refused(post_alipay(params))
    assert state(order) == before


def test_alipay_signed_notification_with_the_wrong_amount_is_refused(alipay_on, keys, order):
    before = state(order)

    response = post_alipay(alipay_notification(keys["alipay"], order, total_amount="0.01"))

    assert_refused(response)
    assert state(order) == before
    assert reload(order).status == "pending"


def test_alipay_signed_notification_for_an_unknown_order_is_refused(alipay_on, keys, order):
    stranger = Order(number="AC261121ZZZZZZ")
    before = state(order)

    response = post_alipay(alipay_notification(keys["alipay"], stranger))

    assert_refused(response)
    assert state(order) == before


def test_alipay_notification_for_another_app_is_refused(alipay_on, keys, order):
    before = state(order)

    response = post_alipay(alipay_notification(keys["alipay"], order, app_id="2021000000009999"))

    assert_refused(response)
    assert state(order) == before


def test_alipay_notify_is_404_when_alipay_is_not_configured(alipay_off, keys, order):
    before = state(order)

    response = post_alipay(alipay_notification(keys["alipay"], order))

    assert response.status_code == 404
    assert state(order) == before


def test_alipay_notify_refuses_get(alipay_on, keys, order):
    response = gateway().get("/billing/notify/alipay/", alipay_notification(keys["alipay"], order))

    assert response.status_code == 405
    assert reload(order).status == "pending"
    assert Payment.objects.count() == 0


def test_late_alipay_payment_of_an_expired_order_is_credited_once(alipay_on, keys, order):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.EXPIRED, expires_at=now() - timedelta(hours=1))
    params = alipay_notification(keys["alipay"], order)

    assert_acked(post_alipay(params))
    assert_acked(post_alipay(params))

    assert (reload(order).status, reload(order).paid_with) == ("paid", "alipay")
    assert Payment.objects.count() == 1
    assert books() == {"cash:alipay": 49800, "revenue:deposit": -49800}


def test_second_trade_for_a_paid_order_is_a_duplicate_owed_back(alipay_on, keys, order):
    assert_acked(post_alipay(alipay_notification(keys["alipay"], order)))
    revenue = books()["revenue:deposit"]

    response = post_alipay(alipay_notification(keys["alipay"], order, trade_no="2026112122001446880500000002"))

    assert_acked(response)
    assert reload(order).status == "paid"
    assert sorted(Payment.objects.values_list("provider_ref", "duplicate")) == [
        ("2026112122001446880500000001", False), ("2026112122001446880500000002", True)]
    refund = Refund.objects.get()
    assert (refund.status, refund.amount_fen, refund.payment.provider_ref) == (
        "pending", 49800, "2026112122001446880500000002")
    assert books() == {"cash:alipay": 2 * 49800, "revenue:deposit": revenue, "liability:overpayments": -49800}


# ── WeChat Pay notifications ────────────────────────────────────────────────────────────────────────────────
def wechat_notification(key, order: Order, *, transaction_id="4200001234202611210000000001", trade_state="SUCCESS",
                        total=None, serial=WX_PLATFORM_SERIAL, timestamp=None,
                        api_v3_key=WX_API_V3_KEY) -> tuple[bytes, dict[str, str]]:
    """Body and headers as WeChat Pay sends them: the transaction AES-GCM encrypted with our APIv3 key, the raw body
    signed by the platform key over "timestamp\\nnonce\\nbody\\n"."""
    paid = {
        "mchid": WX_MCHID, "appid": WX_APPID, "out_trade_no": order.number, "transaction_id": transaction_id,
        "trade_type": "NATIVE", "trade_state": trade_state, "trade_state_desc": "支付成功", "bank_type": "OTHERS",
        "attach": "", "success_time": "2026-11-21T20:00:10+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": order.total_fen if total is None else total, "payer_total": 49800, "currency": "CNY",
                   "payer_currency": "CNY"},
    }
    envelope = {
        "id": "EV-2018022511223320873", "create_time": "2026-11-21T20:00:11+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": wechat.encrypt_resource(api_v3_key, paid, nonce=secrets.token_hex(6),
                                            associated_data="transaction"),
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    sent_at = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    signature = rsa2_sign(key, f"{sent_at}\n{nonce}\n".encode() + body + b"\n")
    return body, {"Wechatpay-Timestamp": sent_at, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature,
                  "Wechatpay-Serial": serial}


def post_wechat(body: bytes, headers: dict[str, str]):
    return gateway().post("/billing/notify/wechat/", data=body, content_type="application/json", headers=headers)


def test_wechat_notification_pays_the_order_once(wechat_on, keys, order):
    body, headers = wechat_notification(keys["wechat"], order)

    response = post_wechat(body, headers)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "SUCCESS", "message": "成功"}
    assert (reload(order).status, reload(order).paid_with) == ("paid", "wechat")
    assert list(Payment.objects.values_list("provider", "provider_ref", "amount_fen", "duplicate")) == [
        ("wechat", "4200001234202611210000000001", 49800, False)]
    assert books() == {"cash:wechat": 49800, "revenue:deposit": -49800}
    after_first = state(order)

    # WeChat retries; the very same delivery and a fresh one for the same transaction change nothing.
    assert post_wechat(body, headers).json()["code"] == "SUCCESS"
    assert post_wechat(*wechat_notification(keys["wechat"], order)).status_code == 200
    assert state(order) == after_first


def test_wechat_not_yet_paid_notification_is_acknowledged_and_changes_nothing(wechat_on, keys, order):
    before = state(order)

    response = post_wechat(*wechat_notification(keys["wechat"], order, trade_state="NOTPAY"))

    assert response.status_code == 200
    assert state(order) == before


@pytest.mark.parametrize("forgery", ["other_key", "other_serial", "body_changed", "stale", "other_api_v3_key",
                                     "no_signature"])
def test_forged_wechat_notification_is_refused(wechat_on, keys, order, forgery):
    key = keys["forger"] if forgery == "other_key" else keys["wechat"]
    body, headers = wechat_notification(
        key, order, serial="0000000000000000000000000000000000000000" if forgery == "other_serial" else
        WX_PLATFORM_SERIAL, timestamp=int(time.time()) - 3600 if forgery == "stale" else None,
        api_v3_key="ZYXWVUTSRQPONMLKJIHGFEDCBA987654" if forgery == "other_api_v3_key" else WX_API_V3_KEY)
    if forgery == "body_changed":
        body = body.replace(b'"summary":"\xe6\x94\xaf\xe4\xbb\x98\xe6\x88\x90\xe5\x8a\x9f"', b'"summary":"x"')
        assert b'"summary":"x"' in body
    if forgery == "no_signature":
        del headers["Wechatpay-Signature"]
    before = state(order)

    response = post_wechat(body, headers)

    assert 400 <= response.status_code < 500
    assert response.json() == {"code": "FAIL", "message": "失败"}
    assert state(order) == before
    assert reload(order).status == "pending"


def test_signed_wechat_notification_with_the_wrong_amount_is_refused(wechat_on, keys, order):
    before = state(order)

    response = post_wechat(*wechat_notification(keys["wechat"], order, total=1))

    assert response.status_code == 400
    assert state(order) == before


def test_wechat_notify_is_404_when_wechat_is_not_configured(wechat_off, keys, order):
    response = post_wechat(*wechat_notification(keys["wechat"], order))

    assert response.status_code == 404
    assert Payment.objects.count() == 0


# ── the order page with the gateways switched on ────────────────────────────────────────────────────────────
def test_order_page_offers_a_signed_alipay_link(alipay_on, wechat_off, keys, order):
    response = signed_in(order.user).get(f"/orders/{order.code}/")

    assert response.status_code == 200
    section = re.search(r'<section class="card" id="pay-alipay".*?</section>', response.content.decode(), re.S)
    url = html.unescape(re.search(r'<a class="button" href="([^"]+)">', section.group(0)).group(1))
    split = urlsplit(url)
    assert f"{split.scheme}://{split.netloc}{split.path}" == ALIPAY_GATEWAY
    pairs = parse_qsl(split.query, keep_blank_values=True)
    query = dict(pairs)
    assert len(pairs) == len(query)
    signature = query.pop("sign")
    # Requests are signed over every parameter but sign, sorted, raw (not URL-encoded) values, sign_type included.
    content = "&".join(f"{k}={query[k]}" for k in sorted(query) if query[k] != "")
    assert rsa2_verifies(keys["merchant"], content.encode(), signature)
    assert not rsa2_verifies(keys["forger"], content.encode(), signature)
    assert (query["app_id"], query["method"], query["sign_type"], query["charset"]) == (
        ALIPAY_APP_ID, "alipay.trade.page.pay", "RSA2", "utf-8")
    assert query["notify_url"] == "https://aigcert.example.com/billing/notify/alipay/"
    biz = json.loads(query["biz_content"])
    assert (biz["out_trade_no"], biz["total_amount"], biz["product_code"]) == (
        order.number, "498.00", "FAST_INSTANT_TRADE_PAY")
    assert 'id="pay-wechat"' not in response.content.decode()


def test_order_page_offers_wechat_pay_when_configured(alipay_off, wechat_on, order):
    body = signed_in(order.user).get(f"/orders/{order.code}/").content.decode()

    section = re.search(r'<section class="card" id="pay-wechat".*?</section>', body, re.S).group(0)
    assert f'<a class="button" href="/orders/{order.code}/wechat/">' in section
    assert 'id="pay-alipay"' not in body


def test_paid_order_offers_no_way_to_pay(alipay_on, wechat_on, keys, order):
    assert_acked(post_alipay(alipay_notification(keys["alipay"], order)))

    body = signed_in(order.user).get(f"/orders/{order.code}/").content.decode()

    assert 'id="pay-' not in body


# ── WeChat Pay Native order against a local stand-in for api.mch.weixin.qq.com ─────────────────────────────
AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048 "


class FakeWechatPay(BaseHTTPRequestHandler):
    """POST /v3/pay/transactions/native: checks our signature like WeChat does, answers a signed code_url."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        authorization = self.headers.get("Authorization", "")
        fields = dict(re.findall(r'(\w+)="([^"]*)"', authorization)) if authorization.startswith(AUTH_SCHEMA) else {}
        message = f"POST\n{self.path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n".encode()
        authorized = (self.path == "/v3/pay/transactions/native" and fields.get("mchid") == WX_MCHID
                      and fields.get("serial_no") == WX_MERCHANT_SERIAL
                      and rsa2_verifies(self.server.merchant_key, message, fields.get("signature", "")))
        self.server.seen.append({"authorized": authorized, "body": json.loads(body)})
        reply = json.dumps({"code_url": CODE_URL} if authorized else {"code": "SIGN_ERROR"}).encode()
        self.send_response(200 if authorized else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        if self.server.mode != "unsigned":
            sent_at, nonce = str(int(time.time())), secrets.token_hex(16)
            signer = self.server.platform_key if self.server.mode == "signed" else self.server.forger_key
            self.send_header("Wechatpay-Timestamp", sent_at)
            self.send_header("Wechatpay-Nonce", nonce)
            self.send_header("Wechatpay-Signature", rsa2_sign(signer, f"{sent_at}\n{nonce}\n".encode() + reply + b"\n"))
            self.send_header("Wechatpay-Serial", WX_PLATFORM_SERIAL)
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@contextmanager
def fake_wechat_pay(keys, mode="signed"):
    server = HTTPServer(("127.0.0.1", 0), FakeWechatPay)
    server.mode, server.seen = mode, []
    server.merchant_key, server.platform_key, server.forger_key = keys["merchant"], keys["wechat"], keys["forger"]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_wechat_pay_page_shows_the_qr_code_of_a_signed_native_order(wechat_on, settings, keys, order):
    with fake_wechat_pay(keys) as (server, base):
        settings.WECHAT_PAY = {**settings.WECHAT_PAY, "api_base": base}
        response = signed_in(order.user).get(f"/orders/{order.code}/wechat/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body
    assert segno.make(CODE_URL, error="m").svg_inline(scale=6, title="WeChat Pay QR code") in body
    [request] = server.seen
    assert request["authorized"] is True
    sent = request["body"]
    assert (sent["mchid"], sent["appid"], sent["out_trade_no"], sent["amount"]) == (
        WX_MCHID, WX_APPID, order.number, {"total": 49800, "currency": "CNY"})
    assert sent["notify_url"] == "https://aigcert.example.com/billing/notify/wechat/"
    assert reload(order).status == "pending"  # showing the code pays nothing


@pytest.mark.parametrize("mode", ["unsigned", "forged"])
def test_wechat_pay_answer_without_the_platform_signature_is_not_used(wechat_on, settings, keys, order, mode):
    with fake_wechat_pay(keys, mode=mode) as (server, base):
        settings.WECHAT_PAY = {**settings.WECHAT_PAY, "api_base": base}
        response = signed_in(order.user).get(f"/orders/{order.code}/wechat/", follow=True)

    assert len(server.seen) == 1 and server.seen[0]["authorized"] is True
    assert response.redirect_chain == [(f"/orders/{order.code}/", 302)]
    assert page_messages(response) == [
        ("error", "WeChat Pay is not available right now. Try again, or pay by bank transfer.")]
    assert CODE_URL not in response.content.decode()
    assert reload(order).status == "pending"


def test_wechat_pay_down_sends_the_buyer_back_with_a_message(wechat_on, settings, order):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.WECHAT_PAY = {**settings.WECHAT_PAY, "api_base": f"http://127.0.0.1:{port}"}

    response = signed_in(order.user).get(f"/orders/{order.code}/wechat/", follow=True)

    assert response.redirect_chain == [(f"/orders/{order.code}/", 302)]
    assert page_messages(response) == [
        ("error", "WeChat Pay is not available right now. Try again, or pay by bank transfer.")]
    assert reload(order).status == "pending"


def test_wechat_pay_page_of_a_paid_order_goes_back_to_the_order(wechat_on, settings, keys, order):
    assert post_wechat(*wechat_notification(keys["wechat"], order)).status_code == 200
    with fake_wechat_pay(keys) as (server, base):
        settings.WECHAT_PAY = {**settings.WECHAT_PAY, "api_base": base}
        response = signed_in(order.user).get(f"/orders/{order.code}/wechat/")

    assert response.status_code == 302
    assert response.url == f"/orders/{order.code}/"
    assert server.seen == []
