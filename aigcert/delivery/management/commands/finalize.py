"""The finalizer: closes every open attempt at its deadline (plus the save grace), whatever the candidate's page
does. `aigcert run` keeps it running every 2 seconds, so a session closes within seconds of its deadline; several
can run at once (they skip each other's rows)."""

import time

from django.core.management.base import BaseCommand

from aigcert.delivery import api as delivery


class Command(BaseCommand):
    help = "Close attempts past their deadline (once, or every N seconds)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds until stopped")

    def handle(self, *args, every: float, **options):
        while True:
            closed = delivery.attempts_close_due()
            if closed or options["verbosity"] > 1 or not every:
                self.stdout.write(f"closed={closed}", ending="\n")
                self.stdout.flush()
            if not every:
                return
            time.sleep(every)
