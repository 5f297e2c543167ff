"""Enrolment listens to billing through the core outbox (billing sits below enrolment and cannot call it)."""

from aigcert.core.api import outbox_subscribe


def register() -> None:
    from aigcert.enrolment import services

    outbox_subscribe("billing.order_paid", services.on_order_paid)
    outbox_subscribe("billing.order_closed", services.on_order_closed)
    outbox_subscribe("billing.order_refunded", services.on_order_refunded)
    # Learning sits below enrolment: it learns who has paid the deposit through a checker registered here.
    from aigcert.enrolment import api
    from aigcert.learning import api as learning

    learning.access_checker_register(api.program_unlocked)
