"""What other apps may ask or tell enrolment. Scoring reports results here; credentials asks who may be
certified; learning and delivery ask whether a program is unlocked."""

from __future__ import annotations

from aigcert.core.api import NotFound
from aigcert.enrolment import rules, selectors, services
from aigcert.enrolment.data import BookingData, EnrolmentData, SeatData
from aigcert.enrolment.models import Booking, Enrolment

__all__ = [
    "BookingData",
    "EnrolmentData",
    "SeatData",
    "booking_reminders_send",
    "demo_candidate_book",
    "demo_candidate_pass",
    "demo_candidate_unlock",
    "demo_candidates_seat",
    "demo_registration_load",
    "enrolment_can_be_certified",
    "enrolment_get",
    "enrolment_mark_certified",
    "enrolment_mark_sat",
    "enrolment_record_result",
    "enrolments_awaiting_certificate",
    "enrolments_mark_sat",
    "enrolments_of",
    "program_unlocked",
    "programs_unlocked",
    "seat_of",
    "seats_of_session",
]

enrolments_of = selectors.enrolments_of
booking_reminders_send = services.booking_reminders_send
enrolments_mark_sat = services.enrolments_mark_sat


def demo_registration_load(*, org_admin, exam_admin) -> tuple[str, int]:
    from aigcert.enrolment.demo import demo_registration_load as load

    return load(org_admin=org_admin, exam_admin=exam_admin)


def demo_candidate_book(*, candidate, session_code: str) -> str | None:
    from aigcert.enrolment.demo import demo_candidate_book as book

    return book(candidate=candidate, session_code=session_code)


def demo_candidates_seat(*, candidates, session_code: str, program_code: str) -> list[str]:
    from aigcert.enrolment.demo import demo_candidates_seat as seat

    return seat(candidates=candidates, session_code=session_code, program_code=program_code)


def demo_candidate_pass(*, candidate, finance, score: int, program_code: str = "aigc-general") -> str | None:
    from aigcert.enrolment.demo import demo_candidate_pass as pass_

    return pass_(candidate=candidate, finance=finance, score=score, program_code=program_code)


def demo_candidate_unlock(*, candidate, finance) -> bool:
    from aigcert.enrolment.demo import demo_candidate_unlock as unlock

    return unlock(candidate=candidate, finance=finance)


def _by_code(code: str) -> Enrolment:
    enrolment = Enrolment.objects.filter(code=code).first()
    if enrolment is None:
        raise NotFound()
    return enrolment


def enrolment_get(code: str) -> EnrolmentData:
    return selectors.enrolment_views([_by_code(code)])[0]


def enrolment_mark_sat(*, enrolment_code: str, actor=None) -> EnrolmentData:
    services.enrolment_mark_sat(enrolment=_by_code(enrolment_code), actor=actor)
    return enrolment_get(enrolment_code)


def enrolment_record_result(*, enrolment_code: str, passed: bool, score: int | None = None,
                            actor=None) -> EnrolmentData:
    """The entry point scoring uses once a sitting's result is final: pass → balance order; fail → retake."""
    services.enrolment_record_result(enrolment=_by_code(enrolment_code), passed=passed, score=score, actor=actor)
    return enrolment_get(enrolment_code)


def enrolment_can_be_certified(enrolment_code: str) -> bool:
    return _by_code(enrolment_code).state == rules.BALANCE_PAID


def enrolment_mark_certified(*, enrolment_code: str, actor=None) -> str:
    """Returns the enrolment's state (certified). Called once per certificate issued, so it reads no more."""
    return services.enrolment_mark_certified(enrolment=_by_code(enrolment_code), actor=actor).state


def enrolments_awaiting_certificate() -> list[str]:
    """Codes of enrolments whose balance is paid and that are not certified yet (all of them: the certificate office
    issues within weeks, so these are the payments of a month or two)."""
    return [str(code) for code in Enrolment.objects.filter(state=rules.BALANCE_PAID).values_list("code", flat=True)]


def program_unlocked(user, program_code: str) -> bool:
    """Whether the deposit is paid: courses and mock exams are open to this candidate."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Enrolment.objects.filter(candidate=user, program_code=program_code,
                                    state__in=rules.UNLOCKED_STATES).exists()


def programs_unlocked(user) -> list[str]:
    """The programs whose courses and mock exams this candidate may use, in the order they enrolled."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Enrolment.objects.filter(candidate=user, state__in=rules.UNLOCKED_STATES)
                .order_by("created_at").values_list("program_code", flat=True).distinct())


def _confirmed_seats(session_code: str):
    return (Booking.objects.filter(session__code=session_code, status=Booking.Status.CONFIRMED)
            .select_related("enrolment").order_by("ticket_number"))


def seats_of_session(session_code: str) -> list[SeatData]:
    """Everyone with a confirmed seat in a session, by ticket number: the proctor's roster."""
    return [SeatData(candidate_id=b.enrolment.candidate_id, ticket_number=b.ticket_number,
                     enrolment_code=str(b.enrolment.code), program_code=b.enrolment.program_code, rank=rank)
            for rank, b in enumerate(_confirmed_seats(session_code))]


def seat_of(candidate_id: int, session_code: str, *, rank: bool = False) -> SeatData | None:
    """The candidate's confirmed seat in a session, or None (no booking, held, released, another session). Its
    ``rank`` among the session's seats costs a count over them: asked for only with ``rank=True`` (else -1)."""
    booking = _confirmed_seats(session_code).filter(enrolment__candidate_id=candidate_id).first()
    if booking is None:
        return None
    position = -1
    if rank:
        position = _confirmed_seats(session_code).filter(ticket_number__lt=booking.ticket_number).count()
    return SeatData(candidate_id=candidate_id, ticket_number=booking.ticket_number,
                    enrolment_code=str(booking.enrolment.code), program_code=booking.enrolment.program_code,
                    rank=position)
