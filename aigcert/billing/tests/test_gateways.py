"""Protocol tests for the Alipay and WeChat Pay adapters: no database, no network, real RSA and AES-GCM.

Wherever a gateway would check our work (request signatures) or we check its work (notifications), the test rebuilds
the documented string-to-sign itself instead of calling the adapter's helper, so a shared mistake cannot hide.
"""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aigcert.billing.gateways import alipay, wechat
from aigcert.billing.gateways.base import GatewayNotification, InvalidNotification

NOW = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)  # 20:00:00 in Beijing
API_V3_KEY = "0123456789abcdefghijABCDEFGHIJ01"
OTHER_API_V3_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA987654"


# --- keys -------------------------------------------------------------------------------------------------------


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _rsa2_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def _rsa2_verifies(key: rsa.RSAPrivateKey, message: bytes, signature_b64: str) -> bool:
    try:
        key.public_key().verify(base64.b64decode(signature_b64), message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@pytest.fixture(scope="module")
def keys() -> dict[str, rsa.RSAPrivateKey]:
    """RSA-2048 generation takes a noticeable fraction of a second per key, so once per module."""
    return {name: _new_key() for name in ("merchant", "alipay", "platform", "forger")}


# --- Alipay -----------------------------------------------------------------------------------------------------


@pytest.fixture
def ali_config(keys) -> alipay.AlipayConfig:
    return alipay.AlipayConfig(
        app_id="2021000000000001",
        private_key_pem=_private_pem(keys["merchant"]),
        alipay_public_key_pem=_public_pem(keys["alipay"]),
        notify_url="https://aigcert.example.com/billing/alipay/notify/",
        return_url="https://aigcert.example.com/billing/orders/A1/",
    )


def _notification_content(params: dict[str, str]) -> str:
    """The documented async-notification string-to-sign, written out independently of the adapter."""
    kept = {k: v for k, v in params.items() if k not in ("sign", "sign_type") and v != ""}
    return "&".join(f"{k}={kept[k]}" for k in sorted(kept))


def _alipay_notification(key: rsa.RSAPrivateKey, **overrides: str) -> dict[str, str]:
    """A notification shaped like Alipay's trade-status push, signed the way Alipay signs it."""
    params = {
        "gmt_create": "2024-03-01 20:00:05",
        "charset": "utf-8",
        "seller_email": "billing@aigcert.example.com",
        "subject": "AIGC 应用工程师 · 初级认证",
        "buyer_id": "2088102177846880",
        "invoice_amount": "498.00",
        "notify_id": "2024030100222200010000000000000001",
        "fund_bill_list": '[{"amount":"498.00","fundChannel":"ALIPAYACCOUNT"}]',
        "notify_type": "trade_status_sync",
        "trade_status": "TRADE_SUCCESS",
        "receipt_amount": "498.00",
        "app_id": "2021000000000001",
        "buyer_pay_amount": "498.00",
        "sign_type": "RSA2",
        "seller_id": "2088101117955611",
        "gmt_payment": "2024-03-01 20:00:10",
        "notify_time": "2024-03-01 20:00:11",
        "version": "1.0",
        "out_trade_no": "A20240301000001",
        "total_amount": "498.00",
        "trade_no": "2024030122001446880500000001",
        "auth_app_id": "2021000000000001",
        "point_amount": "0.00",
    }
    params.update(overrides)
    params["sign"] = _rsa2_sign(key, _notification_content(params).encode())
    return params


def test_sign_content_sorts_by_ascii_and_drops_sign_and_empty_values():
    params = {"b": "2", "a": "1", "sign": "SIG", "c": "", "sign_type": "RSA2", "A": "Z", "biz_content": '{"x":"a&b"}'}

    assert alipay.sign_content(params) == 'A=Z&a=1&b=2&biz_content={"x":"a&b"}&sign_type=RSA2'


def test_sign_is_rsa2_over_the_sign_content(keys, ali_config):
    params = {"method": "alipay.trade.query", "app_id": "2021000000000001", "charset": "utf-8", "empty": ""}

    signature = alipay.sign(params, ali_config.private_key_pem)

    content = b"app_id=2021000000000001&charset=utf-8&method=alipay.trade.query"
    assert _rsa2_verifies(keys["merchant"], content, signature)
    assert not _rsa2_verifies(keys["forger"], content, signature)


def test_sign_accepts_bare_base64_pkcs1_key_as_alipay_tools_export_it(keys):
    der = keys["merchant"].private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    bare = base64.b64encode(der).decode()

    signature = alipay.sign({"a": "1"}, bare)

    assert _rsa2_verifies(keys["merchant"], b"a=1", signature)


def test_page_pay_url_is_signed_over_the_documented_string(keys, ali_config):
    url = alipay.page_pay_url(
        ali_config, out_trade_no="A20240301000001", total_fen=49800, subject="AIGC 应用工程师 · 初级认证", now=NOW
    )

    split = urlsplit(url)
    assert f"{split.scheme}://{split.netloc}{split.path}" == "https://openapi.alipay.com/gateway.do"
    pairs = parse_qsl(split.query, keep_blank_values=True, strict_parsing=True)
    query = dict(pairs)
    assert len(pairs) == len(query)  # no parameter twice
    signature = query.pop("sign")
    assert query == {
        "app_id": "2021000000000001",
        "method": "alipay.trade.page.pay",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2024-03-01 20:00:00",
        "version": "1.0",
        "notify_url": "https://aigcert.example.com/billing/alipay/notify/",
        "return_url": "https://aigcert.example.com/billing/orders/A1/",
        "biz_content": query["biz_content"],
    }
    assert json.loads(query["biz_content"]) == {
        "out_trade_no": "A20240301000001",
        "total_amount": "498.00",
        "subject": "AIGC 应用工程师 · 初级认证",
        "product_code": "FAST_INSTANT_TRADE_PAY",
    }
    assert "应用工程师" in query["biz_content"]  # ensure_ascii=False: Alipay signs the characters, not \u escapes
    assert ", " not in query["biz_content"] and ": " not in query["biz_content"]
    # Requests (unlike notifications) keep sign_type in the signed content.
    content = "&".join(f"{k}={query[k]}" for k in sorted(query))
    assert content.startswith("app_id=2021000000000001&biz_content=")
    assert "&sign_type=RSA2&timestamp=2024-03-01 20:00:00&version=1.0" in content
    assert _rsa2_verifies(keys["merchant"], content.encode(), signature)


def test_page_pay_url_timeout_and_optional_urls(ali_config):
    config = alipay.AlipayConfig(
        app_id=ali_config.app_id,
        private_key_pem=ali_config.private_key_pem,
        alipay_public_key_pem=ali_config.alipay_public_key_pem,
        gateway_url="https://openapi-sandbox.dl.alipaydev.com/gateway.do",
    )

    url = alipay.page_pay_url(config, out_trade_no="A2", total_fen=1, subject="s", now=NOW, timeout_minutes=30)

    assert url.startswith("https://openapi-sandbox.dl.alipaydev.com/gateway.do?")
    query = dict(parse_qsl(urlsplit(url).query))
    assert "notify_url" not in query
    assert "return_url" not in query
    assert json.loads(query["biz_content"]) == {
        "out_trade_no": "A2",
        "total_amount": "0.01",
        "subject": "s",
        "product_code": "FAST_INSTANT_TRADE_PAY",
        "timeout_express": "30m",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"total_fen": 0},
        {"total_fen": -100},
        {"total_fen": True},
        {"now": datetime(2024, 3, 1, 12, 0)},  # naive
        {"timeout_minutes": 0},
        {"subject": ""},
    ],
)
def test_page_pay_url_refuses_bad_input(ali_config, kwargs):
    args = {"out_trade_no": "A1", "total_fen": 100, "subject": "s", "now": NOW, **kwargs}

    with pytest.raises(ValueError):
        alipay.page_pay_url(ali_config, **args)


