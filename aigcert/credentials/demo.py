"""The demo's certificates: one waiting to be issued, one issued (to print), one in the post."""

from __future__ import annotations

from aigcert.accounts import api as accounts
from aigcert.credentials import services
from aigcert.credentials.models import Certificate
from aigcert.enrolment import api as enrolment


def demo_certificates_load(*, office, finance) -> int:
    """Safe to run again: people who already hold their demo certificate are left as they are."""
    made = 0
    holders = accounts.demo_holders_ensure()
    programs = [("aigc-general", 78), ("aigc-general", 91), ("aigc-professional", 88)]
    for position, (holder, (program, score)) in enumerate(zip(holders, programs, strict=True)):
        code = enrolment.demo_candidate_pass(candidate=holder, finance=finance, score=score, program_code=program)
        if code is None:
            continue
        made += 1
        certificate = Certificate.objects.get(enrolment_code=code)
        if position == 0:
            continue  # stays in the office's "to issue" queue
        services.certificates_issue(codes=[certificate.code], actor=office)
        if position == 2:
            services.certificates_mark_printed(codes=[certificate.code], actor=office)
            services.certificates_mail(rows=[(str(certificate.code), "ems", "EA100200300CN")], actor=office)
    return made
