"""WeChat Pay API v3 (商户API v3) adapter: signed Native-order requests and payment-notification checks.

Pure protocol code: no HTTP, no Django, no database. The caller sends PreparedRequest as-is (body encoded as UTF-8,
byte for byte, since the signature covers it) and answers notifications with NOTIFICATION_ACK.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aigcert.billing.gateways.base import GatewayNotification, InvalidNotification

# time_expire is shown to buyers in Beijing time; China has no DST, so a fixed offset is exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
NATIVE_PATH = "/v3/pay/transactions/native"
AEAD_ALGORITHM = "AEAD_AES_256_GCM"

# (JSON body, HTTP status). WeChat treats any 2xx as received (current docs also allow an empty 204); anything else
# makes it retry with back-off for about a day, which is what we want for notifications we refused.
NOTIFICATION_ACK = ({"code": "SUCCESS", "message": "成功"}, 200)
NOTIFICATION_NACK = ({"code": "FAIL", "message": "失败"}, 400)


@dataclass(frozen=True)
class WechatConfig:
    mchid: str
    appid: str
    merchant_serial_no: str  # serial of the merchant API certificate whose private key we sign with
    merchant_private_key_pem: str
    platform_public_key_pem: str  # WeChat Pay platform certificate key, or the newer "微信支付公钥"
    platform_serial_no: str  # its serial (or PUB_KEY_ID_...); notifications must name it in Wechatpay-Serial
    api_v3_key: str  # 32 ASCII chars, set in the merchant console; the AES-256-GCM key for notification resources
    notify_url: str = ""
    api_base: str = "https://api.mch.weixin.qq.com"


@dataclass(frozen=True)
class PreparedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: str


def authorization_header(
    config: WechatConfig, *, method: str, url_path: str, body: str, timestamp: int, nonce: str
) -> str:
    """WeChat signs the exact bytes sent, so url_path must include the query string and body must be the final text."""
    message = f"{method.upper()}\n{url_path}\n{timestamp}\n{nonce}\n{body}\n"
    key = _load_private_key(config.merchant_private_key_pem)
    signature = base64.b64encode(key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()
    return (
        f'{AUTH_SCHEMA} mchid="{config.mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{config.merchant_serial_no}"'
    )


def native_order_request(
    config: WechatConfig,
    *,
    out_trade_no: str,
    total_fen: int,
    description: str,
    now: datetime,
    nonce: str | None = None,
    time_expire: datetime | None = None,
) -> PreparedRequest:
    """Native (QR code) order: the response's code_url is what the buyer scans. WeChat already counts in fen."""
    if not out_trade_no or not description:
        raise ValueError("out_trade_no and description are required")
    if isinstance(total_fen, bool) or not isinstance(total_fen, int) or total_fen <= 0:
        raise ValueError(f"total_fen must be a positive int, got {total_fen!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware: WeChat rejects requests whose timestamp is off by minutes")
    payload: dict[str, object] = {
        "appid": config.appid,
        "mchid": config.mchid,
        "description": description,
        "out_trade_no": out_trade_no,
        "notify_url": config.notify_url,
        "amount": {"total": total_fen, "currency": "CNY"},
    }
    if time_expire is not None:
        if time_expire.tzinfo is None:
            raise ValueError("time_expire must be timezone-aware")
        payload["time_expire"] = time_expire.astimezone(SHANGHAI).isoformat(timespec="seconds")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    url = config.api_base.rstrip("/") + NATIVE_PATH
    # Sign the path as it will appear on the wire, so an api_base with a path prefix (a local simulator) still matches.
    split = urlsplit(url)
    url_path = split.path + (f"?{split.query}" if split.query else "")
    nonce = nonce or secrets.token_hex(16).upper()
    auth = authorization_header(
        config, method="POST", url_path=url_path, body=body, timestamp=int(now.timestamp()), nonce=nonce
    )
    headers = {"Authorization": auth, "Accept": "application/json", "Content-Type": "application/json"}
    return PreparedRequest(method="POST", url=url, headers=headers, body=body)


def verify_signature(
    config: WechatConfig, *, timestamp: str, nonce: str, body: bytes | str, signature_b64: str, serial: str
) -> bool:
    """Checks a response or notification really came from WeChat: platform key over timestamp, nonce and raw body.

    The serial is compared first because after a platform key rotation WeChat may sign with a key we do not hold yet;
    that must read as "not verified", never as verified by the wrong key.
    """
    try:
        if serial != config.platform_serial_no:
            return False
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        message = f"{timestamp}\n{nonce}\n".encode() + raw + b"\n"
        signature = base64.b64decode(signature_b64, validate=True)
        key = _load_public_key(config.platform_public_key_pem)
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError, binascii.Error, AttributeError):
        return False
    return True