@pytest.mark.parametrize(
    ("fen", "yuan"),
    [(49800, "498.00"), (1, "0.01"), (10, "0.10"), (0, "0.00"), (100000000000, "1000000000.00")],
)
def test_fen_to_yuan(fen, yuan):
    assert alipay.fen_to_yuan(fen) == yuan


@pytest.mark.parametrize("fen", [-1, 1.5, True, "100"])
def test_fen_to_yuan_refuses_non_fen(fen):
    with pytest.raises(ValueError):
        alipay.fen_to_yuan(fen)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("498.00", 49800),
        ("498", 49800),
        ("498.5", 49850),
        ("0.01", 1),
        ("0.1", 10),
        ("0", 0),
        ("12345678901234567890123456789.99", 1234567890123456789012345678999),  # beyond Decimal's 28 digits
    ],
)
def test_yuan_to_fen(text, fen):
    assert alipay.yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    ["498.001", "abc", "-1", "", "1.", ".5", "1e3", " 1", "1 ", "498.00\n", "+1", "1,000.00", "４９８", "NaN", "1_000"],
)
def test_yuan_to_fen_refuses_anything_else(text):
    with pytest.raises(ValueError):
        alipay.yuan_to_fen(text)


def test_notification_verifies_and_parses(keys, ali_config):
    params = _alipay_notification(keys["alipay"])

    assert alipay.verify_notification(params, ali_config.alipay_public_key_pem) is True
    assert alipay.parse_notification(ali_config, params) == GatewayNotification(
        order_number="A20240301000001",
        provider_ref="2024030122001446880500000001",
        amount_fen=49800,
        paid=True,
        state="TRADE_SUCCESS",
        raw=params,
    )


