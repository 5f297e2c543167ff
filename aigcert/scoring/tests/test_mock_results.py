"""A submitted mock is scored by the outbox listener's task (never in the request), with the item bank's rules
scaled to the paper's slots; the result page shows the score, the pass line, each key in the candidate's own
option letters, explanations, the gap report with lessons, and rubrics and reference answers for self-review."""

import re
import uuid
from collections import Counter
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from aigcert.accounts.api import Role
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, audit_events, now
from aigcert.delivery.api import attempts_close_due
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.scoring import services
from aigcert.scoring.handlers import on_attempt_closed
from aigcert.scoring.models import AttemptScore, ItemScore
from aigcert.scoring.tasks import attempt_score_task
from aigcert.scoring.tests.conftest import answer_and_submit, attempt_row, english, start_mock, unlock

SLOT_POINTS = {"single_choice": D("1"), "multiple_choice": D("1.5"), "true_false": D("0.5")}
ITEM_POINTS = {"single_choice": D("1"), "multiple_choice": D("2"), "true_false": D("1")}


def crafted(attempt):
    """A mix of right, wrong, half-right and unanswered items: ({slot: value}, {slot: points it must earn})."""
    paper = exams.paper_get(attempt.paper_id)
    reviews = itembank.versions_review(item["version_id"] for item in paper.items)
    answers, expected, seen = {}, {}, Counter()
    for item in paper.items:
        slot, item_type, review = item["slot"], item["item_type"], reviews[item["version_id"]]
        assert (D(item["points"]), review.points) == (SLOT_POINTS[item_type], ITEM_POINTS[item_type])
        options = [o["id"] for o in item["payload"].get("options", [])]
        key, wrong = list(review.key), [o for o in options if o not in review.key]
        n = seen[item_type]
        seen[item_type] += 1
        if item_type == "single_choice":
            if n % 5 == 4:
                expected[slot] = D("0")  # not answered
            elif n % 2 == 0:
                answers[slot], expected[slot] = key[0], D("1")
            else:
                answers[slot], expected[slot] = wrong[0], D("0")
        elif item_type == "multiple_choice":
            if n % 3 == 1 and len(key) > 1:
                answers[slot], expected[slot] = key[:1], D("0.75")  # half of 2 points, scaled to 1.5
            elif n % 3 == 2 and wrong:
                answers[slot], expected[slot] = [*key, wrong[0]], D("0")
            else:
                answers[slot], expected[slot] = list(reversed(key)), D("1.5")
        else:
            right = review.key == ("true",)
            answers[slot] = right if n % 2 == 0 else not right
            expected[slot] = D("0.5") if n % 2 == 0 else D("0")
    assert set(expected.values()) == {D("0"), D("1"), D("0.75"), D("1.5"), D("0.5")}  # every case is there
    return answers, expected


def _shown(points: D) -> str:
    """The template's floatformat:"-2"."""
    return str(int(points)) if points == points.to_integral_value() else f"{points:.2f}"


def _articles(html: str) -> dict[str, str]:
    return dict(re.findall(r'<article [^>]*id="review-(q\d+)"[^>]*>(.*?)</article>', html, re.S))


@pytest.fixture
def scored(examinee_client, django_capture_on_commit_callbacks):
    """A 通用级 mock answered with `crafted` and submitted; the commit runs the listener's task."""
    attempt, config = start_mock(examinee_client)
    answers, expected = crafted(attempt)
    with django_capture_on_commit_callbacks(execute=True):
        answer_and_submit(examinee_client, config, answers)
    return attempt_row(attempt.code), answers, expected


# -- scoring --------------------------------------------------------------------------------------------------

def test_scoring_runs_after_the_submit_commits_not_in_it(examinee_client, django_capture_on_commit_callbacks):
    attempt, config = start_mock(examinee_client)
    answers, expected = crafted(attempt)
    with django_capture_on_commit_callbacks() as callbacks:
        answer_and_submit(examinee_client, config, answers)
    # Inside the submit only a pending row is written (so a lost task is found again); scoring waits for the commit.
    assert list(AttemptScore.objects.values_list("state", flat=True)) == ["pending"]
    assert len(callbacks) == 1
    callbacks[0]()
    score = AttemptScore.objects.get()
    assert (score.attempt_id, score.state) == (attempt.pk, "scored")
    assert score.objective_points == sum(expected.values())


