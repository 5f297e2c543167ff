"""Pure enrolment rules: the state machine, retake fees, seat arithmetic. No ORM; tested without a database."""

from __future__ import annotations

from datetime import date, timedelta

REGISTERED, DEPOSIT_PAID, BOOKED, SAT, PASSED, FAILED, BALANCE_PAID, CERTIFIED, WITHDRAWN = (
    "registered", "deposit_paid", "booked", "sat", "passed", "failed", "balance_paid", "certified", "withdrawn")

# Every allowed move. Anything not listed is refused, whoever asks.
TRANSITIONS: dict[str, frozenset[str]] = {
    REGISTERED: frozenset({DEPOSIT_PAID, WITHDRAWN}),
    DEPOSIT_PAID: frozenset({BOOKED, WITHDRAWN}),
    BOOKED: frozenset({SAT, WITHDRAWN}),
    SAT: frozenset({PASSED, FAILED}),
    FAILED: frozenset({BOOKED, PASSED}),  # a retake; or a re-check (复核) that corrects the score to a pass
    PASSED: frozenset({BALANCE_PAID}),
    BALANCE_PAID: frozenset({CERTIFIED}),
    CERTIFIED: frozenset(),
    WITHDRAWN: frozenset(),
}
ACTIVE_STATES = frozenset(TRANSITIONS) - {WITHDRAWN}
# States in which the candidate has paid the deposit: courses and mock exams are open to them.
UNLOCKED_STATES = frozenset({DEPOSIT_PAID, BOOKED, SAT, PASSED, FAILED, BALANCE_PAID, CERTIFIED})


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def retake_fee_fen(*, retakes_used: int, free_retakes: int, retake_fee_fen: int) -> int:
    """The first `free_retakes` retake bookings cost nothing; every later one costs the retake fee."""
    if retakes_used < 0:
        raise ValueError("retakes_used cannot be negative")
    return 0 if retakes_used < free_retakes else retake_fee_fen


def ticket_opens(session_day: date, days_before: int) -> date:
    """The day the admission ticket can first be downloaded."""
    return session_day - timedelta(days=days_before)


def seats_free(capacity: int, taken: int) -> int:
    return max(0, capacity - taken)


def next_step(state: str, *, has_booking: bool, order_pending: bool) -> str:
    """A code for what the candidate should do now; the page turns it into words and a button."""
    if state == REGISTERED:
        return "pay_deposit" if order_pending else "reissue_order"
    if state == DEPOSIT_PAID:
        return "book"
    if state == BOOKED:
        return "prepare"
    if state == SAT:
        return "await_result"
    if state == FAILED:
        return "pay_retake" if order_pending else "book_retake"
    if state == PASSED:
        return "pay_balance" if order_pending else "wait"
    if state == BALANCE_PAID:
        return "await_certificate"
    return "none"