@pytest.mark.parametrize(
    ("status", "paid"),
    [("TRADE_SUCCESS", True), ("TRADE_FINISHED", True), ("WAIT_BUYER_PAY", False), ("TRADE_CLOSED", False)],
)
def test_notification_paid_only_for_final_success_states(keys, ali_config, status, paid):
    result = alipay.parse_notification(ali_config, _alipay_notification(keys["alipay"], trade_status=status))

    assert (result.paid, result.state, result.amount_fen) == (paid, status, 49800)


def test_notification_forged_with_another_key_is_refused(keys, ali_config):
    params = _alipay_notification(keys["forger"])

    assert alipay.verify_notification(params, ali_config.alipay_public_key_pem) is False
    with pytest.raises(InvalidNotification, match="signature"):
        alipay.parse_notification(ali_config, params)


def test_notification_amount_tampered_after_signing_is_refused(keys, ali_config):
    params = _alipay_notification(keys["alipay"])
    params["total_amount"] = "0.01"

    with pytest.raises(InvalidNotification, match="signature"):
        alipay.parse_notification(ali_config, params)


@pytest.mark.parametrize("sign", [None, "", "not base64!", base64.b64encode(b"short").decode()])
def test_notification_with_missing_or_garbage_signature_is_refused(keys, ali_config, sign):
    params = _alipay_notification(keys["alipay"])
    if sign is None:
        del params["sign"]
    else:
        params["sign"] = sign

    assert alipay.verify_notification(params, ali_config.alipay_public_key_pem) is False
    with pytest.raises(InvalidNotification, match="signature"):
        alipay.parse_notification(ali_config, params)


def test_notification_for_another_app_is_refused_even_when_signed(keys, ali_config):
    params = _alipay_notification(keys["alipay"], app_id="2021000000009999")

    assert alipay.verify_notification(params, ali_config.alipay_public_key_pem) is True
    with pytest.raises(InvalidNotification, match="app_id"):
        alipay.parse_notification(ali_config, params)


