"""Races on PostgreSQL: real threads, each with its own database connection, released together by a barrier.

Where the outcome would otherwise depend on scheduling, the main thread holds the contended row lock until every
thread is blocked on it (seen in pg_locks), so all of them are inside the critical section at once and the result
is deterministic. Payments go through billing's public entry point (offline_payment_confirm → payment_capture,
the same capture path a gateway notification takes)."""

import threading
import time as clock
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection, transaction

from aigcert.accounts.api import Role
from aigcert.billing import api as billing
from aigcert.core.api import DomainError, audit_events, today
from aigcert.enrolment import services
from aigcert.enrolment.models import Booking, Enrolment
from aigcert.exams import api as exams
from aigcert.orgs import api as orgs

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and concurrent writers need PostgreSQL (SQLite serializes every writer)"),
    pytest.mark.django_db(transaction=True),
]

GENERAL = "aigc-general"


def model(app_label, name):
    return apps.get_model(app_label, name)


def race(*calls, gate=None):
    """Run each call in its own thread; all start together. With `gate` (a queryset), the main thread locks those
    rows first and lets go only once every thread waits on the lock. Returns each call's result or exception."""
    count = len(calls)
    barrier = threading.Barrier(count + 1)
    pids: list[int | None] = [None] * count
    outcomes: list[object] = [None] * count
    done = [False] * count

    def run(i, call):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids[i] = cursor.fetchone()[0]
            barrier.wait(timeout=20)
            outcomes[i] = call()
        except Exception as exc:  # the refusal is an outcome like any other
            outcomes[i] = exc
        finally:
            done[i] = True
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    if gate is None:
        for thread in threads:
            thread.start()
        barrier.wait(timeout=20)
    else:
        with transaction.atomic():
            assert list(gate.select_for_update()), "nothing to lock"
            for thread in threads:
                thread.start()
            barrier.wait(timeout=20)
            deadline = clock.monotonic() + 20
            while True:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)",
                                   [pids])
                    waiting = cursor.fetchone()[0]
                if waiting == count:
                    break
                assert not any(done), f"a thread finished without waiting for the lock: {outcomes}"
                assert clock.monotonic() < deadline, f"only {waiting} of {count} threads reached the lock"
                clock.sleep(0.01)
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def split(outcomes):
    wins = [o for o in outcomes if not isinstance(o, Exception)]
    losses = [o for o in outcomes if isinstance(o, Exception)]
    for loss in losses:
        assert isinstance(loss, DomainError), repr(loss)
    return wins, losses


def books(expected):
    check = billing.ledger_check()
    assert check.balanced and check.total_fen == 0 and check.unbalanced_postings == ()
    assert {k: v for k, v in check.trial_balance.items() if v} == expected


def transitions(e):
    return [(ev.data["from"], ev.data["to"])
            for ev in reversed(audit_events(action="enrolment.transition", target=e))]


@pytest.fixture
def session(catalog, exam_admin):
    """One morning sitting three weeks ahead, with a single seat left."""
    [made] = exams.sessions_generate(program_code=GENERAL, days=[today() + timedelta(days=20)], actor=exam_admin,
                                     sitting_codes=["am"])
    model("exams", "Session").objects.filter(pk=made.pk).update(capacity=1)
    return made


@pytest.fixture
def fin(make_user):
    return make_user(Role.FINANCE)


@pytest.fixture
def registered(catalog, make_user):
    def make():
        return services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL)
    return make


def confirm(e, ref, fin, purpose=billing.DEPOSIT):
    order = billing.order_for_subject(str(e.code), purpose)
    return billing.offline_payment_confirm(order_code=order.code, bank_ref=ref, amount_fen=order.total_fen, actor=fin)


def test_two_candidates_race_for_the_last_seat(session, registered, fin):
    a, b = registered(), registered()
    confirm(a, "BANK-A", fin)
    confirm(b, "BANK-B", fin)
    a, b = Enrolment.objects.get(pk=a.pk), Enrolment.objects.get(pk=b.pk)
    outcomes = race(lambda: services.booking_create(enrolment=a, session_code=str(session.code), actor=a.candidate),
                    lambda: services.booking_create(enrolment=b, session_code=str(session.code), actor=b.candidate),
                    gate=model("exams", "Session").objects.filter(pk=session.pk))
    wins, losses = split(outcomes)
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].code == "session_full"
    [seat] = Booking.objects.filter(session_id=session.pk)
    assert seat.status == "confirmed" and seat.pk == wins[0].pk
    winner = seat.enrolment
    loser = a if winner.pk == b.pk else b
    assert Enrolment.objects.get(pk=winner.pk).state == "booked"
    assert Enrolment.objects.get(pk=loser.pk).state == "deposit_paid"
    assert not Booking.objects.filter(enrolment=loser).exists()
    assert transitions(loser) == [("registered", "deposit_paid")]


