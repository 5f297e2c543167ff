"""The candidate's history of mocks with its trend chart, the wrong-answer notebook (错题本) and its retries, and
the mock section of the personal center."""

import re
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.scoring import api as scoring_api
from aigcert.scoring.models import NotebookEntry
from aigcert.scoring.tests.conftest import (
    GENERAL,
    all_right,
    answer_and_submit,
    english,
    paper_reviews,
    start_mock,
    unlock,
)


def mostly_right(attempt):
    """Everything right but a wrong single choice, a half-right multiple choice, a wrong true/false and an
    unanswered single choice: ({slot: value}, {"wrong"|"half"|"false"|"blank": (slot, version id, review)})."""
    items, reviews = paper_reviews(attempt)
    answers = all_right(attempt)
    by_type: dict[str, list] = {}
    for item in items:
        by_type.setdefault(item["item_type"], []).append((item["slot"], item["version_id"],
                                                          reviews[item["version_id"]], item))
    wrong, blank = by_type["single_choice"][:2]
    half = next(entry for entry in by_type["multiple_choice"] if len(entry[2].key) > 1)
    false = by_type["true_false"][0]
    options = [o["id"] for o in wrong[3]["payload"]["options"]]
    answers[wrong[0]] = next(o for o in options if o != wrong[2].key[0])
    answers[half[0]] = list(half[2].key[:1])
    answers[false[0]] = not answers[false[0]]
    del answers[blank[0]]
    return answers, {"wrong": wrong, "blank": blank, "half": half, "false": false}


@pytest.fixture
def shared_papers(exam_bank):
    """Every 通用级 mock on one shared paper, so that an item missed in one mock comes back in the next."""
    apps.get_model("exams", "Blueprint").objects.filter(program_code=GENERAL, mode="mock", active=True).update(
        paper_mode="shared")


@pytest.fixture
def missed(examinee_client, django_capture_on_commit_callbacks, shared_papers):
    attempt, config = start_mock(examinee_client)
    answers, picked = mostly_right(attempt)
    with django_capture_on_commit_callbacks(execute=True):
        answer_and_submit(examinee_client, config, answers)
    return attempt, answers, picked


def _entry(picked, name) -> NotebookEntry:
    return NotebookEntry.objects.get(version_id=picked[name][1])


# -- the notebook ---------------------------------------------------------------------------------------------

def test_wrong_objective_items_go_to_the_notebook(missed, examinee):
    attempt, answers, picked = missed
    assert apps.get_model("scoring", "AttemptScore").objects.get(attempt_id=attempt.pk).objective_points == D(
        "96.75")  # 100 - 1 (wrong) - 1 (blank) - 0.75 (half of 1.5) - 0.5 (false)
    entries = {e.version_id: (e.candidate_id, e.program_code, e.area_code, e.last_answer, e.wrong_count, e.retries,
                              e.mastered_at) for e in NotebookEntry.objects.all()}
    assert entries == {
        version: (examinee.pk, GENERAL, item["area_code"], answers.get(slot), 1, 0, None)
        for slot, version, _review, item in picked.values()}


def test_the_notebook_lists_what_is_left_to_retry(examinee_client, missed):
    _attempt, _answers, _picked = missed
    page = english(examinee_client).get("/me/notebook/")
    assert page.status_code == 200
    html = page.content.decode()
    assert sorted(re.findall(r'<a href="/me/notebook/([0-9a-f-]+)/">Try again</a>', html)) == sorted(
        str(e.code) for e in NotebookEntry.objects.all())
    assert "answered right since" not in html


