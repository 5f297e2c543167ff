"""A candidate's study day in real Chromium: open a lesson, ask the AI tutor in Chinese and follow its citation,
complete the lesson, start the learning path, do a practice set and find the missed question in the wrong-answer
notebook. Screenshots: var/screenshots/learning-*.png."""

import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command

from aigcert.accounts.api import Role
from aigcert.conftest import log_in, shot
from aigcert.itembank import api as itembank
from aigcert.learning import api as learning
from aigcert.tutor import api as tutor

pytestmark = pytest.mark.browser
GENERAL = "aigc-general"


def _setup(make_user):
    call_command("load_catalog", stdout=io.StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    learning.demo_lessons_load()
    tutor.demo_index_build()
    candidate = make_user(Role.CANDIDATE)
    apps.get_model("enrolment", "Enrolment").objects.create(candidate=candidate, program_code=GENERAL,
                                                            state="deposit_paid")
    return candidate


def _wrong_choice(form) -> None:
    """Answer the practice question in ``form`` wrongly, knowing its key (the test reads it; the page never has it)."""
    version = int(form.locator("input[name=version]").get_attribute("value"))
    review = itembank.versions_review([version])[version]
    inputs = form.locator(".exam-options input")
    if inputs.count() == 0:  # a fill-in item
        form.locator("input.blank-input").first.fill("完全错误的答案")
        return
    for n in range(inputs.count()):
        value = inputs.nth(n).get_attribute("value")
        wrong = value not in review.key if review.item_type != "true_false" else value != review.key[0]
        if wrong:
            inputs.nth(n).check()
            return


@pytest.mark.django_db(transaction=True)
def test_lesson_tutor_citation_completion_path_practice_notebook(live_server, browser_page, make_user, password):
    candidate = _setup(make_user)
    page, base = browser_page, live_server.url
    log_in(page, base, candidate.phone, password)

    # The course, then a lesson from its outline.
    page.goto(f"{base}/learn/{GENERAL}/")
    page.get_by_role("link", name=re.compile("早期AIGC的尝试：GAN")).click()
    page.wait_for_url(f"{base}/learn/{GENERAL}/L04/")
    assert page.locator("article.lesson-body h2#s-1").is_visible()
    shot(page, "learning-01-lesson")

    # The tutor answers in Chinese, quoting the course (no language model is configured), with citations.
    page.locator("#tutor-text").fill("GAN里的判别器是干什么的？")
    page.locator(".tutor-form button[type=submit]").click()
    answer = page.locator(".tutor-log .tutor-msg-tutor[data-mode=quotes]")
    answer.locator(".tutor-citations a").first.wait_for()
    assert "判别器" in answer.locator(".tutor-text").inner_text()
    shot(page, "learning-02-tutor")
    citation = answer.locator(".tutor-citations a").first
    href = citation.get_attribute("href")
    assert re.fullmatch(rf"/learn/{GENERAL}/L\d\d/#s-\d", href)
    citation.click()
    page.wait_for_url(f"{base}{href}")
    anchor = href.split("#")[1]
    assert page.locator(f"h2#{anchor}").is_visible()
    assert page.evaluate("() => location.hash") == f"#{anchor}"
    shot(page, "learning-03-citation")

    # Complete the lesson; the course shows the progress.
    page.goto(f"{base}/learn/{GENERAL}/L04/")
    page.locator("form[action$='/L04/complete/'] button").click()
    page.wait_for_url(f"{base}/learn/{GENERAL}/L05/")
    page.goto(f"{base}/learn/{GENERAL}/L04/")
    assert page.locator("[data-testid=lesson-completed]").is_visible()
    page.goto(f"{base}/learn/{GENERAL}/")
    assert page.locator("[data-testid=course-percent]").inner_text().startswith("2%")

    # Start the learning path.
    page.goto(f"{base}/learn/path/aigc-roadmap/")
    page.locator("form.form-card button[type=submit]").click()
    standing = page.locator("[data-testid=plan-standing]")
    standing.wait_for()
    assert apps.get_model("learning", "PathPlan").objects.filter(candidate=candidate).exists()
    shot(page, "learning-04-path")

    # A practice set by standard area: miss the first question, see the explanation.
    page.goto(f"{base}/learn/{GENERAL}/#practice")
    page.locator("#scope").select_option("area:A1")
    page.locator("#practice button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/learn/practice/[0-9a-f-]+/$"))
    first = page.locator("section.review-item form").first
    version = int(first.locator("input[name=version]").get_attribute("value"))
    _wrong_choice(first)
    first.locator("button[type=submit]").click()
    missed = page.locator(f"#item-{version}")
    missed.locator(".message-error").wait_for()
    assert missed.locator(".explanation").is_visible()
    shot(page, "learning-05-practice")

    # The missed question is in the wrong-answer notebook.
    page.goto(f"{base}/me/notebook/")
    entry = apps.get_model("scoring", "NotebookEntry").objects.get(candidate=candidate, version_id=version)
    assert page.locator(f"a[href='/me/notebook/{entry.code}/']").is_visible()
    shot(page, "learning-06-notebook")