def test_two_registrations_race_for_the_last_seat(session, catalog, make_user):
    first, second = make_user(Role.CANDIDATE), make_user(Role.CANDIDATE)
    outcomes = race(*[
        (lambda user=user: services.enrolment_register(candidate=user, program_code=GENERAL,
                                                       session_code=str(session.code)))
        for user in (first, second)
    ], gate=model("exams", "Session").objects.filter(pk=session.pk))
    wins, losses = split(outcomes)
    assert len(wins) == 1 and losses[0].code == "session_full"
    # The refused registration left nothing: no enrolment, no order, no seat.
    assert list(Enrolment.objects.all()) == wins
    assert [b.enrolment_id for b in Booking.objects.all()] == [wins[0].pk]
    assert len(audit_events(action="billing.order_create")) == 1
    assert len(audit_events(action="enrolment.register")) == 1


def test_the_same_payment_reported_twice_at_once_is_credited_once(registered, fin):
    e = registered()
    order = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    outcomes = race(*[
        (lambda: billing.offline_payment_confirm(order_code=order.code, bank_ref="ICBC-777", amount_fen=49800,
                                                 actor=fin))
        for _ in range(2)
    ], gate=model("billing", "Order").objects.filter(code=order.code))
    wins, losses = split(outcomes)
    assert len(wins) == 1 and wins[0].paid
    assert len(losses) == 1 and losses[0].code == "bank_ref_used"
    Payment, Refund = model("billing", "Payment"), model("billing", "Refund")
    [payment] = Payment.objects.all()
    assert (payment.provider_ref, payment.duplicate, payment.amount_fen) == ("ICBC-777", False, 49800)
    assert Refund.objects.count() == 0
    assert model("billing", "LedgerEntry").objects.count() == 2
    books({"cash:offline": 49800, "revenue:deposit": -49800})
    assert billing.order_get(order.code).paid
    assert Enrolment.objects.get(pk=e.pk).state == "deposit_paid"
    assert transitions(e) == [("registered", "deposit_paid")]
    assert len(audit_events(action="billing.payment_capture")) == 1


def test_two_different_payments_for_one_order_at_once(registered, fin):
    e = registered()
    order = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    outcomes = race(*[
        (lambda ref=ref: billing.offline_payment_confirm(order_code=order.code, bank_ref=ref, amount_fen=49800,
                                                         actor=fin))
        for ref in ("ICBC-1", "ICBC-2")
    ], gate=model("billing", "Order").objects.filter(code=order.code))
    wins, losses = split(outcomes)
    # Both transfers were real money: one pays the order, the other is recorded and owed back.
    assert losses == [] and all(w.paid for w in wins)
    Payment, Refund = model("billing", "Payment"), model("billing", "Refund")
    payments = list(Payment.objects.order_by("duplicate"))
    assert [p.duplicate for p in payments] == [False, True]
    assert {p.provider_ref for p in payments} == {"ICBC-1", "ICBC-2"}
    [refund] = Refund.objects.all()
    assert refund.payment_id == payments[1].pk and refund.status == "pending" and refund.amount_fen == 49800
    books({"cash:offline": 99600, "revenue:deposit": -49800, "liability:overpayments": -49800})
    assert Enrolment.objects.get(pk=e.pk).state == "deposit_paid"
    assert transitions(e) == [("registered", "deposit_paid")]


def test_one_seat_code_redeemed_for_two_orders_at_once(registered, fin, make_user, staff_user):
    org = orgs.org_create(slug="race-school", name="并发学校", actor=staff_user)
    batch = billing.order_create(user=make_user(Role.ORG_ADMIN), purpose=billing.VOUCHER_BATCH, program_code=GENERAL,
                                 org_pk=org.pk, quantity=1)
    billing.offline_payment_confirm(order_code=batch.code, bank_ref="BATCH-1", amount_fen=batch.total_fen, actor=fin)
    [voucher] = billing.vouchers_of_org(org.pk)
    a, b = registered(), registered()
    orders = {e.pk: billing.order_for_subject(str(e.code), billing.DEPOSIT) for e in (a, b)}
    outcomes = race(*[
        (lambda e=e: billing.voucher_redeem_for(order_code=orders[e.pk].code, voucher_code=voucher.code_text,
                                                actor=e.candidate))
        for e in (a, b)
    ], gate=model("billing", "Voucher").objects.filter(code_text=voucher.code_text))
    wins, losses = split(outcomes)
    assert len(wins) == 1 and wins[0].paid and wins[0].paid_with == "voucher"
    assert len(losses) == 1 and losses[0].code == "voucher_invalid"
    redeemed = model("billing", "Voucher").objects.get()
    assert redeemed.redeemed_order.code.hex == wins[0].code.replace("-", "")
    states = sorted(Enrolment.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True))
    assert states == ["deposit_paid", "registered"]
    assert [o.status for o in (billing.order_get(orders[a.pk].code), billing.order_get(orders[b.pk].code))].count(
        "pending") == 1
    books({"cash:offline": 49800, "revenue:deposit": -49800})
