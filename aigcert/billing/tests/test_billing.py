"""Billing against the database: orders priced from the catalog or a partner's list, payments credited exactly
once, duplicates owed back, seat codes, refunds, and books that balance after every single operation."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from aigcert.accounts.api import Role
from aigcert.billing import api, rules, services
from aigcert.billing.models import LedgerEntry, Order, Payment, Provider, Refund, Voucher
from aigcert.catalog import api as catalog_api
from aigcert.core.api import DomainError, NotFound, audit_events, now
from aigcert.orgs import api as orgs


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
def books(expected: dict[str, int] | None = None) -> dict[str, int]:
    """The ledger balances (every posting and the whole); with `expected`, the non-zero trial balance is exact."""
    check = api.ledger_check()
    assert check.balanced, check
    assert check.total_fen == 0
    assert check.unbalanced_postings == ()
    trial = {account: total for account, total in check.trial_balance.items() if total}
    if expected is not None:
        assert trial == expected
    return trial


def order(user, purpose=rules.DEPOSIT, program="aigc-general", **kwargs) -> Order:
    return services.order_create(user=user, purpose=purpose, program_code=program, **kwargs)


def capture(o: Order, ref: str, provider=Provider.ALIPAY, amount=None, **kwargs):
    return services.payment_capture(order_number=o.number, provider=provider, provider_ref=ref,
                                    amount_fen=o.total_fen if amount is None else amount, **kwargs)


def reload(o: Order) -> Order:
    return Order.objects.get(pk=o.pk)


@pytest.fixture
def buyer(catalog, candidate):
    return candidate


@pytest.fixture
def fin(make_user):
    return make_user(Role.FINANCE)


@pytest.fixture
def org(catalog, staff_user):
    return orgs.org_create(slug="bj-edu", name="北京某教育", actor=staff_user)


# ── pricing ─────────────────────────────────────────────────────────────────────────────────────────────────
# The seed's fee schedule (yuan): 通用级 498 + 300, retake 199 with the first retake free; 专业级 3999 + 681;
# 导师级 6980 + 1000.
SEED_FEES = {
    "aigc-general": (49800, 30000, 19900, 1, 79800),
    "aigc-professional": (399900, 68100, 19900, 1, 468000),
    "aigc-design-pro": (399900, 68100, 19900, 1, 468000),
    "aigc-anime-pro": (399900, 68100, 19900, 1, 468000),
    "aigc-mentor": (698000, 100000, 19900, 1, 798000),
}


@pytest.mark.parametrize("program_code", sorted(SEED_FEES))
def test_fee_schedule_loaded_from_the_seed(catalog, program_code):
    fees = catalog_api.program_get(program_code).fees
    assert (fees.deposit_fen, fees.balance_fen, fees.retake_fee_fen, fees.free_retakes, fees.total_fen) == \
        SEED_FEES[program_code]
    assert fees.deposit_fen + fees.balance_fen == fees.total_fen


@pytest.mark.parametrize("program_code", sorted(SEED_FEES))
@pytest.mark.parametrize(("purpose", "field"), [(rules.DEPOSIT, "deposit_fen"), (rules.BALANCE, "balance_fen"),
                                                (rules.RETAKE, "retake_fee_fen")])
def test_order_priced_from_the_catalog(buyer, program_code, purpose, field):
    fees = catalog_api.program_get(program_code).fees
    before = now()
    o = order(buyer, purpose, program_code, subject="E-1")
    assert o.total_fen == getattr(fees, field)
    assert o.status == Order.Status.PENDING and o.purpose == purpose and o.program_code == program_code
    assert o.subject == "E-1" and o.user == buyer and o.organization_id is None
    assert rules.ORDER_NUMBER_RE.match(o.number)
    if purpose == rules.BALANCE:
        assert o.expires_at is None  # owed once passed, payable whenever the candidate is ready
    else:
        assert before + timedelta(hours=settings.PAYMENT_WINDOW_HOURS) <= o.expires_at <= \
            now() + timedelta(hours=settings.PAYMENT_WINDOW_HOURS)
    [line] = o.lines.all()
    assert (line.quantity, line.unit_fen, line.amount_fen, line.price_source) == (1, o.total_fen, o.total_fen,
                                                                                  "catalog")
    assert api.order_price_fen(purpose=purpose, program_code=program_code) == o.total_fen
    books({})


def test_general_orders_are_498_300_199(buyer):
    assert [order(buyer, p).total_fen for p in (rules.DEPOSIT, rules.BALANCE, rules.RETAKE)] == [49800, 30000, 19900]


def test_order_create_audited(buyer):
    o = order(buyer, subject="E-9")
    [event] = audit_events(action="billing.order_create")
    assert event.actor_id == buyer.pk and event.target_id == str(o.pk)
    assert event.data == {"number": o.number, "purpose": "deposit", "program": "aigc-general", "total_fen": 49800,
                          "price_source": "catalog", "quantity": 1, "subject": "E-9"}


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"purpose": "donation"}, "bad_purpose"),
    ({"quantity": 2}, "bad_quantity"),
    ({"quantity": 0}, "bad_quantity"),
    ({"purpose": rules.VOUCHER_BATCH, "quantity": services.MAX_VOUCHERS_PER_ORDER + 1}, "bad_quantity"),
    ({"program": "aigc-nope"}, "unknown_program"),
    ({"program": "aigc-expert"}, "no_fees"),  # 专家级: fees still to be announced
])
def test_order_create_refusals_create_nothing(buyer, kwargs, code):
    with pytest.raises(DomainError) as err:
        order(buyer, **kwargs)
    assert err.value.code == code
    assert Order.objects.count() == 0
    assert audit_events(action="billing.order_create") == []


def test_org_price_replaces_the_official_price(buyer, org, staff_user):
    orgs.org_price_set(org_pk=org.pk, program_code="aigc-general", deposit_fen=40000, balance_fen=25000,
                       retake_fee_fen=15000, actor=staff_user)
    for purpose, total in [(rules.DEPOSIT, 40000), (rules.BALANCE, 25000), (rules.RETAKE, 15000),
                           (rules.VOUCHER_BATCH, 40000)]:
        o = order(buyer, purpose, org_pk=org.pk)
        assert o.total_fen == total and o.organization_id == org.pk
        assert o.lines.get().price_source == "org:bj-edu"
        assert api.order_price_fen(purpose=purpose, program_code="aigc-general", org_pk=org.pk) == total
    # Other programs of the same partner, without a price list entry, keep the official price.
    o = order(buyer, rules.DEPOSIT, "aigc-design-pro", org_pk=org.pk)
    assert o.total_fen == 399900 and o.lines.get().price_source == "catalog"
    assert o.organization_id == org.pk


def test_org_without_a_price_list_pays_the_official_price(buyer, org):
    o = order(buyer, org_pk=org.pk)
    assert o.total_fen == 49800 and o.lines.get().price_source == "catalog"


def test_org_price_of_nothing_settles_the_order_without_money(buyer, org, staff_user):
    orgs.org_price_set(org_pk=org.pk, program_code="aigc-general", deposit_fen=0, balance_fen=0,
                       retake_fee_fen=0, actor=staff_user)
    o = order(buyer, org_pk=org.pk)
    assert (o.status, o.paid_with, o.total_fen) == (Order.Status.PAID, Provider.NONE, 0)
    assert o.paid_at is not None
    assert Payment.objects.count() == 0
    books({})


# ── capturing payments ──────────────────────────────────────────────────────────────────────────────────────
def test_payment_capture_credits_once_and_a_replay_changes_nothing(buyer):
    o = order(buyer)
    first = capture(o, "ALI-1", raw={"trade_no": "ALI-1"})
    assert first.created and not first.duplicate
    paid = reload(o)
    assert (paid.status, paid.paid_with) == (Order.Status.PAID, Provider.ALIPAY) and paid.paid_at is not None
    assert first.payment.raw == {"trade_no": "ALI-1"} and first.payment.amount_fen == 49800
    after_first = books({"cash:alipay": 49800, "revenue:deposit": -49800})
    entries = list(LedgerEntry.objects.values_list("pk", "account", "amount_fen"))
    assert len(entries) == 2

    for _ in range(2):
        again = capture(o, "ALI-1")
        assert not again.created and not again.duplicate
        assert again.payment.pk == first.payment.pk
        assert books() == after_first
    assert Payment.objects.count() == 1
    assert list(LedgerEntry.objects.values_list("pk", "account", "amount_fen")) == entries
    assert Refund.objects.count() == 0
    assert reload(o).paid_at == paid.paid_at
    assert len(audit_events(action="billing.payment_capture")) == 1


def test_replay_is_recognised_even_with_a_wrong_amount_or_order(buyer):
    """The provider reference alone identifies the money: a replayed notification never credits again."""
    o, other = order(buyer), order(buyer, rules.BALANCE)
    capture(o, "ALI-1")
    again = services.payment_capture(order_number=other.number, provider=Provider.ALIPAY, provider_ref="ALI-1",
                                     amount_fen=30000)
    assert not again.created and again.payment.order_id == o.pk
    assert reload(other).status == Order.Status.PENDING
    books({"cash:alipay": 49800, "revenue:deposit": -49800})


def test_same_reference_at_another_provider_is_another_payment(buyer):
    a, b = order(buyer), order(buyer, rules.BALANCE)
    capture(a, "REF-1", Provider.ALIPAY)
    result = capture(b, "REF-1", Provider.WECHAT)
    assert result.created and reload(b).status == Order.Status.PAID
    books({"cash:alipay": 49800, "cash:wechat": 30000, "revenue:deposit": -49800, "revenue:balance": -30000})


def test_late_payment_after_expiry_is_still_credited_once(buyer):
    o = order(buyer)
    Order.objects.filter(pk=o.pk).update(expires_at=now() - timedelta(minutes=1))
    assert api.orders_expire() == 1
    assert reload(o).status == Order.Status.EXPIRED
    assert api.orders_expire() == 0
    books({})
    result = capture(o, "WX-1", Provider.WECHAT)
    assert result.created and not result.duplicate
    assert reload(o).status == Order.Status.PAID
    books({"cash:wechat": 49800, "revenue:deposit": -49800})
    assert not capture(o, "WX-1", Provider.WECHAT).created
    assert Payment.objects.count() == 1
    books({"cash:wechat": 49800, "revenue:deposit": -49800})


@pytest.mark.parametrize("purpose", [rules.DEPOSIT, rules.BALANCE])
def test_late_payment_of_an_order_already_replaced_and_paid_is_owed_back(buyer, purpose):
    """A deposit or balance is owed once per subject: money for the expired order after its replacement was paid
    is a duplicate, however the two orders are numbered."""
    first = order(buyer, purpose, subject="E-7")
    Order.objects.filter(pk=first.pk).update(expires_at=now() - timedelta(seconds=1), status=Order.Status.EXPIRED)
    second = order(buyer, purpose, subject="E-7")
    capture(second, "ALI-2")
    late = capture(first, "ALI-1")
    assert late.created and late.duplicate
    assert reload(first).status == Order.Status.EXPIRED
    assert Refund.objects.get().payment == late.payment
    total = first.total_fen
    books({"cash:alipay": 2 * total, f"revenue:{purpose}": -total, "liability:overpayments": -total})


def test_each_paid_retake_order_of_a_subject_is_revenue(buyer):
    first, second = order(buyer, rules.RETAKE, subject="E-8"), order(buyer, rules.RETAKE, subject="E-8")
    assert not capture(first, "ALI-1").duplicate
    assert not capture(second, "ALI-2").duplicate
    books({"cash:alipay": 39800, "revenue:retake": -39800})


def test_orders_without_a_subject_are_independent(buyer):
    first, second = order(buyer), order(buyer)
    capture(first, "ALI-1")
    assert not capture(second, "ALI-2").duplicate
    books({"cash:alipay": 99600, "revenue:deposit": -99600})


def test_payment_for_a_cancelled_order_is_credited(buyer):
    o = order(buyer)
    assert api.order_cancel(code=str(o.code), actor=buyer).status == "cancelled"
    result = capture(o, "ALI-9")
    assert result.created and not result.duplicate and reload(o).status == Order.Status.PAID
    books({"cash:alipay": 49800, "revenue:deposit": -49800})


def test_notifications_out_of_order(buyer):
    """Two orders paid in one order, reported in the other; then the second payment of one order arrives before
    the first is re-reported: whichever comes first credits, the other is owed back."""
    a, b = order(buyer), order(buyer, rules.BALANCE)
    capture(b, "B-1")
    books({"cash:alipay": 30000, "revenue:balance": -30000})
    capture(a, "A-2")
    books({"cash:alipay": 79800, "revenue:balance": -30000, "revenue:deposit": -49800})
    late = capture(a, "A-1")
    assert late.created and late.duplicate
    assert capture(a, "A-2").created is False
    assert Payment.objects.filter(order=a).count() == 2
    books({"cash:alipay": 129600, "revenue:balance": -30000, "revenue:deposit": -49800,
           "liability:overpayments": -49800})


@pytest.mark.parametrize("amount", [49799, 49801, 0, 4980000])
def test_tampered_amount_is_refused_and_nothing_is_created(buyer, amount):
    o = order(buyer)
    with pytest.raises(DomainError) as err:
        capture(o, "ALI-1", amount=amount)
    assert err.value.code == "amount_mismatch"
    assert "498" in str(err.value)
    assert reload(o).status == Order.Status.PENDING
    assert Payment.objects.count() == 0 and LedgerEntry.objects.count() == 0 and Refund.objects.count() == 0
    assert audit_events(action="billing.payment_capture") == []
    # The real notification with the same reference still goes through afterwards.
    assert capture(o, "ALI-1").created
    books({"cash:alipay": 49800, "revenue:deposit": -49800})


@pytest.mark.parametrize(("provider", "number", "code"), [
    (Provider.VOUCHER, None, "bad_provider"), (Provider.NONE, None, "bad_provider"),
    ("paypal", None, "bad_provider"), (Provider.ALIPAY, "AC250101XXXXXX", "unknown_order"),
])
def test_capture_refusals(buyer, provider, number, code):
    o = order(buyer)
    with pytest.raises(DomainError) as err:
        services.payment_capture(order_number=number or o.number, provider=provider, provider_ref="R",
                                 amount_fen=49800)
    assert err.value.code == code
    assert Payment.objects.count() == 0
    books({})


def test_second_payment_for_a_paid_order_is_a_duplicate_owed_back(buyer, fin):
    o = order(buyer)
    capture(o, "ALI-1")
    paid = reload(o)
    second = capture(o, "WX-7", Provider.WECHAT)
    assert second.created and second.duplicate and second.payment.duplicate
    refund = Refund.objects.get()
    assert refund.payment == second.payment and refund.amount_fen == 49800
    assert refund.status == Refund.Status.PENDING and refund.requested_by is None
    # The order was paid once: status, provider and time unchanged; revenue unchanged.
    now_order = reload(o)
    assert (now_order.status, now_order.paid_with, now_order.paid_at) == (Order.Status.PAID, Provider.ALIPAY,
                                                                         paid.paid_at)
    books({"cash:alipay": 49800, "cash:wechat": 49800, "revenue:deposit": -49800,
           "liability:overpayments": -49800})
    [request] = audit_events(action="billing.refund_request")
    assert request.data["reason"] == "duplicate" and request.data["amount_fen"] == 49800
    # The replay of the duplicate changes nothing either.
    assert not capture(o, "WX-7", Provider.WECHAT).created
    assert Refund.objects.count() == 1

    services.refund_complete(refund=refund, actor=fin)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.COMPLETED and refund.completed_by == fin and refund.completed_at
    assert Payment.objects.get(pk=second.payment.pk).status == Payment.Status.REFUNDED
    assert Payment.objects.get(pk=paid.payments.get(duplicate=False).pk).status == Payment.Status.CAPTURED
    books({"cash:alipay": 49800, "revenue:deposit": -49800})
    assert reload(o).status == Order.Status.PAID
    with pytest.raises(DomainError) as err:
        services.refund_complete(refund=refund, actor=fin)
    assert err.value.code == "refund_done"
    books({"cash:alipay": 49800, "revenue:deposit": -49800})


def test_capture_that_loses_the_insert_race_changes_nothing(buyer, monkeypatch):
    """The same notification delivered twice at once: the second passes the first lookup before the first commits,
    then hits the unique (provider, provider_ref) constraint. Simulated by hiding the first lookup."""
    o = order(buyer)
    first = capture(o, "ALI-1")
    real_filter = Payment.objects.filter
    calls = []

    def hide_once(*args, **kwargs):
        calls.append(kwargs)
        return Payment.objects.none() if len(calls) == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(Payment.objects, "filter", hide_once)
    result = capture(o, "ALI-1")
    monkeypatch.undo()
    assert calls and not result.created and result.payment.pk == first.payment.pk
    assert Payment.objects.count() == 1 and Refund.objects.count() == 0
    books({"cash:alipay": 49800, "revenue:deposit": -49800})


def test_capture_that_loses_the_insert_race_reports_the_payments_own_duplicate_flag(buyer, monkeypatch):
    o = order(buyer)
    capture(o, "ALI-1")
    real_filter = Payment.objects.filter
    calls = []

    def hide_once(*args, **kwargs):
        calls.append(kwargs)
        return Payment.objects.none() if len(calls) == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(Payment.objects, "filter", hide_once)
    result = capture(o, "ALI-1")
    monkeypatch.undo()
    assert result.duplicate is result.payment.duplicate is False


def test_order_number_carries_the_local_date(buyer, monkeypatch):
    # 2025-01-04 23:30 UTC is 2025-01-05 07:30 in Beijing: a morning order should not be dated the day before.
    monkeypatch.setattr(services, "now", lambda: datetime(2025, 1, 4, 23, 30, tzinfo=UTC))
    o = order(buyer)
    assert o.number.startswith("AC250105")


# ── offline transfers (the finance desk) ────────────────────────────────────────────────────────────────────
def test_offline_payment_confirm(buyer, fin):
    o = order(buyer)
    data = api.offline_payment_confirm(order_code=str(o.code), bank_ref="  ICBC-0001 ", amount_fen=49800, actor=fin)
    assert data.paid and data.paid_with == "offline" and data.total_fen == 49800
    payment = Payment.objects.get()
    assert (payment.provider, payment.provider_ref, payment.confirmed_by) == ("offline", "ICBC-0001", fin)
    books({"cash:offline": 49800, "revenue:deposit": -49800})
    [event] = audit_events(action="billing.payment_capture")
    assert event.actor_id == fin.pk and event.data["provider_ref"] == "ICBC-0001"


def test_offline_confirm_refuses_a_paid_order(buyer, fin):
    o = order(buyer)
    api.offline_payment_confirm(order_code=str(o.code), bank_ref="ICBC-1", amount_fen=49800, actor=fin)
    with pytest.raises(DomainError) as err:
        api.offline_payment_confirm(order_code=str(o.code), bank_ref="ICBC-2", amount_fen=49800, actor=fin)
    assert err.value.code == "already_paid"
    assert Payment.objects.count() == 1 and Refund.objects.count() == 0
    books({"cash:offline": 49800, "revenue:deposit": -49800})


def test_offline_confirm_refuses_a_reused_bank_reference(buyer, fin):
    a, b = order(buyer), order(buyer, rules.BALANCE)
    api.offline_payment_confirm(order_code=str(a.code), bank_ref="ICBC-1", amount_fen=49800, actor=fin)
    with pytest.raises(DomainError) as err:
        api.offline_payment_confirm(order_code=str(b.code), bank_ref="ICBC-1", amount_fen=30000, actor=fin)
    assert err.value.code == "bank_ref_used" and err.value.field == "bank_ref"
    assert a.number in str(err.value)
    assert reload(b).status == Order.Status.PENDING and Payment.objects.count() == 1
    books({"cash:offline": 49800, "revenue:deposit": -49800})


@pytest.mark.parametrize("ref", ["", "   ", None])
def test_offline_confirm_needs_a_bank_reference(buyer, fin, ref):
    o = order(buyer)
    with pytest.raises(DomainError) as err:
        api.offline_payment_confirm(order_code=str(o.code), bank_ref=ref, amount_fen=49800, actor=fin)
    assert err.value.code == "bank_ref"
    assert Payment.objects.count() == 0
    books({})


def test_offline_confirm_wrong_amount_and_unknown_order(buyer, fin):
    o = order(buyer)
    with pytest.raises(DomainError) as err:
        api.offline_payment_confirm(order_code=str(o.code), bank_ref="ICBC-1", amount_fen=30000, actor=fin)
    assert err.value.code == "amount_mismatch"
    with pytest.raises(NotFound):
        api.offline_payment_confirm(order_code="00000000-0000-0000-0000-000000000000", bank_ref="ICBC-1",
                                    amount_fen=49800, actor=fin)
    books({})


# ── prepaid seat codes ──────────────────────────────────────────────────────────────────────────────────────
def _batch(buyer, org, fin, quantity=3, program="aigc-general", ref="ICBC-B1"):
    o = order(buyer, rules.VOUCHER_BATCH, program, org_pk=org.pk, quantity=quantity)
    api.offline_payment_confirm(order_code=str(o.code), bank_ref=ref, amount_fen=o.total_fen, actor=fin)
    return reload(o)


def test_voucher_batch_paid_issues_the_codes(buyer, org, fin):
    o = order(buyer, rules.VOUCHER_BATCH, org_pk=org.pk, quantity=3)
    assert o.total_fen == 3 * 49800
    line = o.lines.get()
    assert (line.quantity, line.unit_fen, line.amount_fen) == (3, 49800, 149400)
    assert Voucher.objects.count() == 0  # nothing before the money
    books({})
    api.offline_payment_confirm(order_code=str(o.code), bank_ref="ICBC-B1", amount_fen=149400, actor=fin)
    vouchers = list(Voucher.objects.all())
    assert len(vouchers) == 3 and len({v.code_text for v in vouchers}) == 3
    for v in vouchers:
        assert (v.value_fen, v.program_code, v.organization_id, v.batch_order_id) == (49800, "aigc-general",
                                                                                    org.pk, o.pk)
        assert rules.voucher_code_normalize(v.code_text) == v.code_text
        assert v.redeemed_at is None and v.redeemed_order_id is None
        assert v.expires_at - now() > timedelta(days=settings.VOUCHER_VALID_DAYS - 1)
    books({"cash:offline": 149400, "liability:vouchers": -149400})
    listed = api.vouchers_of_org(org.pk)
    assert {v.code_text for v in listed} == {v.code_text for v in vouchers}
    assert all(v.redeemed_order_number is None for v in listed)


def test_voucher_batch_at_org_price(buyer, org, fin, staff_user):
    orgs.org_price_set(org_pk=org.pk, program_code="aigc-general", deposit_fen=40000, balance_fen=30000,
                       retake_fee_fen=19900, actor=staff_user)
    o = _batch(buyer, org, fin, quantity=2)
    assert o.total_fen == 80000
    assert set(Voucher.objects.values_list("value_fen", flat=True)) == {40000}
    books({"cash:offline": 80000, "liability:vouchers": -80000})


def test_voucher_redeem_settles_a_deposit_once(buyer, org, fin, make_user):
    _batch(buyer, org, fin, quantity=2)
    books({"cash:offline": 99600, "liability:vouchers": -99600})
    voucher = Voucher.objects.order_by("pk").first()
    student = make_user(Role.CANDIDATE)
    deposit = order(student, subject="E-1")
    typed = voucher.code_text.replace("-", " ").lower()
    data = api.voucher_redeem_for(order_code=str(deposit.code), voucher_code=typed, actor=student)
    assert data.paid and data.paid_with == "voucher"
    voucher.refresh_from_db()
    assert voucher.redeemed_order_id == deposit.pk and voucher.redeemed_at is not None
    payment = Payment.objects.get(order=deposit)
    assert (payment.provider, payment.provider_ref, payment.amount_fen) == ("voucher", voucher.code_text, 49800)
    books({"cash:offline": 99600, "liability:vouchers": -49800, "revenue:deposit": -49800})
    [listed] = [v for v in api.vouchers_of_org(org.pk) if v.code_text == voucher.code_text]
    assert listed.redeemed_order_number == deposit.number and listed.redeemed_by_user_id == student.pk

    # Single use: the same code for another deposit order is refused, nothing moves.
    other = order(make_user(Role.CANDIDATE))
    with pytest.raises(DomainError) as err:
        api.voucher_redeem_for(order_code=str(other.code), voucher_code=voucher.code_text, actor=student)
    assert err.value.code == "voucher_invalid"
    assert reload(other).status == Order.Status.PENDING
    books({"cash:offline": 99600, "liability:vouchers": -49800, "revenue:deposit": -49800})
    # And a paid order can't take a second code.
    second = Voucher.objects.exclude(pk=voucher.pk).get()
    with pytest.raises(DomainError) as err:
        api.voucher_redeem_for(order_code=str(deposit.code), voucher_code=second.code_text, actor=student)
    assert err.value.code == "voucher_not_applicable"
    assert Voucher.objects.get(pk=second.pk).redeemed_at is None


def test_voucher_bought_at_org_price_books_a_discount(buyer, org, fin, staff_user):
    orgs.org_price_set(org_pk=org.pk, program_code="aigc-general", deposit_fen=40000, balance_fen=30000,
                       retake_fee_fen=19900, actor=staff_user)
    _batch(buyer, org, fin, quantity=1)
    deposit = order(buyer)  # an official-price order
    assert deposit.total_fen == 49800
    services.voucher_redeem(order=deposit, code=Voucher.objects.get().code_text, actor=buyer)
    assert reload(deposit).status == Order.Status.PAID
    books({"cash:offline": 40000, "revenue:deposit": -49800, "expense:voucher-discount": 9800})


def test_voucher_expired_refused(buyer, org, fin):
    _batch(buyer, org, fin, quantity=1)
    voucher = Voucher.objects.get()
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=now() - timedelta(seconds=1))
    deposit = order(buyer)
    with pytest.raises(DomainError) as err:
        services.voucher_redeem(order=deposit, code=voucher.code_text, actor=buyer)
    assert err.value.code == "voucher_invalid"
    assert reload(deposit).status == Order.Status.PENDING
    assert Voucher.objects.get().redeemed_at is None
    books({"cash:offline": 49800, "liability:vouchers": -49800})


def test_voucher_for_another_program_refused(buyer, org, fin):
    _batch(buyer, org, fin, quantity=1)
    deposit = order(buyer, program="aigc-design-pro")
    with pytest.raises(DomainError) as err:
        services.voucher_redeem(order=deposit, code=Voucher.objects.get().code_text, actor=buyer)
    assert err.value.code == "voucher_invalid"
    assert Voucher.objects.get().redeemed_at is None
    books({"cash:offline": 49800, "liability:vouchers": -49800})


@pytest.mark.parametrize("purpose", [rules.BALANCE, rules.RETAKE, rules.VOUCHER_BATCH])
def test_voucher_only_pays_a_deposit(buyer, org, fin, purpose):
    _batch(buyer, org, fin, quantity=1)
    o = order(buyer, purpose)
    with pytest.raises(DomainError) as err:
        services.voucher_redeem(order=o, code=Voucher.objects.get().code_text, actor=buyer)
    assert err.value.code == "voucher_not_applicable"
    assert Voucher.objects.get().redeemed_at is None and reload(o).status == Order.Status.PENDING
    books({"cash:offline": 49800, "liability:vouchers": -49800})


@pytest.mark.parametrize("code", ["", "not a code", "ABCD-EFGH-JKMN-PQRS"])
def test_voucher_unknown_or_malformed_refused(buyer, code):
    deposit = order(buyer)
    with pytest.raises(DomainError) as err:
        services.voucher_redeem(order=deposit, code=code, actor=buyer)
    assert err.value.code == "voucher_invalid"
    books({})


# ── refunds ─────────────────────────────────────────────────────────────────────────────────────────────────
def test_refund_of_a_paid_deposit(buyer, fin):
    o = order(buyer)
    api.offline_payment_confirm(order_code=str(o.code), bank_ref="ICBC-1", amount_fen=49800, actor=fin)
    books({"cash:offline": 49800, "revenue:deposit": -49800})
    with pytest.raises(DomainError) as err:
        services.order_refund(order=o, reason="  ", actor=fin)
    assert err.value.code == "reason"
    refund = services.order_refund(order=o, reason="考生撤回报名", actor=fin)
    assert reload(o).status == Order.Status.REFUNDED
    assert (refund.amount_fen, refund.status, refund.requested_by, refund.reason) == (
        49800, Refund.Status.PENDING, fin, "考生撤回报名")
    # Nothing leaves the cash account until finance has actually paid it back.
    books({"cash:offline": 49800, "revenue:deposit": -49800})
    with pytest.raises(DomainError) as err:
        services.order_refund(order=o, reason="again", actor=fin)
    assert err.value.code == "not_paid"
    services.refund_complete(refund=refund, actor=fin)
    books({})
    assert api.ledger_check().trial_balance == {"cash:offline": 0, "revenue:deposit": 0}
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert [e.data["amount_fen"] for e in audit_events(action="billing.refund_complete")] == [49800]


def test_refund_of_an_unpaid_order_refused(buyer, fin):
    o = order(buyer)
    with pytest.raises(DomainError) as err:
        services.order_refund(order=o, reason="x", actor=fin)
    assert err.value.code == "not_paid"
    assert Refund.objects.count() == 0


def test_refund_of_a_voucher_paid_deposit_refused(buyer, org, fin):
    _batch(buyer, org, fin, quantity=1)
    deposit = order(buyer)
    services.voucher_redeem(order=deposit, code=Voucher.objects.get().code_text, actor=buyer)
    with pytest.raises(DomainError) as err:
        services.order_refund(order=deposit, reason="x", actor=fin)
    assert err.value.code == "not_cash"
    assert reload(deposit).status == Order.Status.PAID and Refund.objects.count() == 0
    books({"cash:offline": 49800, "revenue:deposit": -49800})


def test_payment_for_a_refunded_order_is_a_duplicate(buyer, fin):
    o = order(buyer)
    capture(o, "ALI-1")
    services.order_refund(order=o, reason="撤回", actor=fin)
    late = capture(o, "ALI-2")
    assert late.duplicate and reload(o).status == Order.Status.REFUNDED
    assert Refund.objects.filter(status=Refund.Status.PENDING).count() == 2
    books({"cash:alipay": 99600, "revenue:deposit": -49800, "liability:overpayments": -49800})
    for refund in Refund.objects.all():
        services.refund_complete(refund=refund, actor=fin)
        books()
    books({})


# ── cancelling and expiring ─────────────────────────────────────────────────────────────────────────────────
def test_order_cancel(buyer):
    o = order(buyer)
    capture(o, "ALI-1")
    with pytest.raises(DomainError) as err:
        api.order_cancel(code=str(o.code), actor=buyer)
    assert err.value.code == "not_pending"
    other = order(buyer, rules.BALANCE)
    assert api.order_cancel(code=str(other.code), actor=buyer).status == "cancelled"
    with pytest.raises(DomainError):
        api.order_cancel(code=str(other.code), actor=buyer)
    books({"cash:alipay": 49800, "revenue:deposit": -49800})


def test_balance_orders_never_expire(buyer):
    balance = order(buyer, rules.BALANCE)
    assert balance.expires_at is None
    assert api.orders_expire() == 0
    assert reload(balance).status == Order.Status.PENDING


def test_orders_expire_only_closes_unpaid_orders_past_their_window(buyer):
    overdue, paid_overdue, fresh = order(buyer), order(buyer, rules.BALANCE), order(buyer, rules.RETAKE)
    capture(paid_overdue, "ALI-1")
    Order.objects.filter(pk__in=[overdue.pk, paid_overdue.pk]).update(expires_at=now() - timedelta(seconds=1))
    assert api.orders_expire() == 1
    assert [reload(o).status for o in (overdue, paid_overdue, fresh)] == ["expired", "paid", "pending"]
    assert [e.target_id for e in audit_events(action="billing.order_expire")] == [str(overdue.pk)]
    books({"cash:alipay": 30000, "revenue:balance": -30000})


def test_order_lookups(buyer):
    o = order(buyer, subject="E-5")
    assert api.order_get(str(o.code)).number == o.number
    assert api.order_for_subject("E-5", rules.DEPOSIT).code == str(o.code)
    assert api.order_for_subject("E-5", rules.BALANCE) is None
    api.order_cancel(code=str(o.code), actor=buyer)
    assert api.order_for_subject("E-5", rules.DEPOSIT) is None
    assert [d.code for d in api.orders_for_subjects(["E-5"])] == [str(o.code)]
    with pytest.raises(NotFound):
        api.order_get("00000000-0000-0000-0000-000000000000")
