"""Enrolment against the database: every transition through the services, every refusal leaving nothing behind,
seats held, confirmed, changed, moved and released, retakes, eligibility claims, and the audit trail.

Other apps are reached through their api.py only; to move a session's or an order's clock (or a session's
capacity) the test updates their rows through the app registry, as their models are not ours to import."""

import io
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from aigcert.accounts.api import Role
from aigcert.billing import api as billing
from aigcert.catalog import api as catalog_api
from aigcert.core.api import DomainError, audit_events, inbox, now, outbox_publish, today
from aigcert.enrolment import api, services
from aigcert.enrolment.models import Booking, EligibilityClaim, Enrolment
from aigcert.exams import api as exams
from aigcert.orgs import api as orgs

GENERAL = "aigc-general"


@pytest.fixture(scope="module")
def _catalog_once(django_db_setup, django_db_blocker):
    """The shipped catalog, loaded once for the module in a transaction rolled back after its last test (each test
    still runs in its own savepoint, so tests stay independent)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def catalog(_catalog_once, db):
    """Overrides the root `catalog` fixture (same data) to keep the module fast."""


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────
def Session():
    return apps.get_model("exams", "Session")


def Order():
    return apps.get_model("billing", "Order")


def set_capacity(session, capacity):
    Session().objects.filter(pk=session.pk).update(capacity=capacity)


def close_booking(session):
    Session().objects.filter(pk=session.pk).update(booking_closes_at=now() - timedelta(minutes=1))


def reload(e: Enrolment) -> Enrolment:
    return Enrolment.objects.get(pk=e.pk)


def live(e: Enrolment) -> list[Booking]:
    return list(Booking.objects.filter(enrolment=e, status__in=["held", "confirmed"]))


def taken(session) -> int:
    return services.seats_taken(session.pk)


def transitions(e: Enrolment) -> list[tuple[str, str]]:
    return [(ev.data["from"], ev.data["to"]) for ev in reversed(audit_events(action="enrolment.transition", target=e))]


def kinds(user) -> list[str]:
    return sorted(n.kind for n in inbox(user.pk))


def assert_books():
    check = billing.ledger_check()
    assert check.balanced and check.total_fen == 0 and check.unbalanced_postings == ()
    return {k: v for k, v in check.trial_balance.items() if v}


def nothing_created():
    assert Enrolment.objects.count() == 0
    assert Booking.objects.count() == 0
    assert audit_events(action="enrolment.register") == []
    assert audit_events(action="billing.order_create") == []


@pytest.fixture
def fin(make_user):
    return make_user(Role.FINANCE)


@pytest.fixture
def cand(catalog, make_user):
    return make_user(Role.CANDIDATE)


@pytest.fixture
def make_sessions(catalog, exam_admin):
    """The program's sittings (AM and PM) on one day, made by the exam office's generator from the exam policy."""
    def make(program_code=GENERAL, days_ahead=20):
        return exams.sessions_generate(program_code=program_code, days=[today() + timedelta(days=days_ahead)],
                                       actor=exam_admin)
    return make


@pytest.fixture
def am_pm(make_sessions):
    return make_sessions()


@pytest.fixture
def pay(fin):
    refs = iter(range(1, 10_000))

    def pay(e: Enrolment, purpose: str):
        order = billing.order_for_subject(str(e.code), purpose)
        assert order is not None and order.pending
        return billing.offline_payment_confirm(order_code=order.code, bank_ref=f"BANK-{next(refs)}",
                                               amount_fen=order.total_fen, actor=fin)
    return pay


@pytest.fixture
def booked(cand, am_pm, pay):
    """A candidate who paid the deposit and booked the morning sitting."""
    e = services.enrolment_register(candidate=cand, program_code=GENERAL)
    pay(e, billing.DEPOSIT)
    services.booking_create(enrolment=reload(e), session_code=str(am_pm[0].code), actor=cand)
    return reload(e)


def sit_and_fail(e, score=40):
    api.enrolment_mark_sat(enrolment_code=str(e.code))
    api.enrolment_record_result(enrolment_code=str(e.code), passed=False, score=score)
    return reload(e)


# ── the whole journey ───────────────────────────────────────────────────────────────────────────────────────
def test_journey_register_to_certified(cand, am_pm, pay):
    fees = catalog_api.program_get(GENERAL).fees
    e = services.enrolment_register(candidate=cand, program_code=GENERAL)
    assert (e.state, e.candidate, e.program_code, e.retakes_used, e.eligibility_basis) == (
        "registered", cand, GENERAL, 0, "")
    deposit = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    assert deposit.total_fen == fees.deposit_fen == 49800 and deposit.pending and deposit.user_id == cand.pk
    view = api.enrolment_get(str(e.code))
    assert view.next_step == "pay_deposit" and view.pending_order.code == deposit.code and view.booking is None
    assert not api.program_unlocked(cand, GENERAL)
    [register_event] = audit_events(action="enrolment.register")
    assert register_event.actor_id == cand.pk and register_event.data["program"] == GENERAL

    pay(e, billing.DEPOSIT)
    assert reload(e).state == "deposit_paid"
    assert api.program_unlocked(cand, GENERAL)
    assert api.enrolment_get(str(e.code)).next_step == "book"
    assert assert_books() == {"cash:offline": 49800, "revenue:deposit": -49800}

    am = am_pm[0]
    booking = services.booking_create(enrolment=reload(e), session_code=str(am.code), actor=cand)
    assert (booking.status, booking.kind, booking.session_id, booking.held_until) == ("confirmed", "first", am.pk,
                                                                                     None)
    local = timezone.localtime(am.start_at)
    assert re.fullmatch(rf"{local:%y%m%d}AM\d{{6}}", booking.ticket_number)
    assert reload(e).state == "booked" and taken(am) == 1
    view = api.enrolment_get(str(e.code))
    assert view.next_step == "prepare" and view.booking.ticket_number == booking.ticket_number
    assert view.booking.confirmed and view.booking.ticket_from == local.date() - timedelta(days=7)

    assert api.enrolment_mark_sat(enrolment_code=str(e.code)).state == "sat"
    assert api.enrolment_mark_sat(enrolment_code=str(e.code)).state == "sat"  # idempotent
    view = api.enrolment_record_result(enrolment_code=str(e.code), passed=True, score=85)
    assert view.state == "passed" and view.result_score == 85
    assert Booking.objects.get(pk=booking.pk).status == "released"
    assert Booking.objects.get(pk=booking.pk).released_reason == "sat"
    balance = billing.order_for_subject(str(e.code), billing.BALANCE)
    assert balance.total_fen == fees.balance_fen == 30000 and balance.pending
    assert view.next_step == "pay_balance"
    assert not api.enrolment_can_be_certified(str(e.code))

    pay(e, billing.BALANCE)
    assert reload(e).state == "balance_paid"
    assert api.enrolment_can_be_certified(str(e.code))
    assert api.enrolment_get(str(e.code)).next_step == "await_certificate"
    assert api.enrolment_mark_certified(enrolment_code=str(e.code)) == "certified"
    assert api.enrolment_mark_certified(enrolment_code=str(e.code)) == "certified"  # idempotent

    assert transitions(e) == [("registered", "deposit_paid"), ("deposit_paid", "booked"), ("booked", "sat"),
                              ("sat", "passed"), ("passed", "balance_paid"), ("balance_paid", "certified")]
    assert assert_books() == {"cash:offline": 79800, "revenue:deposit": -49800, "revenue:balance": -30000}
    assert kinds(cand) == ["booking", "payment", "payment", "result"]
    assert all(ev.target_id == str(e.pk) for ev in audit_events(action="enrolment.transition"))


def test_transition_audit_records_actor_and_details(booked, cand):
    [to_booked] = [ev for ev in audit_events(action="enrolment.transition", target=booked)
                   if ev.data["to"] == "booked"]
    assert to_booked.actor_id == cand.pk
    assert to_booked.data["from"] == "deposit_paid" and to_booked.data["ticket"] == live(booked)[0].ticket_number
    [to_paid] = [ev for ev in audit_events(action="enrolment.transition", target=booked)
                 if ev.data["to"] == "deposit_paid"]
    assert to_paid.actor_id is None  # moved by billing's event, not a person
    assert to_paid.data["order"] == billing.order_for_subject(str(booked.code), billing.DEPOSIT, statuses=("paid",)
                                                              ).number


def test_seat_held_at_registration_is_confirmed_on_payment(cand, am_pm, pay):
    am = am_pm[0]
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am.code))
    assert e.state == "registered"
    order = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    [held] = live(e)
    assert (held.status, held.session_id, held.order_code, held.held_until) == ("held", am.pk, order.code,
                                                                                order.expires_at)
    assert taken(am) == 1
    assert api.enrolment_get(str(e.code)).booking.status == "held"

    pay(e, billing.DEPOSIT)
    assert reload(e).state == "booked"
    [confirmed] = live(e)
    assert confirmed.pk == held.pk and confirmed.status == "confirmed" and confirmed.held_until is None
    assert transitions(e) == [("registered", "deposit_paid"), ("deposit_paid", "booked")]
    assert taken(am) == 1
    assert kinds(cand) == ["booking", "payment"]


def test_deposit_paid_with_a_partner_seat_code(cand, am_pm, make_user, fin, staff_user):
    org = orgs.org_create(slug="sz-school", name="深圳某学校", actor=staff_user)
    buyer = make_user(Role.ORG_ADMIN)
    batch = billing.order_create(user=buyer, purpose=billing.VOUCHER_BATCH, program_code=GENERAL, org_pk=org.pk,
                                 quantity=1)
    billing.offline_payment_confirm(order_code=batch.code, bank_ref="B-1", amount_fen=batch.total_fen, actor=fin)
    [voucher] = billing.vouchers_of_org(org.pk)
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, org_pk=org.pk,
                                    session_code=str(am_pm[1].code), actor=buyer)
    assert e.organization_id == org.pk
    order = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    billing.voucher_redeem_for(order_code=order.code, voucher_code=voucher.code_text, actor=buyer)
    assert reload(e).state == "booked" and live(e)[0].status == "confirmed"
    [event] = audit_events(action="enrolment.register")
    assert event.actor_id == buyer.pk and event.data["org"] == org.pk
    assert assert_books() == {"cash:offline": 49800, "revenue:deposit": -49800}


def test_partner_price_applies_to_its_candidates(cand, staff_user, pay):
    org = orgs.org_create(slug="gz-center", name="广州某中心", actor=staff_user)
    orgs.org_price_set(org_pk=org.pk, program_code=GENERAL, deposit_fen=45000, balance_fen=28000,
                       retake_fee_fen=15000, actor=staff_user)
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, org_pk=org.pk)
    assert billing.order_for_subject(str(e.code), billing.DEPOSIT).total_fen == 45000


# ── retakes ─────────────────────────────────────────────────────────────────────────────────────────────────
def test_first_retake_is_free_then_the_fee_holds_the_seat_until_paid(booked, cand, am_pm, pay):
    am, pm = am_pm
    fees = catalog_api.program_get(GENERAL).fees
    assert (fees.free_retakes, fees.retake_fee_fen) == (1, 19900)
    e = sit_and_fail(booked)
    assert e.state == "failed" and e.result_score == 40 and live(e) == []
    view = api.enrolment_get(str(e.code))
    assert (view.next_step, view.next_retake_fee_fen) == ("book_retake", 0)

    # The first retake: free, no order, confirmed at once.
    first = services.booking_create(enrolment=e, session_code=str(pm.code), actor=cand)
    assert (first.status, first.kind) == ("confirmed", "retake")
    e = reload(e)
    assert e.state == "booked" and e.retakes_used == 1
    assert billing.order_for_subject(str(e.code), billing.RETAKE, statuses=("pending", "paid", "expired")) is None
    assert [o.purpose for o in billing.orders_for_subjects([str(e.code)])] == ["deposit"]

    e = sit_and_fail(e, score=50)
    view = api.enrolment_get(str(e.code))
    assert (view.next_step, view.next_retake_fee_fen) == ("book_retake", 19900)
    # The second retake: a 199 yuan order; the seat is held for it, the state waits for the money.
    second = services.booking_create(enrolment=e, session_code=str(am.code), actor=cand)
    retake = billing.order_for_subject(str(e.code), billing.RETAKE)
    assert retake.total_fen == 19900 and retake.pending
    assert (second.status, second.kind, second.order_code, second.held_until) == (
        "held", "retake", retake.code, retake.expires_at)
    e = reload(e)
    assert e.state == "failed" and e.retakes_used == 1
    assert api.enrolment_get(str(e.code)).next_step == "pay_retake"
    assert taken(am) == 1
    with pytest.raises(DomainError) as err:  # one seat at a time
        services.booking_create(enrolment=e, session_code=str(pm.code), actor=cand)
    assert err.value.code == "has_seat"

    pay(e, billing.RETAKE)
    e = reload(e)
    assert e.state == "booked" and e.retakes_used == 2
    assert Booking.objects.get(pk=second.pk).status == "confirmed"
    assert transitions(e) == [("registered", "deposit_paid"), ("deposit_paid", "booked"), ("booked", "sat"),
                              ("sat", "failed"), ("failed", "booked"), ("booked", "sat"), ("sat", "failed"),
                              ("failed", "booked")]
    # The third retake costs the fee too.
    e = sit_and_fail(e)
    assert api.enrolment_get(str(e.code)).next_retake_fee_fen == 19900
    services.booking_create(enrolment=e, session_code=str(pm.code), actor=cand)
    assert billing.order_for_subject(str(e.code), billing.RETAKE).total_fen == 19900
    assert assert_books() == {"cash:offline": 69700, "revenue:deposit": -49800, "revenue:retake": -19900}


def test_unpaid_retake_order_expiring_releases_its_seat(booked, cand, am_pm):
    am, pm = am_pm
    e = sit_and_fail(booked)
    services.booking_create(enrolment=e, session_code=str(pm.code), actor=cand)
    e = sit_and_fail(reload(e))
    held = services.booking_create(enrolment=e, session_code=str(am.code), actor=cand)
    Order().objects.filter(code=held.order_code).update(expires_at=now() - timedelta(seconds=1))
    assert billing.orders_expire() == 1
    held.refresh_from_db()
    assert (held.status, held.released_reason) == ("released", "order_closed")
    assert reload(e).state == "failed" and taken(am) == 0
    # A new booking issues a new order.
    again = services.booking_create(enrolment=reload(e), session_code=str(am.code), actor=cand)
    assert again.order_code != held.order_code and again.status == "held"


def test_partner_free_retake_confirms_the_seat(cand, am_pm, pay, staff_user):
    am, pm = am_pm
    org = orgs.org_create(slug="free-retakes", name="免补考费机构", actor=staff_user)
    orgs.org_price_set(org_pk=org.pk, program_code=GENERAL, deposit_fen=45000, balance_fen=30000,
                       retake_fee_fen=0, actor=staff_user)
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, org_pk=org.pk)
    pay(e, billing.DEPOSIT)
    services.booking_create(enrolment=reload(e), session_code=str(am.code), actor=cand)
    e = sit_and_fail(reload(e))
    services.booking_create(enrolment=e, session_code=str(pm.code), actor=cand)
    e = sit_and_fail(reload(e))
    booking = services.booking_create(enrolment=e, session_code=str(am.code), actor=cand)
    # Nothing is left to pay (whether a zero order was settled or none was issued).
    assert billing.order_for_subject(str(e.code), billing.RETAKE, statuses=("pending",)) is None
    assert api.enrolment_get(str(e.code)).pending_order is None
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    e = reload(e)
    assert e.state == "booked" and e.retakes_used == 2


# ── results ─────────────────────────────────────────────────────────────────────────────────────────────────
def test_record_result_is_idempotent(booked):
    code = str(booked.code)
    api.enrolment_mark_sat(enrolment_code=code)
    first = api.enrolment_record_result(enrolment_code=code, passed=True, score=90)
    again = api.enrolment_record_result(enrolment_code=code, passed=True, score=90)
    assert first.state == again.state == "passed"
    assert [o.purpose for o in billing.orders_for_subjects([code])].count("balance") == 1
    assert transitions(booked).count(("sat", "passed")) == 1
    assert kinds(booked.candidate).count("result") == 1


def test_record_fail_is_idempotent(booked):
    code = str(booked.code)
    api.enrolment_mark_sat(enrolment_code=code)
    for _ in range(3):
        assert api.enrolment_record_result(enrolment_code=code, passed=False, score=30).state == "failed"
    assert transitions(booked).count(("sat", "failed")) == 1
    assert kinds(booked.candidate).count("result") == 1
    assert [o.purpose for o in billing.orders_for_subjects([code])] == ["deposit"]


def test_results_refused_out_of_order(booked, cand):
    code = str(booked.code)
    with pytest.raises(DomainError) as err:  # no result before the exam is taken
        api.enrolment_record_result(enrolment_code=code, passed=True, score=90)
    assert err.value.code == "bad_transition"
    assert reload(booked).state == "booked" and reload(booked).result_score is None
    with pytest.raises(DomainError):
        api.enrolment_mark_certified(enrolment_code=code)
    other = services.enrolment_register(candidate=booked.candidate, program_code="aigc-design-pro")
    with pytest.raises(DomainError) as err:
        api.enrolment_mark_sat(enrolment_code=str(other.code))
    assert err.value.code == "bad_transition"
    assert transitions(other) == []


# ── refusals that leave nothing behind ──────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("program", "code"), [("aigc-expert", "not_open"), ("aigc-prompt-engineer", "not_open"),
                                               ("aigc-nope", "unknown_program")])
def test_register_refused_for_programs_not_open(cand, program, code):
    with pytest.raises(DomainError) as err:
        services.enrolment_register(candidate=cand, program_code=program)
    assert err.value.code == code
    nothing_created()


def test_register_twice_refused(cand, am_pm):
    e = services.enrolment_register(candidate=cand, program_code=GENERAL)
    with pytest.raises(DomainError) as err:
        services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am_pm[0].code))
    assert err.value.code == "already_registered"
    assert list(Enrolment.objects.all()) == [e]
    assert Booking.objects.count() == 0
    assert len(audit_events(action="billing.order_create")) == 1


def test_register_refused_for_a_full_session(cand, am_pm, make_user):
    am = am_pm[0]
    set_capacity(am, 1)
    services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL, session_code=str(am.code))
    with pytest.raises(DomainError) as err:
        services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am.code))
    assert err.value.code == "session_full"
    assert not Enrolment.objects.filter(candidate=cand).exists()
    assert len(audit_events(action="billing.order_create")) == 1 and taken(am) == 1


@pytest.mark.parametrize("problem", ["closed", "other_program", "unknown", "too_far", "cancelled"])
def test_register_with_an_unbookable_session_creates_nothing(cand, am_pm, make_sessions, problem):
    am = am_pm[0]
    code = str(am.code)
    expected = {"closed": "session_closed", "other_program": "wrong_program", "unknown": "no_session",
                "too_far": "too_far", "cancelled": "session_closed"}[problem]
    if problem == "closed":
        close_booking(am)
    elif problem == "other_program":
        code = str(make_sessions("aigc-design-pro")[0].code)
    elif problem == "unknown":
        code = "00000000-0000-0000-0000-000000000000"
    elif problem == "too_far":
        code = str(make_sessions(days_ahead=70)[0].code)  # beyond the end of next month (horizon 1)
    else:
        Session().objects.filter(pk=am.pk).update(cancelled_at=now())
    with pytest.raises(DomainError) as err:
        services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=code)
    assert err.value.code == expected
    nothing_created()


@pytest.mark.parametrize("problem", ["full", "closed", "other_program", "unknown", "too_far"])
def test_booking_refusals_create_nothing(cand, am_pm, make_sessions, pay, make_user, problem):
    am = am_pm[0]
    e = services.enrolment_register(candidate=cand, program_code=GENERAL)
    pay(e, billing.DEPOSIT)
    code = str(am.code)
    expected = {"full": "session_full", "closed": "session_closed", "other_program": "wrong_program",
                "unknown": "no_session", "too_far": "too_far"}[problem]
    if problem == "full":
        set_capacity(am, 1)
        rival = services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL)
        pay(rival, billing.DEPOSIT)
        services.booking_create(enrolment=rival, session_code=code, actor=rival.candidate)
    elif problem == "closed":
        close_booking(am)
    elif problem == "other_program":
        code = str(make_sessions("aigc-design-pro")[0].code)
    elif problem == "unknown":
        code = "00000000-0000-0000-0000-000000000000"
    else:
        code = str(make_sessions(days_ahead=70)[0].code)
    with pytest.raises(DomainError) as err:
        services.booking_create(enrolment=reload(e), session_code=code, actor=cand)
    assert err.value.code == expected
    assert live(e) == [] and Booking.objects.filter(enrolment=e).count() == 0
    assert reload(e).state == "deposit_paid"
    assert transitions(e) == [("registered", "deposit_paid")]


def test_booking_before_the_deposit_refused(cand, am_pm):
    e = services.enrolment_register(candidate=cand, program_code=GENERAL)
    with pytest.raises(DomainError) as err:
        services.booking_create(enrolment=e, session_code=str(am_pm[0].code), actor=cand)
    assert err.value.code == "bad_state"
    assert Booking.objects.count() == 0


def test_second_booking_refused(booked, am_pm, cand):
    with pytest.raises(DomainError) as err:
        services.booking_create(enrolment=booked, session_code=str(am_pm[1].code), actor=cand)
    assert err.value.code == "has_seat"
    assert len(live(booked)) == 1 and taken(am_pm[1]) == 0


def test_a_held_seat_that_lapsed_no_longer_counts(cand, am_pm, make_user, pay):
    am = am_pm[0]
    set_capacity(am, 1)
    lapsed = services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL,
                                         session_code=str(am.code))
    assert taken(am) == 1
    Booking.objects.filter(enrolment=lapsed).update(held_until=now() - timedelta(seconds=1))
    assert taken(am) == 0
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am.code))
    assert live(e)[0].status == "held"


# ── eligibility ─────────────────────────────────────────────────────────────────────────────────────────────
def _proof():
    return SimpleUploadedFile("在职证明.pdf", b"%PDF-1.4 proof", content_type="application/pdf")


def _claim(cand, years=2):
    return services.eligibility_claim_submit(candidate=cand, program_code="aigc-engineer-intermediate",
                                             work_years=years, employer=" 某科技公司 ", description=" AIGC应用开发 ",
                                             proof=_proof(), proof_name="在职证明.pdf")


def test_intermediate_engineer_needs_the_junior_certificate_or_a_year_of_work(cand, staff_user, make_user):
    with pytest.raises(DomainError) as err:
        services.enrolment_register(candidate=cand, program_code="aigc-engineer-intermediate")
    assert err.value.code == "not_eligible"
    nothing_created()

    claim = _claim(cand)
    assert (claim.status, claim.employer, claim.description, claim.work_years) == ("pending", "某科技公司",
                                                                                   "AIGC应用开发", 2)
    with EligibilityClaim.objects.get(pk=claim.pk).proof.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 proof"
    with pytest.raises(DomainError) as err:
        _claim(cand)
    assert err.value.code == "pending"
    with pytest.raises(DomainError) as err:  # a pending claim doesn't count yet
        services.enrolment_register(candidate=cand, program_code="aigc-engineer-intermediate")
    assert err.value.code == "not_eligible"

    # Rejection needs a reason.
    with pytest.raises(DomainError) as err:
        services.eligibility_claim_decide(claim=claim, approve=False, reason="  ", actor=staff_user)
    assert err.value.field == "reason"
    assert EligibilityClaim.objects.get(pk=claim.pk).status == "pending"
    # Nobody reviews their own claim.
    with pytest.raises(DomainError) as err:
        services.eligibility_claim_decide(claim=claim, approve=True, reason="", actor=cand)
    assert err.value.code == "own_claim"

    services.eligibility_claim_decide(claim=claim, approve=False, reason="证明材料不清晰", actor=staff_user)
    claim.refresh_from_db()
    assert (claim.status, claim.reason, claim.reviewer) == ("rejected", "证明材料不清晰", staff_user)
    assert claim.reviewed_at is not None
    [message] = inbox(cand.pk)
    assert message.kind == "eligibility" and "证明材料不清晰" in message.body
    with pytest.raises(DomainError) as err:
        services.eligibility_claim_decide(claim=claim, approve=True, reason="", actor=staff_user)
    assert err.value.code == "decided"
    with pytest.raises(DomainError):
        services.enrolment_register(candidate=cand, program_code="aigc-engineer-intermediate")

    second = _claim(cand, years=1)
    services.eligibility_claim_decide(claim=second, approve=True, reason="", actor=staff_user)
    assert kinds(cand) == ["eligibility", "eligibility"]
    e = services.enrolment_register(candidate=cand, program_code="aigc-engineer-intermediate")
    assert e.state == "registered" and e.eligibility_basis == "work_years:1"
    [decision, _] = audit_events(action="enrolment.eligibility_decide")
    assert decision.data == {"approved": True, "reason": ""} and decision.actor_id == staff_user.pk
    # Someone else's approval is not mine.
    with pytest.raises(DomainError) as err:
        services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code="aigc-engineer-intermediate")
    assert err.value.code == "not_eligible"


def test_senior_engineer_needs_three_years(cand, staff_user):
    claim = services.eligibility_claim_submit(candidate=cand, program_code="aigc-engineer-senior", work_years=2,
                                              employer="x", description="y", proof=_proof(), proof_name="p.pdf")
    services.eligibility_claim_decide(claim=claim, approve=True, reason="", actor=staff_user)
    with pytest.raises(DomainError) as err:  # two approved years are not three
        services.enrolment_register(candidate=cand, program_code="aigc-engineer-senior")
    assert err.value.code == "not_eligible"
    claim = services.eligibility_claim_submit(candidate=cand, program_code="aigc-engineer-senior", work_years=3,
                                              employer="x", description="y", proof=_proof(), proof_name="p.pdf")
    services.eligibility_claim_decide(claim=claim, approve=True, reason="", actor=staff_user)
    assert services.enrolment_register(candidate=cand, program_code="aigc-engineer-senior").eligibility_basis == \
        "work_years:3"


def test_the_junior_certificate_makes_intermediate_eligible(cand):
    Enrolment.objects.create(candidate=cand, program_code="aigc-engineer-junior", state="certified")
    e = services.enrolment_register(candidate=cand, program_code="aigc-engineer-intermediate")
    assert e.eligibility_basis == "certificate:aigc-engineer-junior"


def test_claim_for_a_program_not_open_refused(cand):
    with pytest.raises(DomainError) as err:
        services.eligibility_claim_submit(candidate=cand, program_code="aigc-expert", work_years=5, employer="x",
                                          description="y", proof=_proof(), proof_name="p.pdf")
    assert err.value.code == "not_open"
    assert EligibilityClaim.objects.count() == 0


# ── changing and moving seats ───────────────────────────────────────────────────────────────────────────────
def test_change_moves_the_seat_atomically(booked, am_pm, cand):
    am, pm = am_pm
    [old] = live(booked)
    new = services.booking_change(enrolment=booked, session_code=str(pm.code), actor=cand)
    old.refresh_from_db()
    assert (old.status, old.released_reason) == ("released", "changed")
    assert (new.status, new.kind, new.session_id) == ("confirmed", "first", pm.pk)
    assert new.ticket_number != old.ticket_number and re.fullmatch(r"\d{6}PM\d{6}", new.ticket_number)
    assert live(booked) == [new]
    assert (taken(am), taken(pm)) == (0, 1)
    assert reload(booked).state == "booked"
    [event] = audit_events(action="enrolment.booking_change")
    assert event.data == {"from_session": str(am.code), "to_session": str(pm.code),
                          "from_ticket": old.ticket_number, "to_ticket": new.ticket_number}
    assert kinds(cand).count("session_changed") == 1
    assert new.ticket_number in inbox(cand.pk)[0].body


def test_change_of_a_held_seat_keeps_it_held_for_the_same_order(cand, am_pm, pay):
    am, pm = am_pm
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am.code))
    [old] = live(e)
    new = services.booking_change(enrolment=e, session_code=str(pm.code), actor=cand)
    assert (new.status, new.order_code, new.held_until) == ("held", old.order_code, old.held_until)
    pay(e, billing.DEPOSIT)
    assert reload(e).state == "booked"
    assert live(e)[0].pk == new.pk and live(e)[0].status == "confirmed"


def test_change_into_a_full_session_keeps_the_old_seat(booked, am_pm, cand, make_user, pay):
    am, pm = am_pm
    set_capacity(pm, 1)
    rival = services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL,
                                        session_code=str(pm.code))
    [old] = live(booked)
    with pytest.raises(DomainError) as err:
        services.booking_change(enrolment=booked, session_code=str(pm.code), actor=cand)
    assert err.value.code == "session_full"
    assert live(booked) == [old] and Booking.objects.get(pk=old.pk).status == "confirmed"
    assert (taken(am), taken(pm)) == (1, 1)
    assert audit_events(action="enrolment.booking_change") == []
    assert live(rival)[0].session_id == pm.pk


def test_change_refused_after_booking_closed(booked, am_pm, cand):
    am, pm = am_pm
    close_booking(am)
    with pytest.raises(DomainError) as err:
        services.booking_change(enrolment=booked, session_code=str(pm.code), actor=cand)
    assert err.value.code == "change_closed"
    [seat] = live(booked)
    assert seat.session_id == am.pk and seat.status == "confirmed" and taken(pm) == 0


def test_change_refusals(booked, am_pm, cand):
    am, pm = am_pm
    with pytest.raises(DomainError) as err:
        services.booking_change(enrolment=booked, session_code=str(am.code), actor=cand)
    assert err.value.code == "same_session"
    close_booking(pm)
    with pytest.raises(DomainError) as err:  # the new session must be open too
        services.booking_change(enrolment=booked, session_code=str(pm.code), actor=cand)
    assert err.value.code == "session_closed"
    assert live(booked)[0].session_id == am.pk and Booking.objects.count() == 1
    other = services.enrolment_register(candidate=cand, program_code="aigc-design-pro")
    with pytest.raises(DomainError) as err:
        services.booking_change(enrolment=other, session_code=str(am.code), actor=cand)
    assert err.value.code == "no_seat"


@pytest.fixture
def two_on_am(booked, am_pm, make_user):
    """`booked` holds a confirmed morning seat; a second candidate holds one for an unpaid registration."""
    other = make_user(Role.CANDIDATE)
    held = services.enrolment_register(candidate=other, program_code=GENERAL, session_code=str(am_pm[0].code))
    return booked, held


def test_session_cancel_releases_seats_cancels_and_tells_everyone(two_on_am, am_pm, exam_admin):
    am, pm = am_pm
    enrolments = two_on_am
    old = {b.enrolment_id: b for b in Booking.objects.filter(session_id=am.pk)}
    assert len(old) == 2
    before = {e.candidate_id: len(inbox(e.candidate_id)) for e in enrolments}
    moved = services.session_cancel_and_move(session_code=str(am.code), replacement_code=str(pm.code),
                                             reason="考点停电", actor=exam_admin)
    assert moved == 2
    cancelled = Session().objects.get(pk=am.pk)
    assert cancelled.cancelled_at is not None and cancelled.replacement_id == pm.pk
    assert cancelled.cancel_reason == "考点停电"
    for e in enrolments:
        released = Booking.objects.get(pk=old[e.pk].pk)
        assert (released.status, released.released_reason) == ("released", "session_cancelled")
        assert len(inbox(e.candidate_id)) == before[e.candidate_id] + 1
        message = inbox(e.candidate_id)[0]
        assert message.kind == "session_changed" and "考点停电" in message.body
        assert Booking.objects.filter(enrolment=e, session_id=pm.pk).count() == 1
    assert taken(am) == 0
    moves = audit_events(action="enrolment.booking_move")
    assert sorted(ev.data["from_ticket"] for ev in moves) == sorted(b.ticket_number for b in old.values())
    assert {ev.data["to_session"] for ev in moves} == {str(pm.code)}
    assert reload(enrolments[0]).state == "booked" and reload(enrolments[1]).state == "registered"


def test_session_cancel_moves_candidates_to_the_replacement(two_on_am, am_pm, exam_admin, pay):
    am, pm = am_pm
    booked, held = two_on_am
    old = {b.enrolment_id: b for b in Booking.objects.filter(session_id=am.pk)}
    services.session_cancel_and_move(session_code=str(am.code), replacement_code=str(pm.code), reason="考点停电",
                                     actor=exam_admin)
    for e in (booked, held):
        [seat] = live(e)
        assert seat.session_id == pm.pk and seat.status == old[e.pk].status
        assert seat.order_code == old[e.pk].order_code and seat.kind == old[e.pk].kind
        assert seat.ticket_number in inbox(e.candidate_id)[0].body
    assert (taken(am), taken(pm)) == (0, 2)
    # The moved hold is still confirmed by paying its order.
    pay(held, billing.DEPOSIT)
    assert reload(held).state == "booked" and live(held)[0].status == "confirmed"


def test_session_cancel_refused_when_the_replacement_is_short_of_seats(booked, am_pm, make_user, exam_admin):
    am, pm = am_pm
    services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL, session_code=str(am.code))
    services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL, session_code=str(pm.code))
    set_capacity(pm, 2)  # one seat free, two needed
    snapshot = sorted(Booking.objects.values_list("pk", "session_id", "status"))
    messages = sum(len(inbox(e.candidate_id)) for e in Enrolment.objects.all())
    with pytest.raises(DomainError) as err:
        services.session_cancel_and_move(session_code=str(am.code), replacement_code=str(pm.code), reason="停电",
                                         actor=exam_admin)
    assert err.value.field == "replacement"
    assert Session().objects.get(pk=am.pk).cancelled_at is None
    assert sorted(Booking.objects.values_list("pk", "session_id", "status")) == snapshot
    assert sum(len(inbox(e.candidate_id)) for e in Enrolment.objects.all()) == messages
    assert audit_events(action="exams.session_cancel") == [] and audit_events(action="enrolment.booking_move") == []


def test_session_cancel_needs_a_replacement_when_seats_are_booked(booked, am_pm, exam_admin):
    am = am_pm[0]
    with pytest.raises(DomainError) as err:
        services.session_cancel_and_move(session_code=str(am.code), replacement_code=None, reason="停电",
                                         actor=exam_admin)
    assert err.value.field == "replacement"
    assert Session().objects.get(pk=am.pk).cancelled_at is None
    assert live(booked)[0].session_id == am.pk


def test_session_cancel_without_seats_needs_no_replacement(am_pm, exam_admin):
    am = am_pm[0]
    assert services.session_cancel_and_move(session_code=str(am.code), replacement_code=None, reason="停电",
                                            actor=exam_admin) == 0
    assert Session().objects.get(pk=am.pk).cancelled_at is not None


def test_session_cancel_to_another_programs_session_refused(booked, am_pm, make_sessions, exam_admin):
    [pro_am, _] = make_sessions("aigc-design-pro")
    with pytest.raises(DomainError) as err:
        services.session_cancel_and_move(session_code=str(am_pm[0].code), replacement_code=str(pro_am.code),
                                         reason="停电", actor=exam_admin)
    assert err.value.field == "replacement"
    assert live(booked)[0].session_id == am_pm[0].pk


# ── orders closing and refunds ──────────────────────────────────────────────────────────────────────────────
def test_order_expiry_releases_the_held_seat(cand, am_pm, make_user, pay):
    am = am_pm[0]
    set_capacity(am, 1)
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am.code))
    [held] = live(e)
    Order().objects.filter(code=held.order_code).update(expires_at=now() - timedelta(seconds=1))
    assert billing.orders_expire() == 1
    held.refresh_from_db()
    assert (held.status, held.released_reason) == ("released", "order_closed")
    assert reload(e).state == "registered" and taken(am) == 0
    [release] = audit_events(action="enrolment.seat_release")
    assert release.data["ticket"] == held.ticket_number
    # The freed seat is someone else's to take.
    rival = services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL,
                                        session_code=str(am.code))
    assert live(rival)[0].status == "held"
    # A late payment of the expired order still moves the enrolment on, without a seat.
    order = billing.order_get(held.order_code)
    assert order.status == "expired"
    pay_late = billing.offline_payment_confirm(order_code=order.code, bank_ref="LATE-1", amount_fen=order.total_fen,
                                               actor=make_user(Role.FINANCE))
    assert pay_late.paid
    assert reload(e).state == "deposit_paid" and live(e) == []
    assert assert_books() == {"cash:offline": 49800, "revenue:deposit": -49800}


def test_deposit_order_reissued_after_expiry(cand, am_pm, pay):
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am_pm[0].code))
    with pytest.raises(DomainError) as err:
        services.enrolment_order_reissue(enrolment=e, actor=cand)
    assert err.value.code == "order_open"
    first = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    Order().objects.filter(code=first.code).update(expires_at=now() - timedelta(seconds=1))
    billing.orders_expire()
    services.enrolment_order_reissue(enrolment=e, actor=cand)
    second = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    assert second.code != first.code and second.pending and second.total_fen == 49800
    assert live(e) == []  # the seat went with the expired order
    [event] = audit_events(action="enrolment.order_reissue")
    assert event.data == {"order": second.number}
    pay(e, billing.DEPOSIT)
    assert reload(e).state == "deposit_paid"
    with pytest.raises(DomainError) as err:
        services.enrolment_order_reissue(enrolment=reload(e), actor=cand)
    assert err.value.code == "bad_state"


def test_late_payment_of_a_replaced_deposit_order_is_owed_back(cand, pay, fin):
    e = services.enrolment_register(candidate=cand, program_code=GENERAL)
    first = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    Order().objects.filter(code=first.code).update(expires_at=now() - timedelta(seconds=1))
    billing.orders_expire()
    services.enrolment_order_reissue(enrolment=e, actor=cand)
    pay(e, billing.DEPOSIT)
    billing.offline_payment_confirm(order_code=first.code, bank_ref="LATE-1", amount_fen=49800, actor=fin)
    assert reload(e).state == "deposit_paid"
    trial = assert_books()
    assert trial["revenue:deposit"] == -49800
    assert apps.get_model("billing", "Refund").objects.filter(status="pending").count() == 1


def test_partner_free_deposit_confirms_the_held_seat_at_once(cand, am_pm, staff_user):
    org = orgs.org_create(slug="free-deposit", name="免首款机构", actor=staff_user)
    orgs.org_price_set(org_pk=org.pk, program_code=GENERAL, deposit_fen=0, balance_fen=30000, retake_fee_fen=19900,
                       actor=staff_user)
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, org_pk=org.pk,
                                    session_code=str(am_pm[0].code))
    deposit = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    assert deposit.paid and deposit.paid_with == "none" and deposit.total_fen == 0
    assert e.state == "booked" and live(e)[0].status == "confirmed"
    assert transitions(e) == [("registered", "deposit_paid"), ("deposit_paid", "booked")]
    assert assert_books() == {}


def test_cancelled_order_releases_the_held_seat(cand, am_pm):
    am = am_pm[0]
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am.code))
    billing.order_cancel(code=live(e)[0].order_code, actor=cand)
    assert live(e) == [] and taken(am) == 0


def test_late_payment_of_a_lapsed_hold_does_not_overbook(cand, am_pm, make_user, pay):
    am = am_pm[0]
    set_capacity(am, 1)
    slow = services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am.code))
    order_code = live(slow)[0].order_code
    Booking.objects.filter(enrolment=slow).update(held_until=now() - timedelta(seconds=1))
    Order().objects.filter(code=order_code).update(expires_at=now() - timedelta(seconds=1))
    # Before the expiry job runs, someone else takes the seat that no longer counts as held.
    quick = services.enrolment_register(candidate=make_user(Role.CANDIDATE), program_code=GENERAL)
    pay(quick, billing.DEPOSIT)
    services.booking_create(enrolment=reload(quick), session_code=str(am.code), actor=quick.candidate)
    pay(slow, billing.DEPOSIT)
    assert Booking.objects.filter(session_id=am.pk, status="confirmed").count() == 1
    assert live(quick)[0].status == "confirmed"
    # The late payer keeps the deposit (and its unlocks) but must choose another session.
    slow = reload(slow)
    assert slow.state == "deposit_paid" and live(slow) == []
    assert Booking.objects.get(enrolment=slow).released_reason == "hold_lapsed"
    assert api.enrolment_get(str(slow.code)).next_step == "book"
    assert inbox(cand.pk)[0].kind == "booking"


def test_late_payment_of_a_lapsed_hold_keeps_the_seat_while_one_is_free(cand, am_pm, pay):
    am = am_pm[0]
    e = services.enrolment_register(candidate=cand, program_code=GENERAL, session_code=str(am.code))
    Booking.objects.filter(enrolment=e).update(held_until=now() - timedelta(seconds=1))
    pay(e, billing.DEPOSIT)
    assert reload(e).state == "booked" and live(e)[0].status == "confirmed"


def _refund_event(e: Enrolment):
    """What billing publishes when finance refunds a deposit (billing.api has no refund entry point)."""
    order = billing.order_for_subject(str(e.code), billing.DEPOSIT, statuses=("paid",))
    outbox_publish(topic="billing.order_refunded", payload={
        "order": order.code, "number": order.number, "purpose": order.purpose, "program_code": order.program_code,
        "subject": order.subject, "user_id": order.user_id, "org_pk": order.org_pk, "status": "refunded"})


def test_deposit_refund_withdraws_and_frees_the_seat(booked, am_pm, cand):
    _refund_event(booked)
    e = reload(booked)
    assert e.state == "withdrawn" and live(e) == [] and taken(am_pm[0]) == 0
    assert Booking.objects.get(enrolment=e).released_reason == "withdrawn"
    [last] = audit_events(action="enrolment.transition", target=e)[:1]
    assert last.data["from"] == "booked" and last.data["to"] == "withdrawn" and last.data["reason"] == "refund"
    assert not api.program_unlocked(cand, GENERAL)
    assert api.enrolments_of(cand) == []
    # Withdrawn is final for this enrolment, but the candidate may register again.
    _refund_event(booked)
    assert transitions(e).count(("booked", "withdrawn")) == 1
    again = services.enrolment_register(candidate=cand, program_code=GENERAL)
    assert again.pk != e.pk and again.state == "registered"


def test_refund_after_the_exam_does_not_withdraw(booked):
    api.enrolment_mark_sat(enrolment_code=str(booked.code))
    _refund_event(booked)
    assert reload(booked).state == "sat"


# ── what the candidate sees ─────────────────────────────────────────────────────────────────────────────────
def test_enrolments_of(cand, booked, am_pm):
    services.enrolment_register(candidate=cand, program_code="aigc-design-pro")
    views = {v.program_code: v for v in api.enrolments_of(cand)}
    assert set(views) == {GENERAL, "aigc-design-pro"}
    assert views[GENERAL].state == "booked" and views[GENERAL].booking.session.code == str(am_pm[0].code)
    assert views["aigc-design-pro"].pending_order.total_fen == 399900
    assert views["aigc-design-pro"].next_step == "pay_deposit"