def test_objective_points_are_the_items_rules_scaled_to_the_slots(scored, examinee):
    attempt, _answers, expected = scored
    score = AttemptScore.objects.get(attempt_id=attempt.pk)
    total = sum(expected.values())
    assert (score.state, score.candidate_id, score.program_code, score.kind) == ("scored", examinee.pk,
                                                                                 "aigc-general", "mock")
    assert (score.objective_points, score.objective_max, score.paper_max, score.unscored_items) == (
        total, D("100"), D("100"), 0)
    assert score.scored_at is not None
    rows = {row.slot: row for row in score.items.all()}
    assert {slot: row.awarded for slot, row in rows.items()} == expected
    paper = exams.paper_get(attempt.paper_id)
    assert {item["slot"]: (item["version_id"], item["item_type"], item["area_code"], D(item["points"]))
            for item in paper.items} == {
        slot: (row.version_id, row.item_type, row.area_code, row.max_points) for slot, row in rows.items()}
    [event] = audit_events(action="scoring.attempt_score")
    assert (event.actor_id, event.target_id) == (None, str(score.pk))
    assert (event.data["attempt"], D(event.data["objective"]), D(event.data["objective_max"]),
            event.data["unscored"]) == (str(attempt.code), total, D("100"), 0)


def test_scoring_is_idempotent(scored):
    attempt, _answers, _expected = scored
    score = AttemptScore.objects.get(attempt_id=attempt.pk)
    notebook = sorted(apps.get_model("scoring", "NotebookEntry").objects.values_list("version_id", "wrong_count"))
    again = services.attempt_score(attempt_code=str(attempt.code))
    assert (again.pk, again.objective_points, again.scored_at) == (score.pk, score.objective_points, score.scored_at)
    result = attempt_score_task.enqueue(attempt_code=str(attempt.code))
    assert result.return_value == f"{score.objective_points}/{score.objective_max}"
    assert AttemptScore.objects.count() == 1
    assert ItemScore.objects.count() == 100
    assert len(audit_events(action="scoring.attempt_score")) == 1
    assert sorted(apps.get_model("scoring", "NotebookEntry").objects.values_list("version_id", "wrong_count")) == (
        notebook)


def test_an_open_attempt_is_not_scored(examinee_client):
    attempt, _config = start_mock(examinee_client)
    with pytest.raises(DomainError) as refused:
        services.attempt_score(attempt_code=str(attempt.code))
    assert refused.value.code == "open"
    assert AttemptScore.objects.count() == 0


def test_only_mocks_are_scored_at_once(examinee_client, django_capture_on_commit_callbacks):
    attempt, _config = start_mock(examinee_client)
    apps.get_model("delivery", "Attempt").objects.filter(pk=attempt.pk).update(state="submitted")
    with django_capture_on_commit_callbacks() as callbacks:
        on_attempt_closed({"attempt": str(attempt.code), "kind": "formal", "program": "aigc-general",
                           "by_server": True})
    assert callbacks == [] and AttemptScore.objects.count() == 0  # formal sessions are scored as a batch later
    with django_capture_on_commit_callbacks() as callbacks:
        on_attempt_closed({"attempt": str(attempt.code), "kind": "mock", "program": "aigc-general",
                           "by_server": False})
    assert len(callbacks) == 1 and AttemptScore.objects.get().state == "pending"


def test_a_score_left_pending_is_queued_again_by_the_tick(examinee_client, django_capture_on_commit_callbacks):
    """The task was lost (worker died after the commit): the minute tick finds the pending score and runs it."""
    from aigcert.scoring.api import scores_requeue_stale

    _attempt, config = start_mock(examinee_client)
    with django_capture_on_commit_callbacks(execute=False):
        answer_and_submit(examinee_client, config, {})
    assert AttemptScore.objects.get().state == "pending"
    assert scores_requeue_stale() == 0  # not yet: give the queued task its chance first
    AttemptScore.objects.update(updated_at=now() - timedelta(minutes=5))
    assert scores_requeue_stale() == 1  # the immediate test backend runs it at once
    assert AttemptScore.objects.get().state == "scored"
    assert scores_requeue_stale() == 0


