"""Enrolment listens to billing through the core outbox (billing sits below enrolment and cannot call it)."""

from aigcert.core.api import outbox_subscribe


def register() -> None:
    from aigcert.enrolment import services

    outbox_subscribe("billing.order_paid", services.on_order_paid)
    outbox_subscribe("billing.order_closed", services.on_order_closed)
    outbox_subscribe("billing.order_refunded", services.on_order_refunded)
