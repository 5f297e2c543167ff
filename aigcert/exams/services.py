"""Writes of the session calendar. Moving booked candidates is enrolment's job (it owns the bookings)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, audit_record, now
from aigcert.exams import rules
from aigcert.exams.models import Session

MAX_CAPACITY = 100_000


@transaction.atomic
def sessions_generate(*, program_code: str, days: list[date], actor, sitting_codes: list[str] | None = None,
                      capacity: int | None = None) -> list[Session]:
    """Create the sittings of the given exam days from the program's exam policy; existing ones are kept."""
    try:
        program = catalog.program_get(program_code)
    except NotFound:
        raise DomainError(_("Unknown program."), code="unknown_program") from None
    if program.exam is None or program.status != "open":
        raise DomainError(_("This program has no exam policy or is not open."), code="no_policy")
    policy = program.exam
    seats = policy.seats_per_sitting if capacity is None else capacity
    if not 1 <= seats <= MAX_CAPACITY:
        raise DomainError(_("Seats must be between 1 and %(max)s.") % {"max": MAX_CAPACITY}, field="capacity")
    sittings = [s for s in policy.sittings if sitting_codes is None or s.code in sitting_codes]
    if not sittings:
        raise DomainError(_("Choose at least one sitting."), field="sittings")
    tz = timezone.get_current_timezone()
    moment = now()
    created = []
    for day in sorted(set(days)):
        for sitting in sittings:
            start = rules.combine(day, sitting.start, tz)
            if start <= moment:
                raise DomainError(_("%(day)s is in the past.") % {"day": day.isoformat()}, field="days")
            if Session.objects.filter(program_code=program_code, start_at=start, sitting_code=sitting.code,
                                      cancelled_at__isnull=True).exists():
                continue
            closes = max(rules.booking_closes_at(start, policy.booking_closes_days_before), moment)
            label_zh, label_en = _sitting_labels(program_code, sitting.code)
            created.append(Session.objects.create(
                program_code=program_code, sitting_code=sitting.code, sitting_label_zh=label_zh,
                sitting_label_en=label_en, start_at=start, duration_minutes=policy.duration_minutes,
                capacity=seats, booking_opens_at=moment, booking_closes_at=closes, created_by=actor,
            ))
    audit_record(actor=actor, action="exams.sessions_generate", target_type="exams.program",
                 target_id=program_code, data={"days": [d.isoformat() for d in days],
                                               "sessions": [str(s.code) for s in created], "capacity": seats})
    return created


def session_rehearsal_create(*, program_code: str, start_at, actor) -> Session:
    """A sitting that starts soon and stays bookable until it starts: the demo's exam day (`aigcert demo`)."""
    program = catalog.program_get(program_code)
    sitting = program.exam.sittings[0]
    label_zh, label_en = _sitting_labels(program_code, sitting.code)
    session = Session.objects.create(
        program_code=program_code, sitting_code=sitting.code, sitting_label_zh=label_zh, sitting_label_en=label_en,
        start_at=start_at, duration_minutes=program.exam.duration_minutes, capacity=program.exam.seats_per_sitting,
        booking_opens_at=now(), booking_closes_at=start_at, created_by=actor)
    audit_record(actor=actor, action="exams.session_rehearsal", target=session,
                 data={"program": program_code, "start": start_at.isoformat()})
    return session


def _sitting_labels(program_code: str, sitting_code: str) -> tuple[str, str]:
    labels = catalog.sitting_labels(program_code)
    return labels.get(sitting_code, (sitting_code, sitting_code))


@transaction.atomic
def session_update(*, session: Session, actor, capacity: int | None = None,
                   booking_closes_at=None, seats_taken: int = 0) -> Session:
    session = Session.objects.select_for_update().get(pk=session.pk)
    before = {"capacity": session.capacity, "booking_closes_at": session.booking_closes_at.isoformat()}
    if capacity is not None:
        if not max(1, seats_taken) <= capacity <= MAX_CAPACITY:
            raise DomainError(_("Seats cannot be fewer than the %(taken)s already booked.") % {"taken": seats_taken},
                              field="capacity")
        session.capacity = capacity
    if booking_closes_at is not None:
        if booking_closes_at > session.start_at:
            raise DomainError(_("Booking must close before the session starts."), field="booking_closes_at")
        session.booking_closes_at = booking_closes_at
    session.save()
    audit_record(actor=actor, action="exams.session_update", target=session, data={
        "before": before,
        "after": {"capacity": session.capacity, "booking_closes_at": session.booking_closes_at.isoformat()}})
    return session


def session_cancel(*, session: Session, replacement: Session | None, reason: str, actor) -> Session:
    """Mark cancelled inside the caller's transaction (enrolment moves the bookings in the same one)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason for cancelling."), field="reason")
    if session.cancelled_at is not None:
        raise DomainError(_("This session is already cancelled."), code="cancelled")
    if session.state in (rules.IN_PROGRESS, rules.FINISHED):
        raise DomainError(_("A session that has started cannot be cancelled."), code="started")
    if replacement is not None:
        if replacement.pk == session.pk or replacement.program_code != session.program_code:
            raise DomainError(_("The replacement must be another session of the same program."),
                              field="replacement")
        if replacement.state not in (rules.SCHEDULED, rules.OPEN, rules.CLOSED):
            raise DomainError(_("The replacement session must be in the future and not cancelled."),
                              field="replacement")
    session.cancelled_at, session.cancel_reason, session.replacement = now(), reason, replacement
    session.save(update_fields=["cancelled_at", "cancel_reason", "replacement", "updated_at"])
    audit_record(actor=actor, action="exams.session_cancel", target=session, data={
        "reason": reason, "replacement": str(replacement.code) if replacement else None})
    return session
