"""`aigcert issuer_key_withdraw DID --reason …`: stop trusting a key whose secret may have leaked, then sign again
everything it signed (with a new key, if it was the signing key)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from aigcert.core.api import DomainError
from aigcert.credentials import keys, services


class Command(BaseCommand):
    help = ("Withdraw an issuer key whose secret may have leaked: nothing it signed verifies any more, and every "
            "credential it signed is signed again with the active key (a new one, if it was the signing key). The "
            "keys are listed at /credentials/issuer. Run it again with the same DID to finish a run that was cut "
            "off.")

    def add_arguments(self, parser) -> None:
        # No default: after a cut-off run the key that signs is the *new* one, and withdrawing it by habit would
        # undo the recovery.
        parser.add_argument("did", help="the withdrawn key's did:key (as listed at /credentials/issuer)")
        parser.add_argument("--reason", required=True, help="why, for the audit log (at least 4 characters)")

    def handle(self, *args, did: str = "", reason: str = "", **options) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(_("checked %(done)s of %(total)s certificates") % {"done": done, "total": total})

        try:
            key, result = services.issuer_key_withdraw(did=did, reason=reason, actor=None, progress=progress)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(_("Withdrawn key: %(did)s") % {"did": key.did})
        self.stdout.write(_("Signing key now: %(did)s") % {"did": keys.issuer_key_active().did})
        self.stdout.write(_("%(count)s certificate credentials signed again.") % {"count": result.certificates})
        if result.failed:
            raise CommandError(_("%(count)s could not be signed again (see the log): %(numbers)s. Run the command "
                                 "again once the cause is fixed.")
                               % {"count": len(result.failed), "numbers": ", ".join(result.failed)})
