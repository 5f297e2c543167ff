"""The exam-day rules without a database: check-in window, unlock spread, entry, deadline, pause, integrity
policy, and the policy file."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from aigcert.delivery import policy, rules

START = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


# ---- check-in window -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("moment", "expected"), [
    (START - timedelta(minutes=30, seconds=1), "check_in_not_open"),
    (START - timedelta(minutes=30), None),
    (START, None),
    (START + timedelta(minutes=15), None),
    (START + timedelta(minutes=15, seconds=1), "check_in_closed"),
])
def test_check_in_is_open_from_30_minutes_before_the_start_until_the_latest_entry(moment, expected):
    assert rules.check_in_problem(moment=moment, start_at=START, opens_minutes=30,
                                  latest_entry_minutes=15) == expected


# ---- unlock spread ----------------------------------------------------------------------------------------------

def test_the_unlock_delay_is_fixed_by_the_ticket_and_within_the_spread():
    # Pinned: a reload, a second server or a restart must give a candidate the same unlock.
    assert rules.stagger_offset("T000100001", 20) == timedelta(seconds=12, milliseconds=640)
    assert rules.stagger_offset("T000100002", 20) == timedelta(seconds=13, milliseconds=618)
    assert rules.stagger_offset("T000100001", 600) == timedelta(minutes=2, seconds=3, milliseconds=797)
    offsets = [rules.stagger_offset(f"T{n:09d}", 20) for n in range(2000)]
    assert timedelta(0) <= min(offsets) and max(offsets) <= timedelta(seconds=20)
    assert offsets == [rules.stagger_offset(f"T{n:09d}", 20) for n in range(2000)]


def test_the_unlocks_are_spread_inside_each_second_too():
    # Whole seconds made a burst of every candidate of a second at once (170 starts at 10,000 over a minute).
    offsets = [rules.stagger_offset(f"T{n:09d}", 60) for n in range(10_000)]
    per_tenth = Counter(int(offset / timedelta(milliseconds=100)) for offset in offsets)
    assert len(per_tenth) == 600  # every tenth of a second of the minute has its unlocks
    assert max(per_tenth.values()) < 3 * 10_000 / 600


@pytest.mark.parametrize("spread", [0, -5])
def test_no_spread_unlocks_everyone_at_the_start(spread):
    assert rules.stagger_offset("T000100002", spread) == timedelta(0)


# ---- times of one candidate -------------------------------------------------------------------------------------

def test_formal_times_give_the_full_duration_from_the_own_unlock_plus_extra_time():
    unlock, entry_closes, deadline = rules.formal_times(start_at=START, stagger=timedelta(seconds=19),
                                                        duration_minutes=60, extra_minutes=15,
                                                        latest_entry_minutes=15)
    assert unlock == START + timedelta(seconds=19)
    assert entry_closes == START + timedelta(minutes=15)
    assert deadline == START + timedelta(seconds=19) + timedelta(minutes=75)


def test_every_candidate_has_a_moment_at_which_they_may_start():
    # With no latest-entry slack (the desk allows 0), a staggered candidate may still start at their own unlock.
    unlock, entry_closes, _deadline = rules.formal_times(start_at=START, stagger=timedelta(seconds=19),
                                                         duration_minutes=60, extra_minutes=0,
                                                         latest_entry_minutes=0)
    assert rules.entry_problem(moment=unlock, state="approved", unlock_at=unlock, entry_closes_at=entry_closes) is None


@pytest.mark.parametrize(("state", "moment", "expected"), [
    ("approved", START + timedelta(seconds=9), "not_yet"),
    ("approved", START + timedelta(seconds=10), None),
    ("approved", START + timedelta(minutes=15), None),
    ("approved", START + timedelta(minutes=15, seconds=1), "too_late"),
    ("waiting", START + timedelta(minutes=1), "not_admitted"),
    ("refused", START + timedelta(minutes=1), "refused"),
    ("refused", START - timedelta(minutes=1), "refused"),
])
def test_entry_needs_an_admitted_check_in_between_the_unlock_and_the_latest_entry(state, moment, expected):
    assert rules.entry_problem(moment=moment, state=state, unlock_at=START + timedelta(seconds=10),
                               entry_closes_at=START + timedelta(minutes=15)) == expected


# ---- pause ------------------------------------------------------------------------------------------------------

def test_a_pause_moves_the_deadline_by_exactly_its_length_and_freezes_the_time_left():
    deadline = START + timedelta(minutes=60)
    paused = START + timedelta(minutes=20)
    assert rules.resumed_deadline(deadline_at=deadline, paused_at=paused,
                                  resumed_at=paused + timedelta(minutes=7, seconds=3)) == deadline + timedelta(
        minutes=7, seconds=3)
    # A clock that went backwards never takes time away.
    assert rules.resumed_deadline(deadline_at=deadline, paused_at=paused,
                                  resumed_at=paused - timedelta(seconds=5)) == deadline
    for later in (paused, paused + timedelta(hours=2)):
        assert rules.time_left_seconds(deadline_at=deadline, moment=later, paused_at=paused) == 40 * 60
    assert rules.time_left_seconds(deadline_at=deadline, moment=paused, paused_at=None) == 40 * 60
    assert rules.time_left_seconds(deadline_at=deadline, moment=deadline + timedelta(minutes=1), paused_at=None) == 0


# ---- integrity --------------------------------------------------------------------------------------------------

def test_integrity_responses_warn_every_time_notify_once_and_count_silently():
    assert [rules.integrity_response(action="warn", after=1, count=n) for n in (1, 2, 3)] == ["warn"] * 3
    assert [rules.integrity_response(action="notify", after=3, count=n) for n in (1, 2, 3, 4, 5)] == [
        None, None, "notify", None, None]
    assert [rules.integrity_response(action="count", after=1, count=n) for n in (1, 2)] == [None, None]
    assert [rules.integrity_flagged(action="notify", after=2, count=n) for n in (1, 2, 3)] == [False, True, True]
    assert rules.integrity_flagged(action="warn", after=1, count=9) is False
    assert rules.integrity_flagged(action="count", after=1, count=9) is False


# ---- the policy file --------------------------------------------------------------------------------------------

def test_the_default_policy_of_a_program():
    general = policy.exam_day_policy("aigc-general")
    assert (general.check_in_opens_minutes, general.latest_entry_minutes, general.approval_required,
            general.stagger_seconds) == (30, 15, False, 20)
    assert general.integrity == {
        "focus_lost": ("count", 1), "visibility_hidden": ("warn", 1), "fullscreen_exit": ("warn", 1),
        "paste": ("notify", 3), "second_login": ("notify", 1), "ip_changed": ("notify", 2),
        "ua_changed": ("notify", 1)}


@pytest.mark.parametrize("program", ["aigc-professional", "aigc-mentor"])
def test_professional_and_above_need_a_proctors_approval(program):
    professional = policy.exam_day_policy(program)
    assert professional.approval_required is True
    # Everything else is the default.
    general = policy.exam_day_policy("aigc-general")
    assert (professional.check_in_opens_minutes, professional.latest_entry_minutes, professional.stagger_seconds,
            professional.integrity) == (general.check_in_opens_minutes, general.latest_entry_minutes,
                                        general.stagger_seconds, general.integrity)


@pytest.mark.parametrize(("change", "problem"), [
    ({"stagger_seconds": 601}, "stagger_seconds"),
    ({"integrity": {"paste": {"action": "block"}}}, "integrity"),
    ({"integrity": {"paste": {"action": "notify", "after": 0}}}, "integrity"),
    ({"approval": True}, "approval"),
])
def test_a_policy_that_is_not_valid_is_refused(change, problem):
    base = policy._file().default.model_dump()
    with pytest.raises(ValidationError, match=problem):
        policy.Policy.model_validate({**base, **change} if "integrity" not in change else
                                     {**base, "integrity": {**base["integrity"], **change["integrity"]}})


def test_a_policy_without_a_rule_for_every_kind_is_refused():
    base = policy._file().default.model_dump()
    del base["integrity"]["ua_changed"]
    with pytest.raises(ValidationError, match="integrity rules missing for: ua_changed"):
        policy.Policy.model_validate(base)


def test_the_latest_entry_is_never_after_the_deadline():
    # A latest entry longer than the exam (the desk allows up to 600 minutes) would start attempts already due.
    unlock, entry_closes, deadline = rules.formal_times(start_at=START, stagger=timedelta(0), duration_minutes=30,
                                                        extra_minutes=0, latest_entry_minutes=45)
    assert (unlock, entry_closes, deadline) == (START, START + timedelta(minutes=30), START + timedelta(minutes=30))
    assert rules.entry_problem(moment=deadline + timedelta(seconds=1), state="approved", unlock_at=unlock,
                               entry_closes_at=entry_closes) == "too_late"