def test_a_right_retry_masters_the_item_and_it_leaves_the_list(examinee_client, missed):
    _attempt, _answers, picked = missed
    entry = _entry(picked, "wrong")
    _slot, _version, review, item = picked["wrong"]
    english(examinee_client)
    form = examinee_client.get(f"/me/notebook/{entry.code}/")
    assert form.status_code == 200
    # The retry shows the item in the bank's own option order.
    assert re.findall(r'name="r" value="([^"]+)"', form.content.decode()) == [
        o["id"] for o in item["payload"]["options"]]
    page = examinee_client.post(f"/me/notebook/{entry.code}/", {"r": review.key[0]})
    assert page.status_code == 200
    assert (page.context["right"], page.context["earned"], page.context["possible"]) == (True, D("1.00"), D("1.00"))
    html = page.content.decode()
    assert "Right. This question leaves your notebook." in html
    assert review.explanation_html in html
    entry.refresh_from_db()
    assert (entry.retries, entry.wrong_count, entry.mastered_at is not None) == (1, 1, True)
    notebook = examinee_client.get("/me/notebook/").content.decode()
    assert f"/me/notebook/{entry.code}/" not in notebook
    assert notebook.count(">Try again</a>") == 3
    assert "1 question answered right since." in notebook


def test_a_wrong_retry_keeps_the_item_with_one_more_retry(examinee_client, missed):
    _attempt, _answers, picked = missed
    entry = _entry(picked, "false")
    _slot, _version, review, _item = picked["false"]
    wrong = "false" if review.key == ("true",) else "true"
    page = english(examinee_client).post(f"/me/notebook/{entry.code}/", {"r": wrong})
    assert (page.context["right"], page.context["earned"], page.context["possible"]) == (False, D("0"), D("1.00"))
    html = page.content.decode()
    assert "Not quite. Read the explanation and try again later." in html
    assert f"<dt>Correct answer</dt><dd>{'True' if review.key == ('true',) else 'False'}</dd>" in html
    entry.refresh_from_db()
    assert (entry.retries, entry.wrong_count, entry.mastered_at, entry.last_answer) == (1, 1, None, wrong == "true")
    # Nothing chosen is wrong too.
    examinee_client.post(f"/me/notebook/{entry.code}/", {})
    entry.refresh_from_db()
    assert (entry.retries, entry.mastered_at, entry.last_answer) == (2, None, None)
    assert f"/me/notebook/{entry.code}/" in examinee_client.get("/me/notebook/").content.decode()


def test_half_right_is_not_right(examinee_client, missed):
    _attempt, _answers, picked = missed
    entry = _entry(picked, "half")
    _slot, _version, review, _item = picked["half"]
    page = english(examinee_client).post(f"/me/notebook/{entry.code}/", {"r": list(review.key[:1])})
    assert (page.context["right"], page.context["earned"], page.context["possible"]) == (False, D("1.00"), D("2.00"))
    page = examinee_client.post(f"/me/notebook/{entry.code}/", {"r": list(reversed(review.key))})
    assert (page.context["right"], page.context["earned"]) == (True, D("2.00"))
    entry.refresh_from_db()
    assert (entry.retries, entry.mastered_at is not None) == (2, True)


def test_someone_elses_notebook_entry_is_not_found(missed, make_user):
    _attempt, _answers, picked = missed
    entry = _entry(picked, "wrong")
    stranger = Client()
    stranger.force_login(unlock(make_user(Role.CANDIDATE)))
    assert stranger.get(f"/me/notebook/{entry.code}/").status_code == 404
    assert stranger.post(f"/me/notebook/{entry.code}/", {"r": picked["wrong"][2].key[0]}).status_code == 404
    entry.refresh_from_db()
    assert (entry.retries, entry.mastered_at) == (0, None)
    assert ">Try again</a>" not in stranger.get("/me/notebook/").content.decode()


def test_missed_again_in_a_later_mock_it_comes_back(examinee_client, missed, django_capture_on_commit_callbacks):
    first, answers, picked = missed
    mastered = _entry(picked, "wrong")
    examinee_client.post(f"/me/notebook/{mastered.code}/", {"r": picked["wrong"][2].key[0]})
    mastered.refresh_from_db()
    assert mastered.mastered_at is not None
    second, config = start_mock(examinee_client)
    assert second.paper_id == first.paper_id
    again = all_right(second)
    again[picked["wrong"][0]] = answers[picked["wrong"][0]]  # the same wrong answer as the first time
    with django_capture_on_commit_callbacks(execute=True):
        answer_and_submit(examinee_client, config, again)
    mastered.refresh_from_db()
    assert (mastered.wrong_count, mastered.mastered_at, mastered.retries) == (2, None, 1)
    # Right this time: the notebook keeps what was missed before until it is retried.
    assert _entry(picked, "false").wrong_count == 1
    assert NotebookEntry.objects.filter(mastered_at__isnull=True).count() == 4


