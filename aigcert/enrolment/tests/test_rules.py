"""Pure enrolment rules: the state machine, retake fees, seats and the next step. No database."""

import itertools

import pytest

from aigcert.enrolment import rules
from aigcert.enrolment.models import Enrolment

S = rules
STATES = [S.REGISTERED, S.DEPOSIT_PAID, S.BOOKED, S.SAT, S.PASSED, S.FAILED, S.BALANCE_PAID, S.CERTIFIED,
          S.WITHDRAWN]

# Written out from the process description, independently of rules.TRANSITIONS.
ALLOWED = {
    (S.REGISTERED, S.DEPOSIT_PAID), (S.REGISTERED, S.WITHDRAWN),
    (S.DEPOSIT_PAID, S.BOOKED), (S.DEPOSIT_PAID, S.WITHDRAWN),
    (S.BOOKED, S.SAT), (S.BOOKED, S.WITHDRAWN),
    (S.SAT, S.PASSED), (S.SAT, S.FAILED),
    (S.FAILED, S.BOOKED), (S.FAILED, S.PASSED),  # a retake; a re-check that corrects the score to a pass
    (S.PASSED, S.BALANCE_PAID),
    (S.BALANCE_PAID, S.CERTIFIED),
}


def test_states_match_the_model():
    assert set(STATES) == set(rules.TRANSITIONS) == set(Enrolment.State.values)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(STATES, STATES)))
def test_transition_allowed_iff_listed(current, target):
    assert rules.can_transition(current, target) is ((current, target) in ALLOWED)


@pytest.mark.parametrize(("current", "target"), [
    (S.REGISTERED, S.BOOKED),  # no seat before the deposit
    (S.DEPOSIT_PAID, S.SAT),
    (S.SAT, S.WITHDRAWN),  # no withdrawal once the exam is taken
    (S.PASSED, S.CERTIFIED),  # the balance comes first
    (S.PASSED, S.FAILED),  # a pass stands: a re-check that lowers it goes to the exam office
    (S.CERTIFIED, S.WITHDRAWN),
    (S.WITHDRAWN, S.REGISTERED),
    (S.BOOKED, S.BOOKED),
])
def test_sample_of_refused_transitions(current, target):
    assert not rules.can_transition(current, target)


def test_unknown_states_are_refused():
    assert not rules.can_transition("nonsense", S.REGISTERED)
    assert not rules.can_transition(S.REGISTERED, "nonsense")


def test_terminal_states():
    assert rules.TRANSITIONS[S.CERTIFIED] == frozenset()
    assert rules.TRANSITIONS[S.WITHDRAWN] == frozenset()
    assert frozenset(STATES) - {S.WITHDRAWN} == rules.ACTIVE_STATES


def test_unlocked_states_are_those_after_the_deposit():
    assert frozenset(STATES) - {S.REGISTERED, S.WITHDRAWN} == rules.UNLOCKED_STATES


@pytest.mark.parametrize(("used", "free", "fee", "expected"), [
    (0, 1, 19900, 0),  # first retake free
    (1, 1, 19900, 19900),
    (2, 1, 19900, 19900),
    (0, 0, 19900, 19900),
    (1, 2, 19900, 0),
    (2, 2, 19900, 19900),
])
def test_retake_fee(used, free, fee, expected):
    assert rules.retake_fee_fen(retakes_used=used, free_retakes=free, retake_fee_fen=fee) == expected


def test_retake_fee_refuses_negative_count():
    with pytest.raises(ValueError, match="negative"):
        rules.retake_fee_fen(retakes_used=-1, free_retakes=1, retake_fee_fen=19900)


@pytest.mark.parametrize(("capacity", "taken", "free"), [(200, 0, 200), (200, 199, 1), (200, 200, 0),
                                                         (1, 3, 0), (0, 0, 0)])
def test_seats_free(capacity, taken, free):
    assert rules.seats_free(capacity, taken) == free


@pytest.mark.parametrize(("state", "pending", "step"), [
    (S.REGISTERED, True, "pay_deposit"),
    (S.REGISTERED, False, "reissue_order"),
    (S.DEPOSIT_PAID, False, "book"),
    (S.BOOKED, False, "prepare"),
    (S.SAT, False, "await_result"),
    (S.FAILED, True, "pay_retake"),
    (S.FAILED, False, "book_retake"),
    (S.PASSED, True, "pay_balance"),
    (S.PASSED, False, "wait"),
    (S.BALANCE_PAID, False, "await_certificate"),
    (S.CERTIFIED, False, "none"),
    (S.WITHDRAWN, False, "none"),
])
def test_next_step(state, pending, step):
    assert rules.next_step(state, has_booking=False, order_pending=pending) == step
    assert rules.next_step(state, has_booking=True, order_pending=pending) == step