@pytest.mark.parametrize("amount", ["498.001", "abc", "-1", "498,00", "4.98e2"])
def test_notification_with_unusable_amount_is_refused_even_when_signed(keys, ali_config, amount):
    params = _alipay_notification(keys["alipay"], total_amount=amount)

    with pytest.raises(InvalidNotification, match="total_amount"):
        alipay.parse_notification(ali_config, params)


@pytest.mark.parametrize("field", ["out_trade_no", "trade_no", "trade_status", "total_amount"])
def test_notification_missing_a_required_field_is_refused_even_when_signed(keys, ali_config, field):
    params = _alipay_notification(keys["alipay"])
    del params[field]
    params["sign"] = _rsa2_sign(keys["alipay"], _notification_content(params).encode())

    with pytest.raises(InvalidNotification, match=f"missing {field}"):
        alipay.parse_notification(ali_config, params)


def test_notification_signature_leaves_out_sign_type_but_covers_everything_else(keys, ali_config):
    public_pem = ali_config.alipay_public_key_pem
    params = _alipay_notification(keys["alipay"])

    assert alipay.verify_notification({**params, "sign_type": "RSA"}, public_pem) is True
    assert alipay.verify_notification({k: v for k, v in params.items() if k != "sign_type"}, public_pem) is True
    assert alipay.verify_notification({**params, "subject": "other"}, public_pem) is False
    assert alipay.verify_notification({**params, "extra": "1"}, public_pem) is False
    assert alipay.verify_notification({k: v for k, v in params.items() if k != "seller_id"}, public_pem) is False
    # A signature over the request-style content (sign_type included) is not a valid notification signature.
    with_sign_type = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")
    request_style = {**params, "sign": _rsa2_sign(keys["alipay"], with_sign_type.encode())}
    assert alipay.verify_notification(request_style, public_pem) is False


def test_notification_with_an_empty_field_verifies_whether_or_not_it_was_signed(keys, ali_config):
    public_pem = ali_config.alipay_public_key_pem
    dropped = _alipay_notification(keys["alipay"], body="")  # documented rule: empty values are not signed
    kept = dict(dropped)
    content_with_empty = "&".join(f"{k}={kept[k]}" for k in sorted(kept) if k not in ("sign", "sign_type"))
    assert "&body=&" in content_with_empty
    kept["sign"] = _rsa2_sign(keys["alipay"], content_with_empty.encode())  # Alipay Java SDK verifies this form

    assert alipay.verify_notification(dropped, public_pem) is True
    assert alipay.verify_notification(kept, public_pem) is True
    assert alipay.verify_notification({**kept, "body": "x"}, public_pem) is False


def test_notification_verification_with_an_unusable_public_key_is_false_not_an_error(keys):
    params = _alipay_notification(keys["alipay"])

    assert alipay.verify_notification(params, "not a key") is False
    assert alipay.verify_notification(params, _private_pem(keys["alipay"])) is False


def test_notification_ack_is_the_literal_alipay_expects():
    assert alipay.NOTIFICATION_ACK == "success"


# --- WeChat Pay -------------------------------------------------------------------------------------------------


@pytest.fixture
def wx_config(keys) -> wechat.WechatConfig:
    return wechat.WechatConfig(
        mchid="1900009191",
        appid="wxd678efh567hg6787",
        merchant_serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
        merchant_private_key_pem=_private_pem(keys["merchant"]),
        platform_public_key_pem=_public_pem(keys["platform"]),
        platform_serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        api_v3_key=API_V3_KEY,
        notify_url="https://aigcert.example.com/billing/wechat/notify/",
    )


_AUTH_RE = re.compile(r'WECHATPAY2-SHA256-RSA2048 ((?:[a-z_]+="[^"]*",)*[a-z_]+="[^"]*")')


def _parse_authorization(value: str) -> dict[str, str]:
    match = _AUTH_RE.fullmatch(value)
    assert match, value
    return dict(re.findall(r'([a-z_]+)="([^"]*)"', match.group(1)))


