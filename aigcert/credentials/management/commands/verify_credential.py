"""`aigcert verify_credential FILE`: the verdict on a credential file; exit status 0 only when it is valid."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from aigcert.credentials import verification

EXIT = {verification.VALID: 0, verification.REVOKED: 2, verification.REPLACED: 2, verification.NOT_FOUND: 3,
        verification.TAMPERED: 4, verification.NOT_A_CREDENTIAL: 5, verification.KEY_WITHDRAWN: 6}


class Command(BaseCommand):
    help = "Check a certificate's credential file (signature and revocation list); exit 0 only when valid."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the credential JSON file, or - for standard input")

    def handle(self, *args, **options) -> None:
        name = options["file"]
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as error:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": name, "error": error.strerror}) \
                from error
        verdict = verification.verify_document(raw)
        labels = {
            verification.VALID: _("the signature holds and the certificate is not revoked."),
            verification.REVOKED: _("the signature holds, but the issuer has revoked the certificate."),
            verification.REPLACED: _("the certificate was reissued with a new number; this one no longer holds."),
            verification.NOT_FOUND: _("not a certificate issued by this platform."),
            verification.TAMPERED: _("the content does not match the issuer's signature."),
            verification.NOT_A_CREDENTIAL: _("the file is not a signed credential."),
            verification.KEY_WITHDRAWN: _("signed with a key the issuer has withdrawn; ask the holder for a fresh copy "
                                          "or verify by certificate number and name."),
        }
        # The verdict word stays English whatever the language, for scripts; the explanation is translated.
        self.stdout.write(f"{verdict.outcome.upper()}: {labels[verdict.outcome]}")
        certificate = verdict.certificate
        if certificate is not None:
            self.stdout.write(f"{certificate.number} · {certificate.name} · {certificate.program} · "
                              f"{certificate.issued_on.isoformat()}")
        code = EXIT[verdict.outcome]
        if code:
            sys.exit(code)
