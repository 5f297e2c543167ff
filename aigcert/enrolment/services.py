"""Writes of the enrolment context: registration, seats, results and retakes. One transaction each, audited;
messages to candidates go out through core.notify (the e-mail copy after commit)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigcert.accounts import api as accounts
from aigcert.billing import api as billing
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, audit_record, audit_record_many, notify, now, today
from aigcert.enrolment import rules
from aigcert.enrolment.models import Booking, EligibilityClaim, Enrolment
from aigcert.exams import api as exams


# ── state machine ────────────────────────────────────────────────────────────────────────────────────────────
def _transition(enrolment: Enrolment, target: str, *, actor, reason: str = "", data: dict | None = None) -> None:
    if not rules.can_transition(enrolment.state, target):
        raise DomainError(_("This step is not possible now (%(from)s → %(to)s).") % {
            "from": Enrolment.State(enrolment.state).label, "to": Enrolment.State(target).label},
            code="bad_transition")
    before = enrolment.state
    enrolment.state = target
    enrolment.save(update_fields=["state", "updated_at", "retakes_used", "result_score", "result_at"])
    audit_record(actor=actor, action="enrolment.transition", target=enrolment,
                 data={"from": before, "to": target, "reason": reason, **(data or {})})


def _lock(enrolment: Enrolment) -> Enrolment:
    return Enrolment.objects.select_for_update(of=("self",)).select_related("candidate").get(pk=enrolment.pk)


def _tell(enrolment: Enrolment, kind: str, subject, body, params: dict | None = None, link: str = "") -> None:
    user = enrolment.candidate
    program = catalog.program_get(enrolment.program_code)
    notify(user_id=user.pk, language=user.language, email=user.email, kind=kind, subject=subject, body=body,
           params={"program": program.name, **(params or {})}, link=link or f"/me/enrolments/{enrolment.code}/")


def _program_open(program_code: str):
    try:
        program = catalog.program_get(program_code)
    except NotFound:
        raise DomainError(_("Unknown program."), code="unknown_program") from None
    if program.status != "open":
        raise DomainError(_("Registration for %(program)s is not open.") % {"program": program.name},
                          code="not_open")
    if program.fees is None or program.exam is None:
        raise DomainError(_("%(program)s has no fees or exam yet.") % {"program": program.name}, code="not_open")
    return program


# ── eligibility ─────────────────────────────────────────────────────────────────────────────────────────────
def held_certificates(candidate) -> frozenset[str]:
    """Programs the candidate is certified in (the credentials app will add certificates held elsewhere)."""
    return frozenset(Enrolment.objects.filter(candidate=candidate, state=rules.CERTIFIED)
                     .values_list("program_code", flat=True))


def approved_work_years(candidate, program_code: str) -> int | None:
    claim = (EligibilityClaim.objects.filter(candidate=candidate, program_code=program_code,
                                             status=EligibilityClaim.Status.APPROVED)
             .order_by("-work_years").first())
    return claim.work_years if claim else None


def program_has_prerequisites(program_code: str) -> bool:
    return bool(catalog.eligibility_check(program_code, held_certificates=frozenset(), work_years=None).options)


def eligibility_of(candidate, program_code: str):
    return catalog.eligibility_check(program_code, held_certificates=held_certificates(candidate),
                                     work_years=approved_work_years(candidate, program_code))


@transaction.atomic
def eligibility_claim_submit(*, candidate, program_code: str, work_years: int, employer: str, description: str,
                             proof, proof_name: str) -> EligibilityClaim:
    _program_open(program_code)
    if EligibilityClaim.objects.filter(candidate=candidate, program_code=program_code,
                                       status=EligibilityClaim.Status.PENDING).exists():
        raise DomainError(_("You already have a claim waiting for review for this program."), code="pending")
    claim = EligibilityClaim.objects.create(candidate=candidate, program_code=program_code, work_years=work_years,
                                            employer=employer.strip(), description=description.strip(),
                                            proof=proof, proof_name=proof_name[:200])
    audit_record(actor=candidate, action="enrolment.eligibility_claim", target=claim,
                 data={"program": program_code, "work_years": work_years})
    return claim


@transaction.atomic
def eligibility_claim_decide(*, claim: EligibilityClaim, approve: bool, reason: str, actor) -> EligibilityClaim:
    claim = EligibilityClaim.objects.select_for_update(of=("self",)).select_related("candidate").get(pk=claim.pk)
    reason = (reason or "").strip()
    if claim.status != EligibilityClaim.Status.PENDING:
        raise DomainError(_("This claim has already been decided."), code="decided")
    if not approve and not reason:
        raise DomainError(_("Give the candidate a reason for the rejection."), field="reason")
    if claim.candidate_id == actor.pk:
        raise DomainError(_("You cannot review your own claim."), code="own_claim")
    claim.status = EligibilityClaim.Status.APPROVED if approve else EligibilityClaim.Status.REJECTED
    claim.reviewer, claim.reviewed_at, claim.reason = actor, now(), reason
    claim.save()
    audit_record(actor=actor, action="enrolment.eligibility_decide", target=claim,
                 data={"approved": approve, "reason": reason})
    user = claim.candidate
    program = catalog.program_get(claim.program_code)
    if approve:
        notify(user_id=user.pk, language=user.language, email=user.email, kind="eligibility",
               subject=gettext_lazy("Your work experience was approved"),
               body=gettext_lazy("You can now register for %(program)s."), params={"program": program.name},
               link=f"/enrol/{claim.program_code}/")
    else:
        notify(user_id=user.pk, language=user.language, email=user.email, kind="eligibility",
               subject=gettext_lazy("Your work experience was not approved"),
               body=gettext_lazy("Your claim for %(program)s was not approved: %(reason)s"),
               params={"program": program.name, "reason": reason}, link=f"/enrol/{claim.program_code}/")
    return claim


# ── seats ───────────────────────────────────────────────────────────────────────────────────────────────────
def seats_taken(session_pk: int) -> int:
    """Confirmed seats plus seats still held for an unpaid order inside its payment window."""
    return Booking.objects.filter(session_id=session_pk).filter(
        Q(status=Booking.Status.CONFIRMED) | Q(status=Booking.Status.HELD, held_until__gt=now())).count()


def _ticket_number(session: exams.SessionData) -> str:
    local = timezone.localtime(session.start_at)
    for _attempt in range(10):
        number = f"{local:%y%m%d}{session.sitting_code[:2].upper()}{secrets.randbelow(10**6):06d}"
        if not Booking.objects.filter(ticket_number=number).exists():
            return number
    raise DomainError(_("Could not issue a ticket number, please try again."), code="busy")


def _seat_take(enrolment: Enrolment, session_code: str, *, status: str, kind: str, held_until=None,
               order_code: str = "", check_window: bool = True) -> Booking:
    """Lock the session row, count, insert: two browsers after the last seat queue on the lock, one wins."""
    try:
        session = exams.session_lock(session_code)
    except NotFound:
        raise DomainError(_("That session does not exist."), code="no_session", field="session") from None
    program = catalog.program_get(enrolment.program_code)
    if session.program_code != enrolment.program_code:
        raise DomainError(_("That session is for another program."), code="wrong_program", field="session")
    if check_window:
        if session.state != "open":
            raise DomainError(_("Booking for this session is closed."), code="session_closed", field="session")
        if not exams.session_in_horizon(session, program.booking_horizon_months):
            raise DomainError(_("That session is too far ahead to book now."), code="too_far", field="session")
    if seats_taken(session.pk) >= session.capacity:
        raise DomainError(_("Sorry, that session has just been fully booked. Please choose another one."),
                          code="session_full", field="session")
    try:
        with transaction.atomic():
            return Booking.objects.create(enrolment=enrolment, session_id=session.pk, status=status, kind=kind,
                                          held_until=held_until, order_code=order_code,
                                          ticket_number=_ticket_number(session))
    except IntegrityError:
        raise DomainError(_("You already have a seat; change it instead."), code="has_seat") from None


def _session_of(booking: Booking) -> exams.SessionData:
    return exams.sessions_by_pk([booking.session_id])[booking.session_id]


def _hold_until():
    return now() + timedelta(hours=settings.PAYMENT_WINDOW_HOURS)


def _live_booking(enrolment: Enrolment) -> Booking | None:
    return enrolment.bookings.filter(status__in=[Booking.Status.HELD, Booking.Status.CONFIRMED]).first()


def _release(booking: Booking, reason: str) -> None:
    booking.status, booking.released_reason = Booking.Status.RELEASED, reason
    booking.save(update_fields=["status", "released_reason", "updated_at"])


def _session_words(session: exams.SessionData) -> dict:
    local = timezone.localtime(session.start_at)
    return {"date": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}", "sitting": session.sitting_label}


def _confirm(enrolment: Enrolment, booking: Booking, *, actor) -> None:
    booking.status, booking.held_until = Booking.Status.CONFIRMED, None
    booking.save(update_fields=["status", "held_until", "updated_at"])
    if booking.kind == Booking.Kind.RETAKE:
        enrolment.retakes_used += 1
    session = _session_of(booking)
    _transition(enrolment, rules.BOOKED, actor=actor, data={"session": session.code,
                                                            "ticket": booking.ticket_number})
    _tell(enrolment, "booking", gettext_lazy("Exam seat confirmed"),
          gettext_lazy("Your seat for %(program)s is confirmed: %(date)s %(sitting)s, starting %(time)s. "
                       "Ticket number %(ticket)s."),
          {**_session_words(session), "ticket": booking.ticket_number})


# ── registration ────────────────────────────────────────────────────────────────────────────────────────────
@transaction.atomic
def enrolment_register(*, candidate, program_code: str, session_code: str | None = None, org_pk: int | None = None,
                       actor=None) -> Enrolment:
    """Register, hold the chosen seat (if any) and issue the deposit order. Refusals create nothing."""
    actor = actor or candidate
    program = _program_open(program_code)
    eligibility = eligibility_of(candidate, program_code)
    if not eligibility.eligible:
        raise DomainError(_("You do not meet the requirements for %(program)s yet: hold the lower certificate, "
                            "or have your years of AIGC work approved.") % {"program": program.name},
                          code="not_eligible")
    if Enrolment.objects.filter(candidate=candidate, program_code=program_code).exclude(
            state=rules.WITHDRAWN).exists():
        raise DomainError(_("You are already registered for %(program)s.") % {"program": program.name},
                          code="already_registered")
    basis = ""
    if eligibility.satisfied_by is not None:
        option = eligibility.satisfied_by
        basis = (f"certificate:{option.program_code}" if option.kind == "certificate"
                 else f"work_years:{option.min_years}")
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(candidate=candidate, program_code=program_code,
                                                 organization_id=org_pk, eligibility_basis=basis)
    except IntegrityError:
        raise DomainError(_("You are already registered for %(program)s.") % {"program": program.name},
                          code="already_registered") from None
    audit_record(actor=actor, action="enrolment.register", target=enrolment,
                 data={"program": program_code, "org": org_pk, "basis": basis, "session": session_code})
    booking = None
    if session_code:
        booking = _seat_take(enrolment, session_code, status=Booking.Status.HELD, kind=Booking.Kind.FIRST,
                             held_until=_hold_until())  # the order's own expiry replaces this below
    order = billing.order_create(user=candidate, purpose=billing.DEPOSIT, program_code=program_code,
                                 subject=str(enrolment.code), org_pk=org_pk, actor=actor)
    if booking is not None:
        Booking.objects.filter(pk=booking.pk, status=Booking.Status.HELD).update(
            held_until=order.expires_at, order_code=order.code)
    enrolment.refresh_from_db()
    return enrolment


@transaction.atomic
def enrolment_order_reissue(*, enrolment: Enrolment, actor) -> None:
    """A new deposit order after the last one expired unpaid (the seat it held is gone; choose one again)."""
    enrolment = _lock(enrolment)
    if enrolment.state != rules.REGISTERED:
        raise DomainError(_("There is nothing to pay at this step."), code="bad_state")
    if billing.order_for_subject(str(enrolment.code), billing.DEPOSIT, statuses=("pending", "paid")):
        raise DomainError(_("Your deposit order is still open."), code="order_open")
    order = billing.order_create(user=enrolment.candidate, purpose=billing.DEPOSIT,
                                 program_code=enrolment.program_code, subject=str(enrolment.code),
                                 org_pk=enrolment.organization_id, actor=actor)
    audit_record(actor=actor, action="enrolment.order_reissue", target=enrolment, data={"order": order.number})


# ── reactions to billing ────────────────────────────────────────────────────────────────────────────────────
def on_order_paid(payload: dict) -> None:
    """Billing says an order is paid: move the enrolment on. Idempotent: a replay finds it already moved."""
    enrolment = Enrolment.objects.filter(code=payload.get("subject") or None).first() \
        if payload.get("subject") else None
    if enrolment is None:
        return
    enrolment = _lock(enrolment)
    purpose = payload["purpose"]
    if purpose == billing.DEPOSIT and enrolment.state == rules.REGISTERED:
        _transition(enrolment, rules.DEPOSIT_PAID, actor=None, data={"order": payload["number"]})
        _tell(enrolment, "payment", gettext_lazy("Payment received"),
              gettext_lazy("We received the deposit for %(program)s (order %(number)s). The courses and mock "
                           "exams are open to you."), {"number": payload["number"]})
        held = enrolment.bookings.filter(status=Booking.Status.HELD).first()
        if held is not None:
            _confirm_paid_hold(enrolment, held)
    elif purpose == billing.RETAKE and enrolment.state == rules.FAILED:
        held = enrolment.bookings.filter(status=Booking.Status.HELD, order_code=payload["order"]).first()
        _tell(enrolment, "payment", gettext_lazy("Payment received"),
              gettext_lazy("We received the retake fee for %(program)s (order %(number)s)."),
              {"number": payload["number"]})
        if held is not None:
            _confirm_paid_hold(enrolment, held)
    elif purpose == billing.BALANCE and enrolment.state == rules.PASSED:
        _transition(enrolment, rules.BALANCE_PAID, actor=None, data={"order": payload["number"]})
        _tell(enrolment, "payment", gettext_lazy("Payment received"),
              gettext_lazy("We received the balance for %(program)s (order %(number)s). Your certificate "
                           "will be issued."), {"number": payload["number"]})


def _confirm_paid_hold(enrolment: Enrolment, held: Booking) -> None:
    """Confirm the seat a payment was for. If the hold had lapsed (paid after its window, before the expiry job
    ran) someone may have taken the seat since: re-count under the session lock, and if the session is now full
    release the hold and ask the candidate to choose again (a paid retake fee is kept for their next booking)."""
    if held.held_until is not None and held.held_until <= now():
        session = exams.session_lock(_session_of(held).code)
        if seats_taken(session.pk) >= session.capacity:
            _release(held, "hold_lapsed")
            audit_record(actor=None, action="enrolment.seat_release", target=enrolment,
                         data={"ticket": held.ticket_number, "reason": "hold_lapsed"})
            _tell(enrolment, "booking", gettext_lazy("Please choose another session"),
                  gettext_lazy("Your payment for %(program)s was received after your held seat had lapsed, and that "
                               "session is now full. Please choose another session; you will not be charged again."))
            return
    _confirm(enrolment, held, actor=None)


def _unused_retake_order(enrolment: Enrolment):
    """A paid retake fee whose seat lapsed: the next retake booking uses it instead of charging again."""
    for order in billing.orders_for_subjects([str(enrolment.code)]):
        if order.purpose == billing.RETAKE and order.paid and not enrolment.bookings.filter(
                order_code=order.code).exclude(status=Booking.Status.RELEASED, released_reason="hold_lapsed").exists():
            return order
    return None


def on_order_closed(payload: dict) -> None:
    """An unpaid order expired or was cancelled: the seat it held goes back to the pool."""
    for booking in Booking.objects.filter(order_code=payload.get("order", ""), status=Booking.Status.HELD):
        _release(booking, "order_closed")
        audit_record(actor=None, action="enrolment.seat_release", target=booking.enrolment,
                     data={"ticket": booking.ticket_number, "order": payload.get("number")})


def on_order_refunded(payload: dict) -> None:
    """A refunded deposit withdraws the candidate and frees their seat."""
    if payload.get("purpose") != billing.DEPOSIT or not payload.get("subject"):
        return
    enrolment = Enrolment.objects.filter(code=payload["subject"]).first()
    if enrolment is None:
        return
    enrolment = _lock(enrolment)
    if rules.can_transition(enrolment.state, rules.WITHDRAWN):
        for booking in enrolment.bookings.filter(status__in=[Booking.Status.HELD, Booking.Status.CONFIRMED]):
            _release(booking, "withdrawn")
        _transition(enrolment, rules.WITHDRAWN, actor=None, reason="refund", data={"order": payload["number"]})


# ── booking, change, retake ─────────────────────────────────────────────────────────────────────────────────
@transaction.atomic
def booking_create(*, enrolment: Enrolment, session_code: str, actor) -> Booking:
    """Book after paying the deposit, or book a retake after a fail (free first, then an order for the fee)."""
    enrolment = _lock(enrolment)
    if _live_booking(enrolment) is not None:
        raise DomainError(_("You already have a seat; change it instead."), code="has_seat")
    if enrolment.state == rules.DEPOSIT_PAID:
        booking = _seat_take(enrolment, session_code, status=Booking.Status.HELD, kind=Booking.Kind.FIRST,
                             held_until=_hold_until())
        _confirm(enrolment, booking, actor=actor)
        return booking
    if enrolment.state == rules.FAILED:
        program = catalog.program_get(enrolment.program_code)
        official = rules.retake_fee_fen(retakes_used=enrolment.retakes_used, free_retakes=program.fees.free_retakes,
                                        retake_fee_fen=program.fees.retake_fee_fen)
        partner_price = billing.order_price_fen(purpose=billing.RETAKE, program_code=enrolment.program_code,
                                                org_pk=enrolment.organization_id)
        prepaid = _unused_retake_order(enrolment)
        if official == 0 or partner_price == 0 or prepaid is not None:
            booking = _seat_take(enrolment, session_code, status=Booking.Status.HELD, kind=Booking.Kind.RETAKE,
                                 held_until=_hold_until(), order_code=prepaid.code if prepaid else "")
            _confirm(enrolment, booking, actor=actor)
            return booking
        booking = _seat_take(enrolment, session_code, status=Booking.Status.HELD, kind=Booking.Kind.RETAKE,
                             held_until=_hold_until())
        order = billing.order_create(user=enrolment.candidate, purpose=billing.RETAKE,
                                     program_code=enrolment.program_code, subject=str(enrolment.code),
                                     org_pk=enrolment.organization_id, actor=actor)
        Booking.objects.filter(pk=booking.pk, status=Booking.Status.HELD).update(
            held_until=order.expires_at, order_code=order.code)
        booking.refresh_from_db()
        return booking
    raise DomainError(_("You cannot book a session at this step."), code="bad_state")


@transaction.atomic
def booking_change(*, enrolment: Enrolment, session_code: str, actor) -> Booking:
    """Move the seat to another session while booking for the current one is still open. The old seat is
    released and the new one taken in one transaction: the candidate never has zero or two seats."""
    enrolment = _lock(enrolment)
    current = _live_booking(enrolment)
    if current is None:
        raise DomainError(_("You have no seat to change."), code="no_seat")
    old = _session_of(current)
    if old.code == session_code:
        raise DomainError(_("That is already your session."), code="same_session", field="session")
    if old.state != "open":
        raise DomainError(_("Booking for your current session has closed, so it can no longer be changed."),
                          code="change_closed")
    status, kind, held_until, order_code = current.status, current.kind, current.held_until, current.order_code
    _release(current, "changed")
    replacement = _seat_take(enrolment, session_code, status=status, kind=kind, held_until=held_until,
                             order_code=order_code)
    new = exams.session_get(session_code)
    audit_record(actor=actor, action="enrolment.booking_change", target=enrolment, data={
        "from_session": old.code, "to_session": new.code, "from_ticket": current.ticket_number,
        "to_ticket": replacement.ticket_number})
    _tell(enrolment, "session_changed", gettext_lazy("Exam session changed"),
          gettext_lazy("Your %(program)s exam is now on %(date)s %(sitting)s, starting %(time)s. New ticket "
                       "number %(ticket)s."), {**_session_words(new), "ticket": replacement.ticket_number})
    return replacement


@transaction.atomic
def session_cancel_and_move(*, session_code: str, replacement_code: str | None, reason: str, actor) -> int:
    """Cancel a session and move every seat on it to the replacement; refused if the replacement is short of
    seats. Returns how many candidates were moved (each is told)."""
    cancelled = exams.session_cancel(code=session_code, replacement_code=replacement_code, reason=reason,
                                     actor=actor)
    seats = list(Booking.objects.filter(session_id=cancelled.pk)
                 .filter(Q(status=Booking.Status.CONFIRMED) | Q(status=Booking.Status.HELD, held_until__gt=now()))
                 .select_related("enrolment__candidate"))
    if seats and not replacement_code:
        raise DomainError(_("Candidates are booked on this session: choose a replacement session for them."),
                          field="replacement")
    if not seats:
        return 0
    replacement = exams.session_get(replacement_code)
    free = rules.seats_free(replacement.capacity, seats_taken(replacement.pk))
    if free < len(seats):
        raise DomainError(_("The replacement has %(free)s free seats but %(needed)s candidates need one.") % {
            "free": free, "needed": len(seats)}, field="replacement")
    for booking in seats:
        status = booking.status  # read before the release overwrites it
        _release(booking, "session_cancelled")
        moved = Booking.objects.create(enrolment=booking.enrolment, session_id=replacement.pk, status=status,
                                       kind=booking.kind, held_until=booking.held_until,
                                       order_code=booking.order_code, ticket_number=_ticket_number(replacement))
        audit_record(actor=actor, action="enrolment.booking_move", target=booking.enrolment, data={
            "from_session": cancelled.code, "to_session": replacement.code, "from_ticket": booking.ticket_number,
            "to_ticket": moved.ticket_number, "reason": reason})
        _tell(booking.enrolment, "session_changed", gettext_lazy("Your exam session was moved"),
              gettext_lazy("The session you booked for %(program)s was cancelled (%(reason)s). Your seat moved "
                           "to %(date)s %(sitting)s, starting %(time)s. New ticket number %(ticket)s."),
              {**_session_words(replacement), "reason": reason, "ticket": moved.ticket_number})
    return len(seats)


# ── after the exam (called by delivery and scoring through api.py) ─────────────────────────────────────────
@transaction.atomic
def enrolment_mark_sat(*, enrolment: Enrolment, actor=None) -> Enrolment:
    enrolment = _lock(enrolment)
    if enrolment.state == rules.SAT:
        return enrolment
    _transition(enrolment, rules.SAT, actor=actor)
    return enrolment


@transaction.atomic
def enrolments_mark_sat(*, enrolment_codes: list[str], actor=None) -> int:
    """Mark many booked enrolments as sat in one statement (a session's results, thousands at once); the ones
    in any other state are left as they are. Audited per enrolment."""
    moved = list(Enrolment.objects.select_for_update().filter(code__in=enrolment_codes, state=rules.BOOKED))
    if not moved:
        return 0
    Enrolment.objects.filter(pk__in=[e.pk for e in moved]).update(state=rules.SAT, updated_at=now())
    audit_record_many(action="enrolment.transition", targets=moved, actor=actor,
                      data=[{"from": rules.BOOKED, "to": rules.SAT, "reason": "", "bulk": True} for _e in moved])
    return len(moved)


@transaction.atomic
def enrolment_record_result(*, enrolment: Enrolment, passed: bool, score: int | None = None, actor=None) -> Enrolment:
    """Scoring reports the outcome of the sitting. A pass issues the balance order; a fail tells the candidate
    what the next retake costs. Reporting the same outcome again changes nothing."""
    enrolment = _lock(enrolment)
    target = rules.PASSED if passed else rules.FAILED
    if enrolment.state == target and enrolment.result_score == score:
        return enrolment
    enrolment.result_score, enrolment.result_at = score, now()
    live = _live_booking(enrolment)
    _transition(enrolment, target, actor=actor, data={"score": score})
    if live is not None:
        _release(live, "sat")
    program = catalog.program_get(enrolment.program_code)
    if passed:
        order = billing.order_create(user=enrolment.candidate, purpose=billing.BALANCE,
                                     program_code=enrolment.program_code, subject=str(enrolment.code),
                                     org_pk=enrolment.organization_id, actor=actor)
        _tell(enrolment, "result", gettext_lazy("You passed"),
              gettext_lazy("Congratulations, you passed %(program)s. Pay the balance (order %(number)s) to "
                           "receive your certificate."), {"number": order.number})
    else:
        fee = rules.retake_fee_fen(retakes_used=enrolment.retakes_used, free_retakes=program.fees.free_retakes,
                                   retake_fee_fen=program.fees.retake_fee_fen)
        if fee == 0:
            body = gettext_lazy("You did not pass %(program)s this time. Your next retake is free: book a session.")
        else:
            body = gettext_lazy("You did not pass %(program)s this time. You can book a retake session.")
        _tell(enrolment, "result", gettext_lazy("Your exam result"), body)
    return enrolment


@transaction.atomic
def enrolment_mark_certified(*, enrolment: Enrolment, actor=None) -> Enrolment:
    enrolment = _lock(enrolment)
    if enrolment.state != rules.CERTIFIED:
        _transition(enrolment, rules.CERTIFIED, actor=actor)
    return enrolment


TICKET_RULES = (
    gettext_lazy("Sign in to the platform 30 minutes before the start with the account you registered with, and "
                 "complete the identity check."),
    gettext_lazy("Use a computer with a stable network connection, a camera and an up-to-date browser."),
    gettext_lazy("The exam is closed-book: no other people, devices or AI tools may help you."),
    gettext_lazy("Answers are saved automatically; the exam ends at the deadline even if you do not submit."),
    gettext_lazy("Bring this ticket number and your ID; the proctor may ask for them."),
)


def admission_ticket(*, user, booking_code, exam_url: str) -> tuple[str, bytes]:
    """(ticket number, PDF) of the candidate's own confirmed seat. NotFound for anyone else's; a DomainError
    (its `field` is the enrolment's code, for the page to return to) before the download opens."""
    booking = Booking.objects.filter(code=booking_code, enrolment__candidate=user,
                                     status=Booking.Status.CONFIRMED).select_related("enrolment").first()
    if booking is None:
        raise NotFound()
    program = catalog.program_get(booking.enrolment.program_code)
    session = _session_of(booking)
    opens = rules.ticket_opens(timezone.localtime(session.start_at).date(), program.exam.ticket_days_before)
    if today() < opens:
        raise DomainError(_("The admission ticket can be downloaded from %(day)s.") % {"day": opens.isoformat()},
                          code="ticket_too_early", field=str(booking.enrolment.code))
    start = timezone.localtime(session.start_at)
    profile = accounts.profile_summary(user)
    pdf = exams.ticket_pdf(exams.TicketData(
        ticket_number=booking.ticket_number, candidate_name=accounts.legal_name_of(user),
        id_number_masked=profile.id_number_masked if profile else "", photo=accounts.profile_photo(user),
        program_name=program.name, session_date=start.date(), sitting_label=session.sitting_label,
        start_time=f"{start:%H:%M}", duration_minutes=session.duration_minutes, exam_url=exam_url,
        rules=tuple(str(line) for line in TICKET_RULES), issued_at=timezone.localtime(),
    ))
    return booking.ticket_number, pdf


def booking_reminders_send(*, days_before: int) -> int:
    """Remind each candidate once, `days_before` days ahead of their session."""
    moment = now()
    sent = 0
    sessions = exams.sessions_starting_between(moment, moment + timedelta(days=days_before))
    due = (Booking.objects.filter(status=Booking.Status.CONFIRMED, reminder_sent_at__isnull=True,
                                  session_id__in=list(sessions)).select_related("enrolment__candidate"))
    for booking in due:
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=moment):
                session = sessions[booking.session_id]
                _tell(booking.enrolment, "reminder", gettext_lazy("Your exam is coming up"),
                      gettext_lazy("Reminder: your %(program)s exam is on %(date)s %(sitting)s, starting %(time)s. "
                                   "Download your admission ticket from your personal center."),
                      _session_words(session))
                sent += 1
    return sent


# ── partner organizations ───────────────────────────────────────────────────────────────────────────────────
def org_voucher_assign(*, org_pk: int, enrolment: Enrolment, voucher_code: str, actor) -> None:
    """The partner settles its candidate's deposit with one of its own seat codes."""
    if enrolment.organization_id != org_pk:
        raise NotFound()
    normalized = (voucher_code or "").strip().upper()
    if normalized not in {v.code_text for v in billing.vouchers_of_org(org_pk) if v.redeemed_at is None}:
        raise DomainError(_("That seat code is not one of your organization's unused codes."), field="voucher")
    order = billing.order_for_subject(str(enrolment.code), billing.DEPOSIT, statuses=("pending",))
    if order is None:
        raise DomainError(_("This candidate has no deposit waiting to be paid."), code="no_order")
    billing.voucher_redeem_for(order_code=order.code, voucher_code=normalized, actor=actor)