def _transaction(**overrides) -> dict:
    """The decrypted resource of a TRANSACTION.SUCCESS notification, per the Native-pay notification docs."""
    data = {
        "mchid": "1900009191",
        "appid": "wxd678efh567hg6787",
        "out_trade_no": "A20240301000001",
        "transaction_id": "4200000000202403011234567890",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "attach": "",
        "success_time": "2024-03-01T20:00:10+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 49800, "payer_total": 49800, "currency": "CNY", "payer_currency": "CNY"},
    }
    data.update(overrides)
    return data


def _wechat_notification(
    transaction: dict,
    signing_key: rsa.RSAPrivateKey,
    *,
    serial: str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    timestamp: int | None = None,
    api_v3_key: str = API_V3_KEY,
) -> tuple[dict[str, str], bytes]:
    """Headers and body the way WeChat sends them: AES-GCM resource, platform key over timestamp\\nnonce\\nbody\\n."""
    nonce = "fdasflkja484w"
    resource_nonce = "r5Fq8e0TcYqZ"
    aad = "transaction"
    ciphertext = AESGCM(api_v3_key.encode()).encrypt(
        resource_nonce.encode(), json.dumps(transaction).encode(), aad.encode()
    )
    envelope = {
        "id": "EV-2018022511223320873",
        "create_time": "2024-03-01T20:00:11+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": aad,
            "nonce": resource_nonce,
        },
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    ts = str(int(NOW.timestamp()) if timestamp is None else timestamp)
    signature = _rsa2_sign(signing_key, f"{ts}\n{nonce}\n".encode() + body + b"\n")
    headers = {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }
    return headers, body


def test_authorization_header_carries_a_merchant_signature_over_the_documented_message(keys, wx_config):
    body = '{"out_trade_no":"A1"}'

    value = wechat.authorization_header(
        wx_config,
        method="post",
        url_path="/v3/pay/transactions/native",
        body=body,
        timestamp=1554208460,
        nonce="593BEC0C930BF1AFEB40B4A08C8FB242",
    )

    fields = _parse_authorization(value)
    signature = fields.pop("signature")
    assert fields == {
        "mchid": "1900009191",
        "nonce_str": "593BEC0C930BF1AFEB40B4A08C8FB242",
        "timestamp": "1554208460",
        "serial_no": "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
    }
    message = f"POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{body}\n"
    assert _rsa2_verifies(keys["merchant"], message.encode(), signature)
    assert not _rsa2_verifies(keys["merchant"], message.replace("A1", "A2").encode(), signature)


def test_authorization_header_for_get_signs_the_query_and_an_empty_body(keys, wx_config):
    path = "/v3/pay/transactions/out-trade-no/A1?mchid=1900009191"

    value = wechat.authorization_header(wx_config, method="GET", url_path=path, body="", timestamp=1, nonce="N")

    signature = _parse_authorization(value)["signature"]
    assert _rsa2_verifies(keys["merchant"], f"GET\n{path}\n1\nN\n\n".encode(), signature)


def test_native_order_request(keys, wx_config):
    request = wechat.native_order_request(
        wx_config,
        out_trade_no="A20240301000001",
        total_fen=49800,
        description="AIGC 应用工程师 · 初级认证",
        now=NOW,
        nonce="593BEC0C930BF1AFEB40B4A08C8FB242",
        time_expire=NOW + timedelta(minutes=30),
    )

    assert request.method == "POST"
    assert request.url == "https://api.mch.weixin.qq.com/v3/pay/transactions/native"
    assert json.loads(request.body) == {
        "appid": "wxd678efh567hg6787",
        "mchid": "1900009191",
        "description": "AIGC 应用工程师 · 初级认证",
        "out_trade_no": "A20240301000001",
        "notify_url": "https://aigcert.example.com/billing/wechat/notify/",
        "amount": {"total": 49800, "currency": "CNY"},
        "time_expire": "2024-03-01T20:30:00+08:00",
    }
    assert request.headers.keys() == {"Authorization", "Accept", "Content-Type"}
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    fields = _parse_authorization(request.headers["Authorization"])
    assert (fields["timestamp"], fields["nonce_str"]) == ("1709294400", "593BEC0C930BF1AFEB40B4A08C8FB242")
    message = f"POST\n/v3/pay/transactions/native\n1709294400\n593BEC0C930BF1AFEB40B4A08C8FB242\n{request.body}\n"
    assert _rsa2_verifies(keys["merchant"], message.encode("utf-8"), fields["signature"])


