"""The session calendar: pure clock rules, then generating, cancelling and listing sessions."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from aigcert.catalog import api as catalog_api
from aigcert.core.api import DomainError, audit_events, now, today
from aigcert.exams import api, rules, services
from aigcert.exams.models import Session

SHANGHAI = ZoneInfo("Asia/Shanghai")
TICK = timedelta(microseconds=1)


# ── pure rules ──────────────────────────────────────────────────────────────────────────────────────────────
def _times(cancelled=False):
    start = datetime(2025, 6, 21, 9, 0, tzinfo=SHANGHAI)
    return rules.SessionTimes(start_at=start, duration_minutes=60, booking_opens_at=start - timedelta(days=30),
                              booking_closes_at=datetime(2025, 6, 18, tzinfo=SHANGHAI), cancelled=cancelled)


def test_session_state_at_each_boundary():
    t = _times()
    assert t.end_at == datetime(2025, 6, 21, 10, 0, tzinfo=SHANGHAI)
    expected = [
        (t.booking_opens_at - TICK, rules.SCHEDULED),
        (t.booking_opens_at, rules.OPEN),
        (t.booking_closes_at - TICK, rules.OPEN),
        (t.booking_closes_at, rules.CLOSED),
        (t.start_at - TICK, rules.CLOSED),
        (t.start_at, rules.IN_PROGRESS),
        (t.end_at - TICK, rules.IN_PROGRESS),
        (t.end_at, rules.FINISHED),
        (t.end_at + timedelta(days=365), rules.FINISHED),
    ]
    assert [(m, rules.session_state(t, m)) for m, _ in expected] == expected


def test_session_state_compares_instants_not_wall_clocks():
    t = _times()
    # 2025-06-17 16:00 UTC is 2025-06-18 00:00 in Shanghai: the booking-close instant.
    assert rules.session_state(t, datetime(2025, 6, 17, 16, 0, tzinfo=ZoneInfo("UTC"))) == rules.CLOSED
    assert rules.session_state(t, datetime(2025, 6, 17, 15, 59, tzinfo=ZoneInfo("UTC"))) == rules.OPEN


def test_cancelled_wins_at_every_instant():
    t = _times(cancelled=True)
    for moment in (t.booking_opens_at - TICK, t.booking_opens_at, t.booking_closes_at, t.start_at, t.end_at):
        assert rules.session_state(t, moment) == rules.CANCELLED


@pytest.mark.parametrize(("start", "days", "closes"), [
    (datetime(2025, 6, 21, 9, 0, tzinfo=SHANGHAI), 3, datetime(2025, 6, 18, 0, 0, tzinfo=SHANGHAI)),
    (datetime(2025, 6, 21, 14, 0, tzinfo=SHANGHAI), 3, datetime(2025, 6, 18, 0, 0, tzinfo=SHANGHAI)),
    (datetime(2025, 7, 2, 9, 30, 15, 7, tzinfo=SHANGHAI), 3, datetime(2025, 6, 29, 0, 0, tzinfo=SHANGHAI)),
    (datetime(2026, 1, 2, 9, 0, tzinfo=SHANGHAI), 3, datetime(2025, 12, 30, 0, 0, tzinfo=SHANGHAI)),
    (datetime(2024, 3, 2, 9, 0, tzinfo=SHANGHAI), 2, datetime(2024, 2, 29, 0, 0, tzinfo=SHANGHAI)),
    (datetime(2025, 6, 21, 9, 0, tzinfo=SHANGHAI), 0, datetime(2025, 6, 21, 0, 0, tzinfo=SHANGHAI)),
])
def test_booking_closes_at_local_midnight(start, days, closes):
    assert rules.booking_closes_at(start, days) == closes


@pytest.mark.parametrize(("year", "month", "day"), [
    (2025, 1, date(2025, 1, 18)), (2025, 3, date(2025, 3, 15)),
    (2025, 11, date(2025, 11, 15)),  # the month starts on a Saturday
    (2026, 2, date(2026, 2, 21)), (2025, 12, date(2025, 12, 20)), (2024, 6, date(2024, 6, 15)),
    (2026, 8, date(2026, 8, 15)),  # starts on a Saturday, 31 days
])
def test_default_exam_day_is_the_third_saturday(year, month, day):
    assert rules.default_exam_day(year, month) == day


def test_default_exam_day_every_month_is_a_saturday_between_the_15th_and_21st():
    for year in range(2024, 2031):
        for month in range(1, 13):
            day = rules.default_exam_day(year, month)
            assert (day.year, day.month) == (year, month)
            assert day.weekday() == 5
            assert 15 <= day.day <= 21


@pytest.mark.parametrize(("start", "today_", "horizon", "inside"), [
    (date(2025, 5, 10), date(2025, 5, 10), 1, True),  # today itself
    (date(2025, 5, 9), date(2025, 5, 10), 1, False),  # the past
    (date(2025, 6, 30), date(2025, 5, 10), 1, True),  # end of next month
    (date(2025, 7, 1), date(2025, 5, 10), 1, False),
    (date(2025, 5, 31), date(2025, 5, 10), 0, True),
    (date(2025, 6, 1), date(2025, 5, 10), 0, False),
    (date(2026, 1, 31), date(2025, 12, 15), 1, True),  # December → January
    (date(2026, 2, 1), date(2025, 12, 15), 1, False),
    (date(2026, 1, 31), date(2025, 11, 30), 2, True),  # November + 2 → January
    (date(2026, 2, 1), date(2025, 11, 30), 2, False),
    (date(2026, 2, 28), date(2025, 12, 1), 2, True),
    (date(2026, 3, 1), date(2025, 12, 1), 2, False),
    (date(2024, 2, 29), date(2024, 1, 31), 1, True),  # leap February
    (date(2027, 1, 31), date(2025, 12, 31), 13, True),
    (date(2027, 2, 1), date(2025, 12, 31), 13, False),
])
def test_within_horizon(start, today_, horizon, inside):
    assert rules.within_horizon(start, today_, horizon) is inside


def test_combine():
    assert rules.combine(date(2025, 6, 21), "14:05", SHANGHAI) == datetime(2025, 6, 21, 14, 5, tzinfo=SHANGHAI)


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


# ── generating sessions ─────────────────────────────────────────────────────────────────────────────────────
@pytest.fixture
def general(catalog):
    return catalog_program("aigc-general")


def catalog_program(code):
    return catalog_api.program_get(code)


def _local(moment):
    return timezone.localtime(moment, SHANGHAI)


def test_sessions_generate_from_the_exam_policy(general, exam_admin):
    day = today() + timedelta(days=20)
    before = now()
    made = services.sessions_generate(program_code="aigc-general", days=[day], actor=exam_admin)
    assert [s.sitting_code for s in made] == ["am", "pm"]
    am, pm = made
    policy = general.exam
    assert policy.duration_minutes == 60 and policy.seats_per_sitting == 200
    assert policy.booking_closes_days_before == 3
    assert _local(am.start_at) == datetime.combine(day, datetime.min.time(), SHANGHAI).replace(hour=9)
    assert _local(pm.start_at) == datetime.combine(day, datetime.min.time(), SHANGHAI).replace(hour=14)
    closes = datetime.combine(day - timedelta(days=3), datetime.min.time(), SHANGHAI)
    for session in made:
        session.refresh_from_db()
        assert session.program_code == "aigc-general"
        assert session.duration_minutes == 60
        assert session.capacity == 200
        assert session.booking_closes_at == closes
        assert _local(session.booking_closes_at).time() == datetime.min.time()
        assert before <= session.booking_opens_at <= now()
        assert session.state == rules.OPEN
        assert session.created_by == exam_admin
        assert session.cancelled_at is None
    assert (am.sitting_label_zh, pm.sitting_label_zh) == ("上午场", "下午场")
    assert (am.sitting_label_en, pm.sitting_label_en) == ("Morning", "Afternoon")
    [event] = audit_events(action="exams.sessions_generate")
    assert event.actor_id == exam_admin.pk
    assert event.target_id == "aigc-general"
    assert event.data["sessions"] == [str(am.code), str(pm.code)]
    assert event.data["capacity"] == 200


def test_sessions_generate_uses_each_programs_policy(catalog, exam_admin):
    day = today() + timedelta(days=20)
    made = services.sessions_generate(program_code="aigc-design-pro", days=[day], actor=exam_admin)
    assert {s.duration_minutes for s in made} == {catalog_program("aigc-design-pro").exam.duration_minutes} == {90}


def test_sessions_generate_again_is_idempotent(general, exam_admin):
    day = today() + timedelta(days=20)
    first = services.sessions_generate(program_code="aigc-general", days=[day], actor=exam_admin)
    again = services.sessions_generate(program_code="aigc-general", days=[day, day], actor=exam_admin)
    assert again == []
    assert Session.objects.count() == 2
    assert set(Session.objects.values_list("pk", flat=True)) == {s.pk for s in first}
    # A new day next to an existing one creates only the new day's sittings.
    more = services.sessions_generate(program_code="aigc-general", days=[day, day + timedelta(days=7)],
                                      actor=exam_admin)
    assert len(more) == 2 and Session.objects.count() == 4


def test_sessions_generate_one_sitting_and_own_capacity(general, exam_admin):
    day = today() + timedelta(days=20)
    [pm] = services.sessions_generate(program_code="aigc-general", days=[day], actor=exam_admin,
                                      sitting_codes=["pm"], capacity=35)
    assert pm.sitting_code == "pm" and pm.capacity == 35


@pytest.mark.parametrize("capacity", [0, -1, services.MAX_CAPACITY + 1])
def test_sessions_generate_refuses_bad_capacity(general, exam_admin, capacity):
    with pytest.raises(DomainError) as err:
        services.sessions_generate(program_code="aigc-general", days=[today() + timedelta(days=20)],
                                   actor=exam_admin, capacity=capacity)
    assert err.value.field == "capacity"
    assert Session.objects.count() == 0


def test_sessions_generate_refuses_unknown_sitting(general, exam_admin):
    with pytest.raises(DomainError) as err:
        services.sessions_generate(program_code="aigc-general", days=[today() + timedelta(days=20)],
                                   actor=exam_admin, sitting_codes=["night"])
    assert err.value.field == "sittings"


@pytest.mark.parametrize("offset", [-1, -30])
def test_sessions_generate_refuses_past_days(general, exam_admin, offset):
    future = today() + timedelta(days=20)
    with pytest.raises(DomainError) as err:
        services.sessions_generate(program_code="aigc-general", days=[future, today() + timedelta(days=offset)],
                                   actor=exam_admin)
    assert err.value.field == "days"
    assert Session.objects.count() == 0  # the future day in the same call is not created either
    assert audit_events(action="exams.sessions_generate") == []


def test_sessions_generate_refuses_announced_program(catalog, exam_admin):
    assert catalog_program("aigc-expert").status == "announced"
    with pytest.raises(DomainError) as err:
        services.sessions_generate(program_code="aigc-expert", days=[today() + timedelta(days=20)],
                                   actor=exam_admin)
    assert err.value.code == "no_policy"
    assert Session.objects.count() == 0


def test_sessions_generate_refuses_unknown_program(catalog, exam_admin):
    with pytest.raises(DomainError) as err:
        services.sessions_generate(program_code="aigc-nope", days=[today() + timedelta(days=20)], actor=exam_admin)
    assert err.value.code == "unknown_program"


def test_session_generated_inside_the_closing_window_is_closed_at_once(general, exam_admin):
    moment = now()
    [pm] = services.sessions_generate(program_code="aigc-general", days=[today() + timedelta(days=2)],
                                      actor=exam_admin, sitting_codes=["pm"])
    assert moment <= pm.booking_closes_at <= now()
    assert pm.state == rules.CLOSED


# ── listing ─────────────────────────────────────────────────────────────────────────────────────────────────
def test_sessions_bookable_only_open_and_within_horizon(catalog, exam_admin):
    horizon = catalog_program("aigc-general").booking_horizon_months
    assert horizon == 1
    near = today() + timedelta(days=20)
    far = today() + timedelta(days=70)  # always past the end of next month
    am, pm = services.sessions_generate(program_code="aigc-general", days=[near], actor=exam_admin)
    closed_am, cancelled_pm = services.sessions_generate(program_code="aigc-general",
                                                         days=[near + timedelta(days=1)], actor=exam_admin)
    services.sessions_generate(program_code="aigc-general", days=[far], actor=exam_admin)
    services.sessions_generate(program_code="aigc-design-pro", days=[near], actor=exam_admin)
    Session.objects.filter(pk=closed_am.pk).update(booking_closes_at=now() - timedelta(minutes=1))
    Session.objects.filter(pk=cancelled_pm.pk).update(cancelled_at=now())
    # Not yet open either.
    Session.objects.filter(pk=pm.pk).update(booking_opens_at=now() + timedelta(hours=1))

    bookable = api.sessions_bookable("aigc-general", horizon_months=horizon)
    assert [s.code for s in bookable] == [str(am.code)]
    assert bookable[0].state == "open" and bookable[0].bookable
    assert bookable[0].capacity == 200 and bookable[0].duration_minutes == 60
    assert bookable[0].end_at - bookable[0].start_at == timedelta(minutes=60)
    # A longer horizon reaches the far day.
    assert len(api.sessions_bookable("aigc-general", horizon_months=3)) == 3


def test_session_in_horizon(catalog, exam_admin):
    near, far = today() + timedelta(days=20), today() + timedelta(days=70)
    made = services.sessions_generate(program_code="aigc-general", days=[near, far], actor=exam_admin)
    near_am, far_am = api.session_get(str(made[0].code)), api.session_get(str(made[2].code))
    assert api.session_in_horizon(near_am, 1) and not api.session_in_horizon(far_am, 1)
    assert api.session_in_horizon(far_am, 3)


# ── cancelling ──────────────────────────────────────────────────────────────────────────────────────────────
@pytest.fixture
def pair(general, exam_admin):
    return services.sessions_generate(program_code="aigc-general", days=[today() + timedelta(days=20)],
                                      actor=exam_admin)


def test_session_cancel_records_reason_and_replacement(pair, exam_admin):
    am, pm = pair
    data = api.session_cancel(code=str(am.code), replacement_code=str(pm.code), reason=" 台风 ", actor=exam_admin)
    assert data.cancelled and data.state == "cancelled"
    am.refresh_from_db()
    assert am.cancel_reason == "台风" and am.replacement_id == pm.pk and am.cancelled_at is not None
    [event] = audit_events(action="exams.session_cancel")
    assert event.data == {"reason": "台风", "replacement": str(pm.code)}


def test_session_cancel_refusals(pair, catalog, exam_admin):
    am, pm = pair
    [other] = services.sessions_generate(program_code="aigc-design-pro", days=[today() + timedelta(days=20)],
                                         actor=exam_admin, sitting_codes=["am"])
    for replacement, reason in [(None, "  "), (am, "x"), (other, "x")]:
        with pytest.raises(DomainError):
            api.session_cancel(code=str(am.code), replacement_code=str(replacement.code) if replacement else None,
                               reason=reason, actor=exam_admin)
    Session.objects.filter(pk=pm.pk).update(cancelled_at=now())
    with pytest.raises(DomainError) as err:  # a cancelled replacement
        api.session_cancel(code=str(am.code), replacement_code=str(pm.code), reason="x", actor=exam_admin)
    assert err.value.field == "replacement"
    with pytest.raises(DomainError) as err:
        api.session_cancel(code=str(pm.code), replacement_code=None, reason="x", actor=exam_admin)
    assert err.value.code == "cancelled"
    Session.objects.filter(pk=am.pk).update(start_at=now() - timedelta(minutes=5),
                                            booking_closes_at=now() - timedelta(days=1))
    with pytest.raises(DomainError) as err:
        api.session_cancel(code=str(am.code), replacement_code=None, reason="x", actor=exam_admin)
    assert err.value.code == "started"
    assert Session.objects.get(pk=am.pk).cancelled_at is None


def test_session_update_capacity_and_close(pair, exam_admin):
    am, _pm = pair
    with pytest.raises(DomainError):
        services.session_update(session=am, actor=exam_admin, capacity=4, seats_taken=5)
    with pytest.raises(DomainError):
        services.session_update(session=am, actor=exam_admin, booking_closes_at=am.start_at + TICK)
    updated = services.session_update(session=am, actor=exam_admin, capacity=5, seats_taken=5)
    assert updated.capacity == 5
    [event] = audit_events(action="exams.session_update")
    assert event.data["before"]["capacity"] == 200 and event.data["after"]["capacity"] == 5
