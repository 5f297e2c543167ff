"""The exam office at phone width in real Chromium: check a formal blueprint, save it, prepare a session's papers
and watch a batch's progress move (core/job-progress.js) until the page reloads. Nothing may make the page wider
than the phone. Screenshots: var/screenshots/exam-*.png."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from aigcert.accounts.api import Role
from aigcert.conftest import log_in, shot
from aigcert.core.api import now
from aigcert.exams import services
from aigcert.exams.models import Blueprint, Paper, PaperBatch
from aigcert.itembank import api as itembank

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_exam_office_on_a_phone(live_server, browser_page, make_user, password):
    call_command("load_catalog", stdout=io.StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    admin = make_user(Role.EXAM_ADMIN)
    admin.email = "exams@example.com"
    admin.save()
    day = timezone.localdate(now()) + timedelta(days=10)
    session = services.sessions_generate(program_code="aigc-general", days=[day], actor=admin, capacity=4)[0]
    page, base = browser_page, live_server.url
    page.set_viewport_size(PHONE)
    log_in(page, base, admin.email, password)

    page.goto(base + "/staff/exams/blueprints/")
    assert _fits(page)
    shot(page, "exam-01-blueprints-phone")

    # A formal blueprint: too many multiple-choice items first, then the right mix.
    page.goto(base + "/staff/exams/blueprints/new/?program=aigc-general&mode=formal")
    page.locator("#id_name").fill("通用级正式卷")
    page.locator("#id_paper_mode").select_option("per_candidate")
    for n, (item_type, count, points) in enumerate((("single_choice", "40", "1"), ("multiple_choice", "100", "2"),
                                                    ("true_false", "20", "1"))):
        page.locator(f"#id_section_{n}_type").select_option(item_type)
        page.locator(f"#id_section_{n}_count").fill(count)
        page.locator(f"#id_section_{n}_points").fill(points)
    for n, area in enumerate(("A1", "A2", "A3")):
        page.locator(f"#id_area_{n}_code").select_option(area)
        page.locator(f"#id_area_{n}_min").fill("15")
    page.locator("#id_exposure_cap").fill("0.5")
    page.locator("#check").click()
    page.wait_for_load_state()
    assert page.locator("#reasons li").count() == 1  # the points: rules come before the bank
    assert _fits(page)
    shot(page, "exam-02-blueprint-reasons-phone")
    page.locator("#id_section_1_count").fill("20")
    page.locator("#check").click()
    page.wait_for_load_state()
    assert page.locator("#reasons").count() == 0 and page.locator("#summary").is_visible()
    assert _fits(page)
    shot(page, "exam-03-blueprint-summary-phone")
    page.locator("#save").click()
    page.wait_for_load_state()
    assert page.url.endswith("/staff/exams/blueprints/?program=aigc-general")
    assert Blueprint.objects.get(active=True, mode="formal").name == "通用级正式卷"
    assert _fits(page)
    shot(page, "exam-04-blueprint-saved-phone")

    # The session's papers: three fresh papers, made in the background.
    url = f"{base}/staff/exams/sessions/{session.code}/papers/"
    page.goto(url)
    assert _fits(page)
    page.locator("#id_count").fill("3")
    page.locator("#prepare-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#paper-count").inner_text() == "3" and Paper.objects.count() == 3
    shot(page, "exam-05-session-papers-phone")

    # A batch in progress (as a worker would leave it half-way): the page polls it and reloads when it ends.
    blueprint = Blueprint.objects.get(active=True, mode="formal")
    batch = PaperBatch.objects.create(session=session, blueprint=blueprint, papers_before=3, requested=4, done=1,
                                      status=PaperBatch.Status.RUNNING)
    page.goto(url)
    assert page.locator("#import-job").get_attribute("data-finished") == "0"
    PaperBatch.objects.filter(pk=batch.pk).update(done=3)
    page.wait_for_function("document.getElementById('import-count').textContent.trim() === '3 / 4'")
    assert page.locator("#import-progress").evaluate("bar => bar.value") == 75
    shot(page, "exam-06-batch-progress-phone")
    PaperBatch.objects.filter(pk=batch.pk).update(status=PaperBatch.Status.FAILED, error="题库中的题目不够")
    page.wait_for_selector("#batch-reasons")
    assert page.locator("#batch-reasons li").inner_text() == "题库中的题目不够"
    assert _fits(page)