def test_native_order_request_without_expiry_or_nonce(wx_config):
    first = wechat.native_order_request(wx_config, out_trade_no="A1", total_fen=1, description="d", now=NOW)
    second = wechat.native_order_request(wx_config, out_trade_no="A1", total_fen=1, description="d", now=NOW)

    assert "time_expire" not in json.loads(first.body)
    nonces = [_parse_authorization(r.headers["Authorization"])["nonce_str"] for r in (first, second)]
    assert [len(n) for n in nonces] == [32, 32]
    assert nonces[0] != nonces[1]


def test_native_order_request_signs_the_path_under_a_prefixed_api_base(keys, wx_config):
    config = wechat.WechatConfig(**{**wx_config.__dict__, "api_base": "http://localhost:8000/sim/wechat/"})

    request = wechat.native_order_request(config, out_trade_no="A1", total_fen=1, description="d", now=NOW, nonce="N")

    assert request.url == "http://localhost:8000/sim/wechat/v3/pay/transactions/native"
    signature = _parse_authorization(request.headers["Authorization"])["signature"]
    message = f"POST\n/sim/wechat/v3/pay/transactions/native\n1709294400\nN\n{request.body}\n"
    assert _rsa2_verifies(keys["merchant"], message.encode(), signature)


@pytest.mark.parametrize(
    "kwargs",
    [{"total_fen": 0}, {"total_fen": 4.98}, {"now": datetime(2024, 3, 1)}, {"time_expire": datetime(2024, 3, 2)}],
)
def test_native_order_request_refuses_bad_input(wx_config, kwargs):
    args = {"out_trade_no": "A1", "total_fen": 100, "description": "d", "now": NOW, **kwargs}

    with pytest.raises(ValueError):
        wechat.native_order_request(wx_config, **args)


def test_encrypt_resource_is_what_aes_gcm_with_the_api_v3_key_decrypts():
    resource = wechat.encrypt_resource(API_V3_KEY, {"a": "支付"}, nonce="abcdefghijkl", associated_data="transaction")

    assert resource.keys() == {"algorithm", "ciphertext", "nonce", "associated_data", "original_type"}
    assert (resource["algorithm"], resource["nonce"], resource["associated_data"], resource["original_type"]) == (
        "AEAD_AES_256_GCM",
        "abcdefghijkl",
        "transaction",
        "transaction",
    )
    plaintext = AESGCM(API_V3_KEY.encode()).decrypt(
        b"abcdefghijkl", base64.b64decode(resource["ciphertext"]), b"transaction"
    )
    assert json.loads(plaintext) == {"a": "支付"}


def test_encrypt_resource_refuses_a_key_that_is_not_32_bytes():
    with pytest.raises(ValueError, match="32 bytes"):
        wechat.encrypt_resource("short", {}, nonce="abcdefghijkl", associated_data="")


def test_verify_signature_accepts_str_and_bytes_bodies(keys, wx_config):
    headers, body = _wechat_notification(_transaction(), keys["platform"])
    args = {
        "timestamp": headers["Wechatpay-Timestamp"],
        "nonce": headers["Wechatpay-Nonce"],
        "signature_b64": headers["Wechatpay-Signature"],
        "serial": headers["Wechatpay-Serial"],
    }

    assert wechat.verify_signature(wx_config, body=body, **args) is True
    assert wechat.verify_signature(wx_config, body=body.decode(), **args) is True
    assert wechat.verify_signature(wx_config, body=body + b" ", **args) is False
    assert wechat.verify_signature(wx_config, body=body, **{**args, "nonce": "other"}) is False
    assert wechat.verify_signature(wx_config, body=body, **{**args, "signature_b64": "WECHATPAY/SIGNTEST/abc"}) is False


