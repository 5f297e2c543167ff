"""Periodic upkeep: close exam attempts past their deadline, queue again mock scores left pending, queue the scoring
of formal sessions that ended (and machine runs a dead worker left), return expired marking locks to the queue,
release results that are due, expire unpaid orders (releasing held seats), retry undelivered outbox events, send
session reminders, refresh the tutor's indexes daily, prepare certificates a failed listener left unprepared.
`aigcert run` runs it every minute; every step is idempotent, so running it twice is harmless."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from aigcert.billing import api as billing
from aigcert.core.api import outbox_retry
from aigcert.credentials import api as credentials
from aigcert.delivery import api as delivery
from aigcert.enrolment import api as enrolment
from aigcert.marking import api as marking
from aigcert.results import api as results
from aigcert.scoring import api as scoring
from aigcert.tutor import api as tutor


class Command(BaseCommand):
    help = ("Close attempts past their deadline, queue again pending mock scores, queue the scoring of ended sessions, "
            "return expired marking locks, release due results, expire unpaid orders, retry outbox events, send exam "
            "reminders (once, or every N seconds).")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds until stopped")

    def handle(self, *args, every: int, **options):
        while True:
            closed = delivery.attempts_close_due()
            requeued = scoring.scores_requeue_stale()
            sessions = scoring.sessions_score_due() + scoring.machine_runs_requeue_stale()
            unlocked = marking.locks_expire()
            released = results.results_release_due()
            expired = billing.orders_expire()
            retried = outbox_retry()
            reminded = enrolment.booking_reminders_send(days_before=settings.SESSION_REMINDER_DAYS)
            indexed = tutor.indexes_refresh_due()
            prepared = credentials.certificates_prepare_due()
            if options["verbosity"] > 1 or not every:
                self.stdout.write(f"closed={closed} rescored={requeued} sessions={sessions} unlocked={unlocked} "
                                  f"released={released} expired={expired} outbox={retried} reminders={reminded} "
                                  f"tutor_indexes={indexed} certificates={prepared}")
            if not every:
                return
            time.sleep(every)
