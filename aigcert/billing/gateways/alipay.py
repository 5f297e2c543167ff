"""Alipay Open Platform (openapi) adapter, RSA2 scheme: signed page-pay URLs and async-notification checks.

Pure protocol code: no HTTP, no Django, no database. Sending the buyer to the URL and answering the notification
with NOTIFICATION_ACK is the caller's business.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from aigcert.billing.gateways.base import GatewayNotification, InvalidNotification
from aigcert.billing.rules import yuan_to_fen  # Alipay amounts are yuan strings

# Alipay reads request timestamps as Beijing time; China has had no DST since 1991, so a fixed offset is exact
# and spares us a tzdata dependency.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

PAGE_PAY_METHOD = "alipay.trade.page.pay"
PRODUCT_CODE = "FAST_INSTANT_TRADE_PAY"
PAID_STATES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})

# The notify handler must answer exactly this body, or Alipay keeps re-sending (up to 8 times over ~25 hours).
NOTIFICATION_ACK = "success"



@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    private_key_pem: str  # the merchant's application private key (PKCS#1 or PKCS#8)
    alipay_public_key_pem: str  # Alipay's public key, as shown in the open platform console
    notify_url: str = ""
    return_url: str = ""
    gateway_url: str = "https://openapi.alipay.com/gateway.do"


def fen_to_yuan(fen: int) -> str:
    """Integer arithmetic only, so 49800 is always "498.00" and never a float rounding artefact."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError(f"fen must be a non-negative int, got {fen!r}")
    return f"{fen // 100}.{fen % 100:02d}"


def sign_content(params: Mapping[str, str]) -> str:
    """Request string-to-sign: Alipay signs raw (not URL-encoded) values, so encoding happens only after signing."""
    return _join_sorted({k: v for k, v in params.items() if k != "sign" and v not in ("", None)})


def sign(params: Mapping[str, str], private_key_pem: str) -> str:
    """RSA2 = SHA256withRSA, PKCS#1 v1.5, base64 — the only scheme Alipay still accepts for new apps."""
    key = _load_private_key(private_key_pem)
    signature = key.sign(sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def page_pay_url(
    config: AlipayConfig,
    *,
    out_trade_no: str,
    total_fen: int,
    subject: str,
    now: datetime,
    timeout_minutes: int | None = None,
) -> str:
    """A GET URL for the desktop cashier: the whole request travels in the query string, so no form post is needed."""
    if not out_trade_no or not subject:
        raise ValueError("out_trade_no and subject are required")
    if isinstance(total_fen, bool) or not isinstance(total_fen, int) or total_fen <= 0:
        # Alipay's minimum is 0.01 yuan; a zero or negative order would be refused by the gateway anyway.
        raise ValueError(f"total_fen must be a positive int, got {total_fen!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware: Alipay rejects timestamps that are hours off")
    biz: dict[str, str] = {
        "out_trade_no": out_trade_no,
        "total_amount": fen_to_yuan(total_fen),
        "subject": subject,
        "product_code": PRODUCT_CODE,
    }
    if timeout_minutes is not None:
        if isinstance(timeout_minutes, bool) or not isinstance(timeout_minutes, int) or timeout_minutes < 1:
            raise ValueError(f"timeout_minutes must be a positive int, got {timeout_minutes!r}")
        biz["timeout_express"] = f"{timeout_minutes}m"
    params: dict[str, str] = {
        "app_id": config.app_id,
        "method": PAGE_PAY_METHOD,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        "version": "1.0",
        "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
    }
    if config.notify_url:
        params["notify_url"] = config.notify_url
    if config.return_url:
        params["return_url"] = config.return_url
    params["sign"] = sign(params, config.private_key_pem)
    return f"{config.gateway_url}?{urlencode(params)}"


def verify_notification(params: Mapping[str, str], alipay_public_key_pem: str) -> bool:
    """Async notifications, unlike requests, leave sign_type out of the signed content.

    The published rule drops empty values, but Alipay's own Java SDK (getSignCheckContentV1) keeps them; both forms
    are accepted so a notification carrying an empty field is not rejected forever. Either form is signed by Alipay,
    and an empty value carries nothing an attacker could use.
    """
    try:
        signature = base64.b64decode(params.get("sign") or "", validate=True)
        if not signature:
            return False
        key = _load_public_key(alipay_public_key_pem)
        fields = {k: v for k, v in params.items() if k not in ("sign", "sign_type")}
        candidates = [_join_sorted({k: v for k, v in fields.items() if v not in ("", None)})]
        if any(v in ("", None) for v in fields.values()):
            candidates.append(_join_sorted({k: "" if v is None else v for k, v in fields.items()}))
        for content in candidates:
            try:
                key.verify(signature, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                continue
            return True
    except (ValueError, TypeError, binascii.Error, AttributeError):
        return False
    return False


def parse_notification(config: AlipayConfig, params: Mapping[str, str]) -> GatewayNotification:
    """Trust nothing before the signature checks out, and nothing addressed to another app even after it does."""
    params = dict(params)
    if not verify_notification(params, config.alipay_public_key_pem):
        raise InvalidNotification("alipay: bad or missing signature")
    if params.get("app_id") != config.app_id:
        raise InvalidNotification(f"alipay: app_id {params.get('app_id')!r} is not ours")
    for name in ("out_trade_no", "trade_no", "trade_status", "total_amount"):
        if not params.get(name):
            raise InvalidNotification(f"alipay: missing {name}")
    try:
        amount_fen = yuan_to_fen(params["total_amount"])
    except ValueError as exc:
        raise InvalidNotification(f"alipay: bad total_amount {params['total_amount']!r}") from exc
    state = params["trade_status"]
    return GatewayNotification(
        order_number=params["out_trade_no"],
        provider_ref=params["trade_no"],
        amount_fen=amount_fen,
        paid=state in PAID_STATES,
        state=state,
        raw=params,
    )


def _join_sorted(params: Mapping[str, str]) -> str:
    # Python sorts str by code point, which for Alipay's ASCII parameter names is the documented ASCII order.
    return "&".join(f"{k}={params[k]}" for k in sorted(params))


def _load_private_key(text: str) -> rsa.RSAPrivateKey:
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    else:
        key = serialization.load_der_private_key(_bare_base64(text), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("RSA2 needs an RSA private key")
    return key


def _load_public_key(text: str) -> rsa.RSAPublicKey:
    if "-----BEGIN" in text:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    else:
        key = serialization.load_der_public_key(_bare_base64(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("RSA2 needs an RSA public key")
    return key


def _bare_base64(text: str) -> bytes:
    """Alipay's key tool and console hand out bare base64 bodies without PEM armour; DER lets cryptography tell
    PKCS#1 from PKCS#8 by itself, which the bare form carries no label for."""
    return base64.b64decode("".join(text.split()), validate=True)