def parse_notification(
    config: WechatConfig,
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    max_skew_seconds: int = 300,
) -> GatewayNotification:
    """Cheap replay window first, then the signature, then decryption, then whose order it is.

    Only the signed envelope is trusted enough to decrypt; the decrypted mchid/appid are still checked because a
    valid notification for another merchant sharing our platform key must not settle one of our orders.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = lowered["wechatpay-timestamp"]
        nonce = lowered["wechatpay-nonce"]
        signature = lowered["wechatpay-signature"]
        serial = lowered["wechatpay-serial"]
    except KeyError as exc:
        raise InvalidNotification(f"wechat: missing header {exc.args[0]}") from exc
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise InvalidNotification(f"wechat: bad timestamp {timestamp!r}") from exc
    if abs(now.timestamp() - sent_at) > max_skew_seconds:
        raise InvalidNotification(f"wechat: timestamp {sent_at} outside the {max_skew_seconds}s window")
    if not verify_signature(
        config, timestamp=timestamp, nonce=nonce, body=body, signature_b64=signature, serial=serial
    ):
        raise InvalidNotification("wechat: bad signature or unknown platform serial")

    try:
        envelope = json.loads(body)
    except (ValueError, TypeError) as exc:
        raise InvalidNotification("wechat: body is not JSON") from exc
    resource = envelope.get("resource") if isinstance(envelope, dict) else None
    if not isinstance(resource, dict):
        raise InvalidNotification("wechat: no resource object")
    if resource.get("algorithm") != AEAD_ALGORITHM:
        raise InvalidNotification(f"wechat: unsupported algorithm {resource.get('algorithm')!r}")
    transaction = _decrypt_resource(config.api_v3_key, resource)

    if transaction.get("mchid") != config.mchid:
        raise InvalidNotification(f"wechat: mchid {transaction.get('mchid')!r} is not ours")
    if transaction.get("appid") != config.appid:
        raise InvalidNotification(f"wechat: appid {transaction.get('appid')!r} is not ours")
    for name in ("out_trade_no", "transaction_id", "trade_state"):
        if not isinstance(transaction.get(name), str) or not transaction[name]:
            raise InvalidNotification(f"wechat: missing {name}")
    amount = transaction.get("amount")
    total = amount.get("total") if isinstance(amount, dict) else None
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise InvalidNotification(f"wechat: bad amount.total {total!r}")
    if "currency" in amount and amount["currency"] != "CNY":
        raise InvalidNotification(f"wechat: unexpected currency {amount['currency']!r}")
    state = transaction["trade_state"]
    return GatewayNotification(
        order_number=transaction["out_trade_no"],
        provider_ref=transaction["transaction_id"],
        amount_fen=total,
        paid=state == "SUCCESS",
        state=state,
        raw=transaction,
    )


def encrypt_resource(api_v3_key: str, plaintext: dict, *, nonce: str, associated_data: str) -> dict:
    """The inverse of what WeChat does to a notification's resource, so tests and a local simulator send real ones."""
    ciphertext = AESGCM(_aes_key(api_v3_key)).encrypt(
        nonce.encode("utf-8"),
        json.dumps(plaintext, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        associated_data.encode("utf-8"),
    )
    return {
        "algorithm": AEAD_ALGORITHM,
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
        "nonce": nonce,
        "associated_data": associated_data,
        "original_type": "transaction",
    }


def _decrypt_resource(api_v3_key: str, resource: Mapping[str, object]) -> dict:
    aesgcm = AESGCM(_aes_key(api_v3_key))  # outside the try: a misconfigured key must fail loudly, not as "forged"
    try:
        nonce = resource["nonce"]
        ciphertext = resource["ciphertext"]
        associated_data = resource.get("associated_data") or ""
        if not all(isinstance(v, str) for v in (nonce, ciphertext, associated_data)):
            raise TypeError("resource fields must be strings")
        plaintext = aesgcm.decrypt(
            nonce.encode("utf-8"),
            base64.b64decode(ciphertext, validate=True),
            associated_data.encode("utf-8"),
        )
        transaction = json.loads(plaintext)
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidTag) as exc:
        raise InvalidNotification("wechat: resource could not be decrypted") from exc
    if not isinstance(transaction, dict):
        raise InvalidNotification("wechat: decrypted resource is not an object")
    return transaction


def _aes_key(api_v3_key: str) -> bytes:
    key = api_v3_key.encode("utf-8")
    if len(key) != 32:
        raise ValueError("api_v3_key must be exactly 32 bytes")
    return key


def _load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("WECHATPAY2-SHA256-RSA2048 needs an RSA private key")
    return key


def _load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Accepts the platform certificate as downloaded from /v3/certificates as well as a bare public key."""
    data = pem.encode("ascii")
    if b"-----BEGIN CERTIFICATE-----" in data:
        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("WECHATPAY2-SHA256-RSA2048 needs an RSA public key")
    return key