def test_an_expired_mock_is_scored_too(examinee_client, django_capture_on_commit_callbacks):
    attempt, config = start_mock(examinee_client)
    answers, expected = crafted(attempt)
    post = {"device": config["device"], "responses": [{"slot": s, "value": v, "seq": n}
                                                      for n, (s, v) in enumerate(answers.items(), start=1)]}
    assert examinee_client.post(config["saveUrl"], post, content_type="application/json").status_code == 200
    apps.get_model("delivery", "Attempt").objects.filter(pk=attempt.pk).update(
        deadline_at=now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert attempts_close_due() == 1
    assert AttemptScore.objects.get(attempt_id=attempt.pk).objective_points == sum(expected.values())


# -- the result page ------------------------------------------------------------------------------------------

def test_the_result_page(examinee_client, scored):
    attempt, _answers, expected = scored
    total = sum(expected.values())
    page = english(examinee_client).get(f"/me/mocks/{attempt.code}/")
    assert page.status_code == 200
    assert next(t.name for t in page.templates) == "scoring/mock_result.html"
    assert (page.context["pass_line"], page.context["pass_percent"], page.context["passed"],
            page.context["provisional"]) == (D("60.00"), 60, total >= 60, False)
    html = page.content.decode()
    assert f'<span data-testid="score">{_shown(total)}</span> / 100</h2>' in html
    assert "Pass line: 60" in html
    assert ("At or above the pass line" if total >= 60 else "Below the pass line") in html


def test_keys_are_shown_in_the_candidates_own_option_letters(examinee_client, scored):
    attempt, answers, expected = scored
    paper = exams.paper_get(attempt.paper_id)
    reviews = itembank.versions_review(item["version_id"] for item in paper.items)
    articles = _articles(english(examinee_client).get(f"/me/mocks/{attempt.code}/").content.decode())
    assert list(articles) == attempt.order["slots"]  # in the order the candidate saw them
    moved = 0
    for item in paper.items:
        slot, review, article = item["slot"], reviews[item["version_id"]], articles[item["slot"]]
        [shown_key] = re.findall(r'<dd data-testid="key">(.*?)</dd>', article)
        if item["item_type"] == "true_false":
            assert shown_key == ("True" if review.key == ("true",) else "False")
        else:
            order = attempt.order["options"][slot]
            letters = "".join(sorted(chr(ord("A") + order.index(k)) for k in review.key))
            assert shown_key == letters
            natural = [o["id"] for o in item["payload"]["options"]]
            moved += letters != "".join(sorted(chr(ord("A") + natural.index(k)) for k in review.key))
            # The options are listed in the candidate's order, the key ones marked.
            listed = re.findall(r'<li class="(is-key)?"><span class="option-label">([A-Z])\.</span>', article)
            assert [letter for _mark, letter in listed] == [chr(ord("A") + i) for i in range(len(order))]
            assert {letter for mark, letter in listed if mark} == set(letters)
            given = answers.get(slot)
            [your] = re.findall(r"<dt>Your answer</dt><dd>(.*?)</dd>", article)
            if given is None:
                assert your == '<span class="muted">Not answered</span>'
            else:
                given = [given] if isinstance(given, str) else given
                assert your == "".join(sorted(chr(ord("A") + order.index(v)) for v in given))
        assert review.explanation_html and review.explanation_html in article
        points = expected[slot]
        assert f"{_shown(points)} / " in article
    assert moved > 0  # the shuffle really moved keys, so the letters above were not the paper's


def test_the_gap_report_puts_the_weakest_area_first_with_its_lessons(examinee_client, scored):
    attempt, _answers, expected = scored
    paper = exams.paper_get(attempt.paper_id)
    by_area: dict[str, list[D]] = {}
    for item in paper.items:
        totals = by_area.setdefault(item["area_code"], [D(0), D(0), 0, 0])
        totals[0] += expected[item["slot"]]
        totals[1] += D(item["points"])
        totals[2] += 1
        totals[3] += expected[item["slot"]] < D(item["points"])
    rate = {area: (t[0] / t[1]).quantize(D("0.0001")) for area, t in by_area.items()}
    weakest_first = sorted(by_area, key=lambda area: (rate[area], area))
    assert len(weakest_first) == 3
    lessons = catalog.lessons_for_areas("aigc-general", weakest_first)
    page = english(examinee_client).get(f"/me/mocks/{attempt.code}/")
    areas = page.context["areas"]
    assert [(a.code, a.awarded, a.maximum, a.items, a.wrong, a.below) for a in areas] == [
        (area, *by_area[area], rate[area] < D("0.6")) for area in weakest_first]
    assert [a.percent for a in areas] == [int((rate[area] * 100).quantize(D(1), rounding=ROUND_HALF_UP))
                                          for area in weakest_first]
    assert [[lesson.code for lesson in a.lessons] for a in areas] == [
        [lesson.code for lesson in lessons[area]] for area in weakest_first]
    with translation.override("en"):
        titles = {s.area_code: s.area_title for s in catalog.standard_items("aigc-general")}
    html = page.content.decode()
    rows = re.findall(r'<tr class="(gap-below)?" data-area="(A\d)">(.*?)</tr>', html, re.S)
    assert [code for _below, code, _row in rows] == weakest_first
    for below, code, row in rows:
        assert bool(below) == (rate[code] < D("0.6"))
        assert f'<th scope="row">{code} {titles[code]}</th>' in row
        links = [lesson.url for lesson in lessons[code]]
        assert len(links) > 5  # the demo syllabus maps many lessons to each area: the first five, then the rest
        assert re.findall(r'<li><a href="([^"]+)">', row) == [
            *links[:5], "/programs/aigc-general/#syllabus-heading"]
        assert f"and {len(links) - 5} more lessons" in row


def test_a_practical_mock_shows_rubrics_and_reference_answers_for_self_review(examinee, examinee_client, take_mock):
    unlock(examinee, "aigc-professional")

    def texts(attempt):
        return {slot: {"essay": "我的方案：先试点。", "program": "print('hi')", "prompt_task": "你是一名<助手>"}[kind]
                for slot, (kind, _detail) in attempt.schema.items() if kind != "work_upload"}

    attempt = take_mock(examinee_client, texts, program_code="aigc-professional")
    score = AttemptScore.objects.get(attempt_id=attempt.pk)
    assert (score.objective_points, score.objective_max, score.paper_max, score.unscored_items) == (
        D("0"), D("0"), D("100"), 8)
    assert set(score.items.values_list("awarded", flat=True)) == {None}
    page = english(examinee_client).get(f"/me/mocks/{attempt.code}/")
    assert page.status_code == 200
    assert (page.context["provisional"], page.context["areas"]) == (True, [])
    html = page.content.decode()
    assert ("8 items are marked by people in the real exam and are not in this score: compare your answers with "
            "the rubrics below.") in html
    paper = exams.paper_get(attempt.paper_id)
    reviews = itembank.versions_review(item["version_id"] for item in paper.items)
    articles = _articles(html)
    for item in paper.items:
        review, article = reviews[item["version_id"]], articles[item["slot"]]
        assert 'class="exam-item review-item is-open"' in html
        assert ("Rubric for self-review" in article) is bool(review.rubric)
        assert bool(review.rubric) is (item["item_type"] != "program")  # programs are judged by their tests
        for criterion in review.rubric:
            assert f'<th scope="row">{escape(criterion.name)}</th>' in article
            for label, _points, description in criterion.levels:
                assert f"<strong>{escape(label)}</strong>" in article
                if description:
                    assert escape(description) in article
        if review.reference:
            assert f'<pre class="answer-pre">{escape(review.reference)}</pre>' in article
        if item["item_type"] != "work_upload":
            assert f'<pre class="answer-pre">{escape(texts(attempt)[item["slot"]])}</pre>' in article
        assert review.explanation_html in article
        assert 'data-testid="key"' not in article  # nothing to show as "the" correct answer
    assert any(reviews[i["version_id"]].reference for i in paper.items)


def test_a_mock_with_unscored_items_gives_no_pass_verdict_yet(examinee, examinee_client, take_mock):
    unlock(examinee, "aigc-professional")
    attempt = take_mock(examinee_client, program_code="aigc-professional")
    page = english(examinee_client).get(f"/me/mocks/{attempt.code}/")
    assert page.context["passed"] is None
    html = page.content.decode()
    assert '<span class="badge">No verdict: part of this paper is marked by people</span>' in html
    assert "Below the pass line" not in html
    assert "At or above the pass line" not in html


def test_before_it_is_scored_the_result_page_says_so(examinee_client, django_capture_on_commit_callbacks):
    attempt, config = start_mock(examinee_client)
    with django_capture_on_commit_callbacks():
        answer_and_submit(examinee_client, config, {})
    page = english(examinee_client).get(f"/me/mocks/{attempt.code}/")
    assert page.status_code == 200
    assert next(t.name for t in page.templates) == "scoring/mock_pending.html"
    html = page.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "Your answers are in and being scored. This page refreshes by itself." in html


def test_the_result_of_an_open_attempt_is_the_player(examinee_client):
    attempt, _config = start_mock(examinee_client)
    response = examinee_client.get(f"/me/mocks/{attempt.code}/")
    assert response.status_code == 302
    assert response["Location"] == f"/exam/{attempt.code}/"


def test_someone_elses_result_is_not_found(scored, make_user):
    attempt, _answers, _expected = scored
    stranger = Client()
    stranger.force_login(unlock(make_user(Role.CANDIDATE)))
    assert stranger.get(f"/me/mocks/{attempt.code}/").status_code == 404
    assert stranger.get(f"/me/mocks/{uuid.uuid4()}/").status_code == 404
    assert Client().get(f"/me/mocks/{attempt.code}/").status_code == 302  # a visitor logs in first


def test_a_formal_attempt_has_no_mock_result_page(examinee_client, scored):
    attempt, _answers, _expected = scored
    apps.get_model("delivery", "Attempt").objects.filter(pk=attempt.pk).update(kind="formal")
    assert examinee_client.get(f"/me/mocks/{attempt.code}/").status_code == 404
