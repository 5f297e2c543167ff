"""Payment providers behind one interface: what the pay page shows, and whether the provider is switched on."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aigcert.billing.gateways import alipay, wechat
from aigcert.billing.models import Order, Provider
from aigcert.core.api import now

logger = logging.getLogger(__name__)


class GatewayUnavailable(Exception):
    """The gateway could not be reached or answered something we cannot trust; the order stays unpaid."""


@dataclass(frozen=True)
class Checkout:
    provider: str
    label: str
    kind: str  # "instructions" | "voucher" | "redirect"
    url: str = ""
    instructions: dict | None = None


def alipay_config() -> alipay.AlipayConfig | None:
    conf = settings.ALIPAY
    if not (conf["app_id"] and conf["private_key_pem"] and conf["alipay_public_key_pem"]):
        return None
    return alipay.AlipayConfig(app_id=conf["app_id"], private_key_pem=conf["private_key_pem"],
                               alipay_public_key_pem=conf["alipay_public_key_pem"],
                               notify_url=f"{settings.SITE_URL}/billing/notify/alipay/",
                               return_url=f"{settings.SITE_URL}/orders/", gateway_url=conf["gateway_url"])


def wechat_config() -> wechat.WechatConfig | None:
    conf = settings.WECHAT_PAY
    if not all(conf[k] for k in ("mchid", "appid", "merchant_serial_no", "merchant_private_key_pem",
                                 "platform_public_key_pem", "platform_serial_no", "api_v3_key")):
        return None
    return wechat.WechatConfig(mchid=conf["mchid"], appid=conf["appid"],
                               merchant_serial_no=conf["merchant_serial_no"],
                               merchant_private_key_pem=conf["merchant_private_key_pem"],
                               platform_public_key_pem=conf["platform_public_key_pem"],
                               platform_serial_no=conf["platform_serial_no"], api_v3_key=conf["api_v3_key"],
                               notify_url=f"{settings.SITE_URL}/billing/notify/wechat/", api_base=conf["api_base"])


def checkouts(order: Order) -> list[Checkout]:
    """The ways this order can be paid, in the order the page offers them."""
    options = [Checkout(Provider.OFFLINE, str(Provider.OFFLINE.label), "instructions",
                        instructions={**settings.BANK_TRANSFER, "reference": order.number})]
    if order.purpose == "deposit":
        options.append(Checkout(Provider.VOUCHER, str(Provider.VOUCHER.label), "voucher"))
    config = alipay_config()
    if config is not None:
        options.append(Checkout(Provider.ALIPAY, str(Provider.ALIPAY.label), "redirect", url=alipay.page_pay_url(
            config, out_trade_no=order.number, total_fen=order.total_fen, subject=order.lines.first().description,
            now=now(), timeout_minutes=30)))
    if wechat_config() is not None:
        options.append(Checkout(Provider.WECHAT, str(Provider.WECHAT.label), "redirect",
                                url=f"/orders/{order.code}/wechat/"))
    return options


PROVIDER_NOTES = {
    Provider.OFFLINE: _("Transfer the exact amount and write the reference in the transfer note. Finance confirms "
                        "it within one working day."),
}


def wechat_code_url(order: Order, config: wechat.WechatConfig) -> str:
    """Place a Native order with WeChat Pay and return the code_url the buyer scans. The answer must carry the
    platform's signature, like a notification, or it is not used."""
    request = wechat.native_order_request(config, out_trade_no=order.number, total_fen=order.total_fen,
                                          description=order.lines.first().description[:120], now=now(),
                                          time_expire=order.expires_at)
    if not request.url.startswith(("https://", "http://")):
        raise GatewayUnavailable("WECHAT_PAY_API_BASE must be an http(s) URL")
    http_request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        request.url, data=request.body.encode("utf-8"), headers=request.headers, method=request.method)
    try:
        with urllib.request.urlopen(http_request, timeout=10) as response:  # noqa: S310 (scheme checked above)
            body = response.read()
            headers = response.headers
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        logger.warning("WeChat Pay unreachable: %s", exc)
        raise GatewayUnavailable(str(exc)) from exc
    if not wechat.verify_signature(config, timestamp=headers.get("Wechatpay-Timestamp", ""),
                                   nonce=headers.get("Wechatpay-Nonce", ""), body=body,
                                   signature_b64=headers.get("Wechatpay-Signature", ""),
                                   serial=headers.get("Wechatpay-Serial", "")):
        raise GatewayUnavailable("unsigned or forged WeChat Pay response")
    try:
        return str(json.loads(body)["code_url"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GatewayUnavailable("no code_url in the WeChat Pay response") from exc
