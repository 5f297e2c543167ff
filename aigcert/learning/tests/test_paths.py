"""The learning path: a plan from a start date, steps done by ticking or by completing their lesson, and whether the
candidate is ahead of or behind it."""

from datetime import timedelta

import pytest

from aigcert.core.api import today
from aigcert.learning.models import PathPlan
from aigcert.learning.tests.conftest import GENERAL

pytestmark = pytest.mark.django_db
PATH = "/learn/path/aigc-roadmap/"


def test_starting_the_plan_schedules_every_step_by_day(learner_client, learner):
    start = today() - timedelta(days=12)
    learner_client.post(PATH, {"action": "start", "start_date": start.isoformat()})
    plan = PathPlan.objects.get(candidate=learner)
    assert plan.start_date == start
    page = learner_client.get(PATH)
    stages = page.context["stages"]
    assert [len(steps) for _stage, steps in stages] == [13, 8, 4, 3, 5]
    first = stages[0][1]
    assert first[0].lesson.code == "L06" and first[0].due == start + timedelta(days=2)  # ceil(30/13) = day 3
    assert stages[4][1][-1].due == start + timedelta(days=154)
    standing = page.context["standing"]
    assert (standing.due, standing.done, standing.state) == (5, 0, "behind")  # days 3, 5, 7, 10, 12 have passed
    learner_client.cookies["aigcert_language"] = "en"
    assert "You are 5 steps behind the plan." in learner_client.get(PATH).content.decode()


def test_lessons_completed_and_steps_ticked_count_as_done(learner_client, learner):
    learner_client.post(PATH, {"action": "start", "start_date": today().isoformat()})
    learner_client.post(f"/learn/{GENERAL}/L06/complete/")
    learner_client.post(f"/learn/{GENERAL}/L14/complete/")
    learner_client.post(PATH, {"step": "S1-04", "done": "1"})  # a roadmap topic with no lesson
    steps = {s.code: s for _stage, group in learner_client.get(PATH).context["stages"] for s in group}
    assert steps["S1-01"].done and not steps["S1-01"].ticked
    assert steps["S1-04"].done and steps["S1-04"].ticked
    standing = learner_client.get(PATH).context["standing"]
    assert (standing.done, standing.due, standing.state, standing.ahead) == (3, 0, "ahead", 3)
    learner_client.post(PATH, {"step": "S1-04", "done": "0"})
    assert PathPlan.objects.get(candidate=learner).ticked == []
    learner_client.post(PATH, {"step": "NOPE", "done": "1"})
    assert PathPlan.objects.get(candidate=learner).ticked == []


def test_rescheduling_moves_the_plan_and_bad_dates_change_nothing(learner_client, learner):
    learner_client.post(PATH, {"action": "start", "start_date": "2026-12-01"})
    learner_client.post(PATH, {"action": "start", "start_date": "2026-13-45"})
    assert PathPlan.objects.get(candidate=learner).start_date.isoformat() == "2026-12-01"
    learner_client.post(PATH, {"action": "start", "start_date": "2027-01-05"})
    assert PathPlan.objects.get(candidate=learner).start_date.isoformat() == "2027-01-05"
    assert learner_client.get("/learn/path/no-such-path/").status_code == 404
