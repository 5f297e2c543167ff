"""`aigcert issuer_key_rotate`: a new signing key; the old one retires but still verifies what it signed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from aigcert.credentials import keys


class Command(BaseCommand):
    help = "Generate a new issuer signing key and retire the current one (it keeps verifying what it signed)."

    def handle(self, *args, **options) -> None:
        key = keys.issuer_key_rotate(actor=None)
        self.stdout.write(key.did)
