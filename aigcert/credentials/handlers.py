"""Credentials listens for paid balance orders (through the outbox) to prepare the certificate."""

from __future__ import annotations

import logging

from django.db import transaction

from aigcert.billing import api as billing
from aigcert.core.api import outbox_subscribe

logger = logging.getLogger(__name__)


def _is_balance(payload: dict) -> bool:
    return payload.get("purpose") == billing.BALANCE


def on_order_paid(payload: dict) -> None:
    """Never fails the delivery: this listener shares a savepoint with enrolment's, whose move to "balance paid" must
    not roll back because a certificate could not be prepared. The tick prepares what was left
    (`certificates_prepare_due`)."""
    from aigcert.credentials import services

    try:
        with transaction.atomic():
            services.certificate_prepare(enrolment_code=payload["subject"])
    except Exception:
        logger.exception("certificate not prepared for enrolment %s; the tick will try again", payload.get("subject"))


def register() -> None:
    # Enrolment moves to "balance paid" in the same delivery (it subscribed first, being lower in INSTALLED_APPS).
    outbox_subscribe("billing.order_paid", on_order_paid, wants=_is_balance)