def test_wechat_notification_parses(keys, wx_config):
    transaction = _transaction()
    headers, body = _wechat_notification(transaction, keys["platform"])

    result = wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW + timedelta(seconds=3))

    assert result == GatewayNotification(
        order_number="A20240301000001",
        provider_ref="4200000000202403011234567890",
        amount_fen=49800,
        paid=True,
        state="SUCCESS",
        raw=transaction,
    )


def test_wechat_notification_built_with_encrypt_resource_parses(keys, wx_config):
    envelope = {
        "id": "EV-1",
        "event_type": "TRANSACTION.SUCCESS",
        "resource_type": "encrypt-resource",
        "resource": wechat.encrypt_resource(
            API_V3_KEY, _transaction(out_trade_no="A9"), nonce="abcdefghijkl", associated_data=""
        ),
    }
    body = json.dumps(envelope).encode()
    ts = str(int(NOW.timestamp()))
    headers = {
        "wechatpay-timestamp": ts,  # lower case, as some servers normalise header names
        "WECHATPAY-NONCE": "n",
        "Wechatpay-Signature": _rsa2_sign(keys["platform"], f"{ts}\nn\n".encode() + body + b"\n"),
        "Wechatpay-Serial": wx_config.platform_serial_no,
    }

    result = wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW)

    assert (result.order_number, result.amount_fen, result.paid) == ("A9", 49800, True)


def test_wechat_notification_not_paid_state(keys, wx_config):
    headers, body = _wechat_notification(_transaction(trade_state="NOTPAY"), keys["platform"])

    result = wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW)

    assert (result.paid, result.state, result.amount_fen) == (False, "NOTPAY", 49800)


def test_wechat_notification_forged_with_another_key_is_refused(keys, wx_config):
    headers, body = _wechat_notification(_transaction(), keys["forger"])

    with pytest.raises(InvalidNotification, match="signature"):
        wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW)


def test_wechat_notification_naming_another_platform_serial_is_refused(keys, wx_config):
    headers, body = _wechat_notification(_transaction(), keys["platform"], serial="PUB_KEY_ID_0000000000000000000000")

    with pytest.raises(InvalidNotification, match="serial"):
        wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW)


def test_wechat_notification_with_body_tampered_after_signing_is_refused(keys, wx_config):
    headers, body = _wechat_notification(_transaction(), keys["platform"])
    tampered = body.replace(b'"id": "EV-2018022511223320873"', b'"id": "EV-2018022511223320874"')
    assert tampered != body

    with pytest.raises(InvalidNotification, match="signature"):
        wechat.parse_notification(wx_config, headers=headers, body=tampered, now=NOW)


@pytest.mark.parametrize("offset", [301, -301, 3600])
def test_wechat_notification_outside_the_five_minute_window_is_refused(keys, wx_config, offset):
    headers, body = _wechat_notification(_transaction(), keys["platform"])

    with pytest.raises(InvalidNotification, match="window"):
        wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW + timedelta(seconds=offset))


@pytest.mark.parametrize("offset", [300, -300])
def test_wechat_notification_at_the_edge_of_the_window_is_accepted(keys, wx_config, offset):
    headers, body = _wechat_notification(_transaction(), keys["platform"])

    result = wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW + timedelta(seconds=offset))

    assert result.paid is True


