"""Periodic upkeep: close exam attempts past their deadline, queue again mock scores left pending, expire unpaid
orders (releasing held seats), retry undelivered outbox events, send session reminders. `aigcert run` runs it
every minute; every step is idempotent, so running it twice is harmless."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from aigcert.billing import api as billing
from aigcert.core.api import outbox_retry
from aigcert.delivery import api as delivery
from aigcert.enrolment import api as enrolment
from aigcert.scoring import api as scoring


class Command(BaseCommand):
    help = ("Close attempts past their deadline, queue again pending mock scores, expire unpaid orders, retry "
            "outbox events, send exam reminders (once, or every N seconds).")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds until stopped")

    def handle(self, *args, every: int, **options):
        while True:
            closed = delivery.attempts_close_due()
            requeued = scoring.scores_requeue_stale()
            expired = billing.orders_expire()
            retried = outbox_retry()
            reminded = enrolment.booking_reminders_send(days_before=settings.SESSION_REMINDER_DAYS)
            if options["verbosity"] > 1 or not every:
                self.stdout.write(f"closed={closed} rescored={requeued} expired={expired} outbox={retried} "
                                  f"reminders={reminded}")
            if not every:
                return
            time.sleep(every)