# -- history and trend ----------------------------------------------------------------------------------------

def _history_rows(html):
    return re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>[^<]*</td>\s*<td>(.*?)</td>", html, re.S)


def test_history_lists_every_mock_and_draws_the_trend_from_two_on(examinee_client,
                                                                   django_capture_on_commit_callbacks):
    english(examinee_client)
    first, config = start_mock(examinee_client)
    page = examinee_client.get("/me/mocks/").content.decode()
    assert f'<a class="button" href="/exam/{first.code}/">Continue the mock exam in progress</a>' in page
    assert _history_rows(page) == [("1", "In progress")]
    with django_capture_on_commit_callbacks(execute=True):
        answer_and_submit(examinee_client, config, {})  # nothing answered: 0 points
    page = examinee_client.get("/me/mocks/").content.decode()
    assert _history_rows(page) == [("1", "0 / 100")]
    assert f'<a href="/me/mocks/{first.code}/">Result and review</a>' in page
    assert "<polyline" not in page  # one point is no trend
    assert '<button class="button" type="submit">Start a mock exam</button>' in page

    second, config = start_mock(examinee_client)
    with django_capture_on_commit_callbacks(execute=True):
        answer_and_submit(examinee_client, config, all_right(second))
    page = examinee_client.get("/me/mocks/").content.decode()
    assert _history_rows(page) == [("2", "100 / 100"), ("1", "0 / 100")]  # newest first
    assert page.count("<polyline") == 1
    assert '<polyline points="24.0,136.0 536.0,24.0"' in page  # oldest left, 0 at the bottom, 100 at the top
    assert '<line x1="24" x2="536" y1="68.8" y2="68.8"' in page  # the pass line, 60 of 100
    assert re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="4" fill="#1d4ed8"/><text [^>]*>([\d.]+)</text>',
                      page) == [("24.0", "136.0", "0"), ("536.0", "24.0", "100")]


def test_a_mock_being_scored_says_so_in_the_history(examinee_client, django_capture_on_commit_callbacks):
    english(examinee_client)
    _attempt, config = start_mock(examinee_client)
    with django_capture_on_commit_callbacks():
        answer_and_submit(examinee_client, config, {})
    assert _history_rows(examinee_client.get("/me/mocks/").content.decode()) == [("1", "Being scored")]


def test_history_without_programs_or_without_a_mock(client, exam_bank, make_user):
    candidate = make_user(Role.CANDIDATE)
    english(client).force_login(candidate)
    page = client.get("/me/mocks/").content.decode()
    assert "Mock exams open once the deposit for a program is paid." in page
    unlock(candidate, "aigc-mentor")
    page = client.get("/me/mocks/").content.decode()
    assert '<p class="note">No mock exam is set up for this program yet.</p>' in page
    assert "Start a mock exam" not in page


# -- the personal center --------------------------------------------------------------------------------------

def test_the_personal_center_shows_the_mock_section(examinee_client, examinee, missed):
    assert scoring_api.mock_summary(examinee.pk, GENERAL) == (1, D("96.75"), 4)
    assert scoring_api.mock_summary(examinee.pk, "aigc-professional") == (0, None, 0)
    page = english(examinee_client).get("/me/")
    assert page.status_code == 200
    html = page.content.decode()
    section = html.split('id="my-mocks"')[1].split("</section>")[0]
    assert '<form method="post" action="/exam/mock/aigc-general/start/"' in section
    assert "1 mock exam taken" in section
    assert "best 96.75" in section
    assert '<a href="/me/notebook/">4 questions to retry</a>' in section
    assert '<a href="/me/mocks/">History and results</a>' in section
