"""The pure results rules: when results come out, the re-check window, totals by section and area, the pass."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from aigcert.results import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_release_is_the_delay_after_the_exam_day_at_the_policy_time():
    due = rules.release_at(date(2026, 11, 14), delay_days=10, at=time(9, 0), tz=SHANGHAI)
    assert due == datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


def test_recheck_window():
    released = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert not rules.recheck_open(None, released, window_days=15)
    assert not rules.recheck_open(released, released - timedelta(seconds=1), window_days=15)
    assert rules.recheck_open(released, released, window_days=15)
    assert rules.recheck_open(released, released + timedelta(days=15) - timedelta(seconds=1), window_days=15)
    assert not rules.recheck_open(released, released + timedelta(days=15), window_days=15)


def test_totals_by_section_and_area_and_the_pass_line():
    items = [("single_choice", "A1", D(1), D(1)), ("single_choice", "A2", D(1), D(0)),
             ("essay", "A1", D(25), D("20.5")), ("essay", "", D(25), D(15))]
    result = rules.totals(items, pass_line=D(36))
    assert (result.total, result.maximum, result.passed, result.complete) == (D("36.5"), D(52), True, True)
    assert [(p.code, p.awarded, p.maximum) for p in result.sections] == [
        ("single_choice", D(1), D(2)), ("essay", D("35.5"), D(50))]
    assert [(p.code, p.awarded, p.maximum) for p in result.areas] == [("A1", D("21.5"), D(26)), ("A2", D(0), D(1))]
    assert not rules.totals(items, pass_line=D("36.51")).passed


def test_an_item_without_its_score_makes_the_result_incomplete_and_never_a_pass():
    result = rules.totals([("single_choice", "A1", D(1), D(1)), ("essay", "A1", D(25), None)], pass_line=D(0))
    assert not result.complete and not result.passed
