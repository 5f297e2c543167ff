"""Learning's pure rules: no database."""

import random
from datetime import date

import pytest

from aigcert.learning import rules

START = date(2026, 12, 1)


@pytest.mark.parametrize(("done", "total", "percent"), [(0, 35, 0), (1, 35, 2), (34, 35, 97), (35, 35, 100),
                                                         (0, 0, 0), (199, 200, 99)])
def test_completion_percent_is_100_only_when_every_lesson_is_done(done, total, percent):
    assert rules.completion_percent(done, total) == percent


def test_schedule_spreads_steps_over_their_stage_and_stages_follow_each_other():
    stages = [rules.StageSpec("S1", 30, ("a", "b", "c")), rules.StageSpec("S2", 20, ("d",)),
              rules.StageSpec("S3", 10, tuple(f"x{i}" for i in range(20)))]
    schedule = {s.code: s.due for s in rules.path_schedule(START, stages)}
    # Three steps over 30 days: days 10, 20 and 30 (the stage's last day), counting the start as day 1.
    assert [schedule[c] for c in "abc"] == [date(2026, 12, 10), date(2026, 12, 20), date(2026, 12, 30)]
    assert schedule["d"] == date(2027, 1, 19)  # S2 runs 12-31 … 01-19
    # More steps than days: two a day, the last on the stage's last day (S3 runs 01-20 … 01-29).
    assert schedule["x0"] == schedule["x1"] == date(2027, 1, 20)
    assert schedule["x19"] == date(2027, 1, 29)


def test_the_shipped_roadmap_takes_its_155_days():
    from aigcert.learning.policy import learning_paths

    path = learning_paths()["aigc-roadmap"]
    assert [s.days for s in path.stages] == [30, 30, 30, 20, 45]
    schedule = rules.path_schedule(START, [rules.StageSpec(s.code, s.days, tuple(x.code for x in s.steps))
                                           for s in path.stages])
    assert max(s.due for s in schedule) == date(2027, 5, 4)  # START + 154 days


def test_standing_compares_steps_done_with_steps_due():
    stages = [rules.StageSpec("S1", 10, ("a", "b", "c", "d", "e"))]  # due days 2, 4, 6, 8, 10
    schedule = rules.path_schedule(START, stages)
    behind = rules.plan_standing(schedule, {"a"}, date(2026, 12, 6))
    assert (behind.due, behind.done, behind.state, behind.behind) == (3, 1, "behind", 2)
    ahead = rules.plan_standing(schedule, {"a", "b", "c"}, date(2026, 12, 2))
    assert (ahead.state, ahead.ahead) == ("ahead", 2)
    assert rules.plan_standing(schedule, {"a"}, date(2026, 12, 3)).state == "on_track"
    assert rules.plan_standing(schedule, set("abcde"), date(2026, 12, 1)).state == "finished"
    assert rules.plan_standing(schedule, set(), date(2026, 11, 30)).due == 0  # before the start nothing is due


def test_practice_draw_prefers_items_not_practised_recently():
    pool = list(range(1, 31))
    recent = set(range(1, 26))
    drawn = rules.practice_draw(pool, 10, recent=recent, rng=random.Random(3))
    assert len(drawn) == len(set(drawn)) == 10
    assert set(range(26, 31)) <= set(drawn)  # all five fresh ones first, then recent ones to fill
    assert rules.practice_draw([1, 2], 10) in ([1, 2], [2, 1])
