from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from aigcert.catalog import api as catalog
from aigcert.core.api import NotFound, today
from aigcert.credentials import rules
from aigcert.credentials.data import CertificateData, HoldingData
from aigcert.credentials.models import Certificate
from aigcert.credentials.policy import credentials_policy
from aigcert.credentials.rules import HELD_STATES


def _holding(certificate: Certificate) -> HoldingData:
    program = catalog.program_get(certificate.program_code)
    return HoldingData(user_id=certificate.candidate_id, number=certificate.number or "",
                       program_code=certificate.program_code, program_name=program.name,
                       series_code=program.series_code, direction_code=program.direction_code,
                       level=program.level, level_rank=program.level_rank, issued_on=certificate.issued_on)


def holdings_of_users(user_ids: Iterable[int]) -> dict[int, list[HoldingData]]:
    """The certificates each of these people holds now (issued, not revoked or replaced), oldest first."""
    held: dict[int, list[HoldingData]] = defaultdict(list)
    rows = (Certificate.objects.filter(candidate_id__in=list(user_ids), state__in=HELD_STATES)
            .order_by("issued_on", "id"))
    for certificate in rows:
        held[certificate.candidate_id].append(_holding(certificate))
    return dict(held)


def holdings_of(user_id: int) -> list[HoldingData]:
    return holdings_of_users([user_id]).get(user_id, [])


# The certificate office's queues --------------------------------------------------------------------------------

QUEUES = ("pending", "issued", "printed", "mailed", "at_risk", "all")


def window_days(program_codes: Iterable[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for code in set(program_codes):
        program = catalog.program_get(code)
        out[code] = (program.certificate_window_min_days, program.certificate_window_max_days)
    return out


@dataclass(frozen=True)
class QueueRow:
    certificate: Certificate
    due: date
    risk: str  # '', 'at_risk', 'overdue'
    program_name: str


def queue(name: str, *, search: str = "", limit: int = 200) -> list[QueueRow]:
    """A queue of the office, oldest pass notice first (the 40-day clock runs from it)."""
    rows = Certificate.objects.select_related("candidate").order_by("pass_notice_on", "id")
    if name in (rules.PENDING, rules.ISSUED, rules.PRINTED, rules.MAILED):
        rows = rows.filter(state=name)
    elif name == "at_risk":
        rows = rows.filter(state__in=[rules.PENDING, rules.ISSUED, rules.PRINTED])
    search = (search or "").strip()
    if search:
        rows = rows.filter(Q(number__iexact=rules.number_normalize(search)) | Q(legal_name__icontains=search)
                           | Q(session_code__iexact=search) | Q(tracking_number__iexact=search))
    rows = list(rows[: limit * 5 if name == "at_risk" else limit])
    windows = window_days(c.program_code for c in rows)
    names = {code: catalog.program_name(code) for code in windows}
    warn = credentials_policy().at_risk_days_before_due
    day = today()
    out = []
    for certificate in rows:
        due = certificate.pass_notice_on + timedelta(days=windows[certificate.program_code][1])
        risk = rules.mailing_risk(today=day, due=due, state=certificate.state, warn_days=warn)
        if name == "at_risk" and not risk:
            continue
        out.append(QueueRow(certificate=certificate, due=due, risk=risk, program_name=names[certificate.program_code]))
    return out[:limit]


def queue_counts() -> dict[str, int]:
    counts = dict(Certificate.objects.values_list("state").annotate(n=Count("id")).order_by())
    # At risk: not posted, and within the warning days of day 40 (or past it), counted per program in the database.
    waiting = Certificate.objects.filter(state__in=[rules.PENDING, rules.ISSUED, rules.PRINTED])
    warn, day = credentials_policy().at_risk_days_before_due, today()
    programs = waiting.values_list("program_code", flat=True).distinct()
    counts["at_risk"] = sum(
        waiting.filter(program_code=code, pass_notice_on__lte=day - timedelta(days=window[1] - warn)).count()
        for code, window in window_days(programs).items())
    return counts


def certificate_of_holder(*, holder, code) -> Certificate:
    """The holder's own certificate; anyone else's, or none, is NotFound."""
    try:
        certificate = Certificate.objects.filter(code=code, candidate=holder).first()
    except (ValueError, ValidationError):
        certificate = None
    if certificate is None:
        raise NotFound()
    return certificate


def certificate_for_office(code) -> Certificate:
    try:
        certificate = Certificate.objects.select_related("candidate", "replaces").filter(code=code).first()
    except (ValueError, ValidationError):
        certificate = None
    if certificate is None:
        raise NotFound()
    return certificate


def session_codes_with_certificates() -> list[str]:
    return list(Certificate.objects.exclude(session_code="").exclude(state=rules.PENDING)
                .order_by("-session_code").values_list("session_code", flat=True).distinct()[:100])


def certificates_of(user_id: int) -> list[CertificateData]:
    rows = Certificate.objects.filter(candidate_id=user_id).exclude(state=rules.REPLACED).order_by("-created_at")
    return [CertificateData(code=str(c.code), number=c.number or "", program_name=catalog.program_name(c.program_code),
                            state=c.state, state_label=str(c.get_state_display()), tracking_number=c.tracking_number)
            for c in rows]