def test_wechat_notification_encrypted_with_another_api_v3_key_is_refused(keys, wx_config):
    headers, body = _wechat_notification(_transaction(), keys["platform"], api_v3_key=OTHER_API_V3_KEY)

    with pytest.raises(InvalidNotification, match="decrypted"):
        wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"appid": "wx0000000000000000"}, "appid"),
        ({"mchid": "1900000000"}, "mchid"),
        ({"out_trade_no": ""}, "missing out_trade_no"),
        ({"transaction_id": None}, "missing transaction_id"),
        ({"trade_state": 1}, "missing trade_state"),
        ({"amount": {"currency": "CNY"}}, "amount.total"),
        ({"amount": {"total": "49800", "currency": "CNY"}}, "amount.total"),
        ({"amount": {"total": 498.0, "currency": "CNY"}}, "amount.total"),
        ({"amount": {"total": 49800, "currency": "USD"}}, "currency"),
        ({"amount": 49800}, "amount.total"),
    ],
)
def test_wechat_notification_with_wrong_or_missing_content_is_refused_even_when_signed(
    keys, wx_config, overrides, message
):
    headers, body = _wechat_notification(_transaction(**overrides), keys["platform"])

    with pytest.raises(InvalidNotification, match=re.escape(message)):
        wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW)


def test_wechat_notification_without_currency_is_accepted(keys, wx_config):
    headers, body = _wechat_notification(_transaction(amount={"total": 100}), keys["platform"])

    assert wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW).amount_fen == 100


def _signed(keys, body: bytes) -> dict[str, str]:
    ts = str(int(NOW.timestamp()))
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": "n",
        "Wechatpay-Signature": _rsa2_sign(keys["platform"], f"{ts}\nn\n".encode() + body + b"\n"),
        "Wechatpay-Serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<xml>not json</xml>", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "resource"),
        (b'{"resource": "x"}', "resource"),
        (b'{"resource": {"algorithm": "AEAD_AES_128_GCM", "ciphertext": "", "nonce": ""}}', "algorithm"),
        (b'{"resource": {"algorithm": "AEAD_AES_256_GCM", "nonce": "abcdefghijkl"}}', "decrypted"),
        (b'{"resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": "!!", "nonce": "abc"}}', "decrypted"),
    ],
)
def test_wechat_notification_with_unusable_signed_body_is_refused(keys, wx_config, body, message):
    with pytest.raises(InvalidNotification, match=message):
        wechat.parse_notification(wx_config, headers=_signed(keys, body), body=body, now=NOW)


def test_wechat_notification_whose_plaintext_is_not_an_object_is_refused(keys, wx_config):
    resource = wechat.encrypt_resource(API_V3_KEY, {}, nonce="abcdefghijkl", associated_data="transaction")
    resource["ciphertext"] = base64.b64encode(
        AESGCM(API_V3_KEY.encode()).encrypt(b"abcdefghijkl", b'["list"]', b"transaction")
    ).decode()
    body = json.dumps({"resource": resource}).encode()

    with pytest.raises(InvalidNotification, match="not an object"):
        wechat.parse_notification(wx_config, headers=_signed(keys, body), body=body, now=NOW)


@pytest.mark.parametrize(
    "header", ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"]
)
def test_wechat_notification_missing_a_header_is_refused(keys, wx_config, header):
    headers, body = _wechat_notification(_transaction(), keys["platform"])
    del headers[header]

    with pytest.raises(InvalidNotification, match=f"missing header {header.lower()}"):
        wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW)


def test_wechat_notification_with_non_numeric_timestamp_is_refused(keys, wx_config):
    headers, body = _wechat_notification(_transaction(), keys["platform"])
    headers["Wechatpay-Timestamp"] = "yesterday"

    with pytest.raises(InvalidNotification, match="timestamp"):
        wechat.parse_notification(wx_config, headers=headers, body=body, now=NOW)


def test_wechat_notification_acks():
    assert wechat.NOTIFICATION_ACK == ({"code": "SUCCESS", "message": "成功"}, 200)
    assert wechat.NOTIFICATION_NACK[1] >= 400
