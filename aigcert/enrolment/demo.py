"""Demo registration data for `aigcert demo`: a partner organization with its own prices, and the coming
months' sessions of every open program. Safe to run again."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, today
from aigcert.exams import api as exams
from aigcert.orgs import api as orgs

DEMO_ORG = {"slug": "demo-partner", "name": "星火AIGC培训中心（演示机构）"}
# The demo partner's own price list (fen): a little under the official deposit, to show the difference.
DEMO_PRICES = {"aigc-general": (45000, 30000, 15000)}


def _exam_days(months_ahead: int = 2) -> list[date]:
    start = today()
    days = []
    year, month = start.year, start.month
    for _ in range(months_ahead + 1):
        day = exams.default_exam_day(year, month)
        if day > start:
            days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


@transaction.atomic
def demo_registration_load(*, org_admin, exam_admin) -> tuple[str, int]:
    org = orgs.org_ensure(slug=DEMO_ORG["slug"], name=DEMO_ORG["name"], actor=exam_admin)
    orgs.org_admin_add(org_pk=org.pk, user=org_admin, actor=exam_admin)
    for program_code, (deposit, balance, retake) in DEMO_PRICES.items():
        if orgs.org_price(org.pk, program_code) is None:
            orgs.org_price_set(org_pk=org.pk, program_code=program_code, deposit_fen=deposit, balance_fen=balance,
                               retake_fee_fen=retake, actor=org_admin)
    created = 0
    for program in catalog.program_list_open():
        if program.exam is None:
            continue
        try:
            created += len(exams.sessions_generate(program_code=program.code, days=_exam_days(), actor=exam_admin))
        except DomainError:
            continue
    return org.name, created


@transaction.atomic
def demo_candidate_unlock(*, candidate, finance, program_code: str = "aigc-general") -> bool:
    """Register the demo candidate for 通用级 and record their deposit as a bank transfer confirmed by finance, so
    that courses and mock exams are open in the demo. Returns whether anything was added."""
    from aigcert.billing import api as billing
    from aigcert.enrolment import services
    from aigcert.enrolment.models import Enrolment

    if Enrolment.objects.filter(candidate=candidate, program_code=program_code).exists():
        return False
    enrolment = services.enrolment_register(candidate=candidate, program_code=program_code)
    order = billing.order_for_subject(str(enrolment.code), billing.DEPOSIT)
    billing.offline_payment_confirm(order_code=order.code, bank_ref=f"DEMO-{enrolment.code.hex[:10].upper()}",
                                    amount_fen=order.total_fen, actor=finance)
    return True


@transaction.atomic
def demo_candidate_pass(*, candidate, finance, score: int, program_code: str = "aigc-general") -> str | None:
    """An enrolment that passed (as if a session's results had been released) with the balance paid by bank
    transfer; None when the candidate has one for this program already. Returns the enrolment code."""
    from aigcert.billing import api as billing
    from aigcert.enrolment import services
    from aigcert.enrolment.models import Enrolment

    if Enrolment.objects.filter(candidate=candidate, program_code=program_code).exists():
        return None
    enrolment = Enrolment.objects.create(candidate=candidate, program_code=program_code, state="sat")
    services.enrolment_record_result(enrolment=enrolment, passed=True, score=score)
    order = billing.order_for_subject(str(enrolment.code), billing.BALANCE)
    billing.offline_payment_confirm(order_code=order.code, bank_ref=f"DEMO-{enrolment.code.hex[:10].upper()}",
                                    amount_fen=order.total_fen, actor=finance)
    return str(enrolment.code)


@transaction.atomic
def demo_candidate_book(*, candidate, session_code: str, program_code: str = "aigc-general") -> str | None:
    """Book the demo candidate (deposit paid) into a session; returns the ticket number, or None when they hold a
    seat already."""
    from aigcert.enrolment import services
    from aigcert.enrolment.models import Enrolment

    enrolment = Enrolment.objects.filter(candidate=candidate, program_code=program_code,
                                         state="deposit_paid").first()
    if enrolment is None:
        return None
    return services.booking_create(enrolment=enrolment, session_code=session_code, actor=candidate).ticket_number


@transaction.atomic
def demo_candidates_seat(*, candidates, session_code: str, program_code: str) -> list[str]:
    """Give the demo's other candidates a paid registration and a seat in a session (for its marked sitting);
    returns their ticket numbers. Candidates who hold an enrolment for the program already are left out."""
    from aigcert.enrolment import services
    from aigcert.enrolment.models import Booking, Enrolment

    tickets = []
    for candidate in candidates:
        if Enrolment.objects.filter(candidate=candidate, program_code=program_code).exists():
            continue
        enrolment = Enrolment.objects.create(candidate=candidate, program_code=program_code, state="deposit_paid")
        # The session is under way already (the demo sits it at once): its booking window is not checked.
        booking = services._seat_take(enrolment, session_code, status=Booking.Status.HELD, kind=Booking.Kind.FIRST,
                                      held_until=services._hold_until(), check_window=False)
        services._confirm(enrolment, booking, actor=candidate)
        tickets.append(booking.ticket_number)
    return tickets
