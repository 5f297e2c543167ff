from __future__ import annotations

from django.utils import timezone

from aigcert.billing import api as billing
from aigcert.catalog import api as catalog
from aigcert.core.api import NotFound
from aigcert.enrolment import rules
from aigcert.enrolment.data import BookingData, EnrolmentData
from aigcert.enrolment.models import Booking, EligibilityClaim, Enrolment
from aigcert.exams import api as exams


def access_enrolment(user, code) -> Enrolment:
    """The candidate's own enrolment; NotFound for anyone else's and for one that doesn't exist."""
    enrolment = None
    if getattr(user, "is_authenticated", False):
        try:
            enrolment = Enrolment.objects.filter(code=code, candidate=user).first()
        except (ValueError, TypeError):
            enrolment = None
    if enrolment is None:
        raise NotFound()
    return enrolment


def booking_data(booking: Booking, session: exams.SessionData, ticket_days_before: int) -> BookingData:
    return BookingData(code=str(booking.code), ticket_number=booking.ticket_number, status=booking.status,
                       status_label=str(booking.get_status_display()), kind=booking.kind, session=session,
                       ticket_from=rules.ticket_opens(timezone.localtime(session.start_at).date(),
                                                      ticket_days_before))


def enrolment_views(enrolments: list[Enrolment]) -> list[EnrolmentData]:
    """Everything a page needs about several enrolments, in a fixed number of queries."""
    if not enrolments:
        return []
    live = {b.enrolment_id: b for b in Booking.objects.filter(
        enrolment__in=enrolments, status__in=[Booking.Status.HELD, Booking.Status.CONFIRMED])}
    sessions = exams.sessions_by_pk(b.session_id for b in live.values())
    orders: dict[str, list] = {}
    for order in billing.orders_for_subjects([str(e.code) for e in enrolments]):
        orders.setdefault(order.subject, []).append(order)
    programs = {}
    result = []
    for e in enrolments:
        if e.program_code not in programs:
            programs[e.program_code] = catalog.program_get(e.program_code)
        program = programs[e.program_code]
        mine = tuple(orders.get(str(e.code), ()))
        pending = next((o for o in mine if o.pending), None)
        booking = live.get(e.pk)
        fee = rules.retake_fee_fen(retakes_used=e.retakes_used, free_retakes=program.fees.free_retakes,
                                   retake_fee_fen=program.fees.retake_fee_fen) if program.fees else 0
        result.append(EnrolmentData(
            code=str(e.code), program_code=e.program_code, program_name=program.name, state=e.state,
            state_label=str(e.get_state_display()),
            next_step=rules.next_step(e.state, has_booking=booking is not None, order_pending=pending is not None),
            org_pk=e.organization_id, retakes_used=e.retakes_used, next_retake_fee_fen=fee,
            result_score=e.result_score, result_at=e.result_at, candidate_id=e.candidate_id,
            booking=booking_data(booking, sessions[booking.session_id], program.exam.ticket_days_before)
            if booking else None,
            pending_order=pending, orders=mine,
        ))
    return result


def enrolments_of(user) -> list[EnrolmentData]:
    return enrolment_views(list(Enrolment.objects.filter(candidate=user).exclude(state=rules.WITHDRAWN)))


def claims_pending() -> list[EligibilityClaim]:
    return list(EligibilityClaim.objects.filter(status=EligibilityClaim.Status.PENDING).select_related("candidate")
                .order_by("created_at"))


def claims_of(user, program_code: str) -> list[EligibilityClaim]:
    return list(EligibilityClaim.objects.filter(candidate=user, program_code=program_code))


def cohort(org_pk: int, *, program_code: str = "", state: str = "") -> list[Enrolment]:
    enrolments = Enrolment.objects.filter(organization_id=org_pk).select_related("candidate")
    if program_code:
        enrolments = enrolments.filter(program_code=program_code)
    if state:
        enrolments = enrolments.filter(state=state)
    return list(enrolments.order_by("program_code", "created_at"))
