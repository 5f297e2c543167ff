"""The exam player in real Chromium: a full 通用级 mock exam (answer, flag, navigate, reload, go offline, submit)
ending on the gap report, and the player at phone width and at 200% zoom. Screenshots: var/screenshots/mock-*.png.
"""

import io
import re
import time
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import F

from aigcert.accounts.api import Role
from aigcert.conftest import log_in, shot
from aigcert.delivery.models import Attempt, Response
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank

pytestmark = pytest.mark.browser


def _setup(make_user):
    call_command("load_catalog", stdout=io.StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    exams.demo_blueprints_load(actor=make_user(Role.EXAM_ADMIN))
    candidate = make_user(Role.CANDIDATE)
    apps.get_model("enrolment", "Enrolment").objects.create(candidate=candidate, program_code="aigc-general",
                                                            state="deposit_paid")
    return candidate


def _visible_item(page):
    return page.locator(".player-item:not([hidden])")


def _answer_current(page, pick: int = 0) -> str:
    """Answer the item on screen by clicking one of its options; returns its slot."""
    item = _visible_item(page)
    slot = item.get_attribute("data-slot")
    options = item.locator(".exam-options input")
    if item.get_attribute("data-type") == "multiple_choice":
        options.nth(pick % options.count()).check()
        options.nth((pick + 1) % options.count()).check()
    else:
        options.nth(pick % options.count()).check()
    return slot


def _seconds(timer_text: str) -> int:
    parts = [int(p) for p in timer_text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) == 3 else parts[0] * 60 + parts[1]


def _saved(attempt) -> dict:
    return {r.slot: r for r in Response.objects.filter(attempt=attempt)}


def _wait_saved(page):
    page.wait_for_function("document.getElementById('save-status').dataset.state === 'saved'")


@pytest.mark.django_db(transaction=True)
def test_full_mock_exam_with_reload_offline_and_gap_report(live_server, browser_page, make_user, password):
    candidate = _setup(make_user)
    page, base = browser_page, live_server.url
    log_in(page, base, candidate.phone, password)

    # Start from the personal center: the player opens on question 1 of 100 with the server's deadline.
    page.goto(base + "/me/")
    page.locator("#my-mocks button[type=submit]").first.click()
    page.wait_for_selector(".player-item:not([hidden])")
    attempt = Attempt.objects.get(candidate=candidate)
    assert page.locator(".player-item").count() == 100
    assert page.locator("#position").inner_text() == "1 / 100"
    shot(page, "mock-01-player")

    # Answer five items with Next, flag the third, then jump back to it with the navigator.
    answered = []
    for n in range(5):
        answered.append(_answer_current(page, n))
        if n == 2:
            _visible_item(page).locator(".flag-input").check()
        page.locator("[data-next]").click()
    assert page.locator("#position").inner_text() == "6 / 100"
    page.locator(f"#nav-{answered[2]}").click()
    assert _visible_item(page).get_attribute("data-slot") == answered[2]
    nav = page.locator(f"#nav-{answered[2]}")
    assert "is-answered" in nav.get_attribute("class") and "is-flagged" in nav.get_attribute("class")
    assert "flagged" in nav.get_attribute("aria-label") or "标记" in nav.get_attribute("aria-label")
    page.keyboard.press("Alt+N")
    assert _visible_item(page).get_attribute("data-slot") == answered[3]
    _wait_saved(page)
    saved = _saved(attempt)
    assert set(saved) == set(answered) and saved[answered[2]].flagged
    shot(page, "mock-02-answered-flagged")

    # Reload: every answer and flag is back, and the clock shows the same remaining time (from the deadline).
    before = _seconds(page.locator("#timer").inner_text())
    stamp = time.monotonic()
    page.reload()
    page.wait_for_selector(".player-item:not([hidden])")
    after = _seconds(page.locator("#timer").inner_text())
    elapsed = time.monotonic() - stamp
    assert before - elapsed - 2 <= after <= before
    for slot in answered:
        assert "is-answered" in page.locator(f"#nav-{slot}").get_attribute("class")
    assert page.locator(f"#item-{answered[2]} .flag-input").is_checked()
    for slot, response in _saved(attempt).items():
        checked = page.locator(f"#item-{slot} .exam-options input:checked")
        values = sorted(checked.evaluate_all("els => els.map(e => e.value)"))
        expected = response.value if isinstance(response.value, list) else [str(response.value).lower()
                                                                          if isinstance(response.value, bool)
                                                                          else response.value]
        assert values == sorted(expected)
    attempt.refresh_from_db()
    assert Attempt.objects.get(pk=attempt.pk).deadline_at == attempt.deadline_at

    # Offline: three answers stay on the device (nothing reaches the server), then arrive when back online.
    page.locator("#nav-" + page.locator(".nav-item:not(.is-answered)").first.get_attribute("data-goto")).click()
    page.context.set_offline(True)
    offline = []
    for n in range(3):
        offline.append(_answer_current(page, n + 1))
        page.locator("[data-next]").click()
    page.wait_for_function("document.getElementById('save-status').dataset.state === 'offline'")
    shot(page, "mock-03-offline")
    assert not set(offline) & set(_saved(attempt))
    page.context.set_offline(False)
    _wait_saved(page)
    saved = _saved(attempt)
    assert set(offline) <= set(saved)

    # Answer the rest with the navigator and submit: the result page has the score and the gap report.
    for slot in page.locator(".nav-item:not(.is-answered)").evaluate_all("els => els.map(e => e.dataset.goto)"):
        page.locator(f"#nav-{slot}").click()
        _answer_current(page, 0)
    _wait_saved(page)
    assert len(_saved(attempt)) == 100
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#submit-button").click()
    page.wait_for_url(re.compile(r"/me/mocks/"))
    page.wait_for_selector("[data-testid=score]", timeout=30_000)
    attempt.refresh_from_db()
    assert attempt.state == "submitted" and attempt.answered_count == 100
    score = apps.get_model("scoring", "AttemptScore").objects.get(attempt=attempt)
    assert Decimal(page.locator("[data-testid=score]").inner_text()) == score.objective_points
    rows = page.locator(".gap-report tbody tr")
    assert rows.count() == 3
    rates = [int(rows.nth(i).locator("strong").inner_text().rstrip("%")) for i in range(3)]
    assert rates == sorted(rates)
    assert page.locator(".gap-report .lesson-links a").count() > 0
    assert page.locator("[data-testid=key]").count() == 100
    shot(page, "mock-04-result-gap-report")

    # The history shows the attempt; the wrong answers wait in the notebook.
    page.goto(base + "/me/mocks/")
    assert page.locator("table tbody tr").count() == 1
    page.goto(base + "/me/notebook/")
    wrong = score.items.filter(awarded__lt=F("max_points")).count()
    assert page.locator("table tbody tr").count() == wrong
    shot(page, "mock-05-notebook")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport,scale,name", [({"width": 390, "height": 844}, 3, "phone"),
                                                 ({"width": 640, "height": 450}, 2, "zoom200")])
def test_player_on_a_phone_and_at_200_percent_zoom(live_server, browser_page, make_user, password, viewport, scale,
                                                    name):
    """200% zoom on a 1280×900 window is a 640×450 CSS viewport; a phone is 390 wide. Nothing may overflow
    sideways, and the timer, save status, navigator and answer controls stay usable."""
    candidate = _setup(make_user)
    context = browser_page.context.browser.new_context(viewport=viewport, device_scale_factor=scale,
                                                       is_mobile=name == "phone", has_touch=name == "phone")
    page = context.new_page()
    try:
        base = live_server.url
        log_in(page, base, candidate.phone, password)
        page.goto(base + "/me/mocks/")
        page.locator("form[action*='/exam/mock/'] button[type=submit]").click()
        page.wait_for_selector(".player-item:not([hidden])")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"page is {width}px wide in a {viewport['width']}px viewport"
        assert page.locator("#timer").is_visible() and page.locator("#submit-button").is_visible()
        slot = _answer_current(page)
        _wait_saved(page)
        assert slot in _saved(Attempt.objects.get(candidate=candidate))
        page.locator("[data-next]").tap() if name == "phone" else page.locator("[data-next]").click()
        assert page.locator("#position").inner_text() == "2 / 100"
        shot(page, f"mock-06-{name}")
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_practical_mock_with_essay_code_prompt_and_upload(live_server, browser_page, make_user, password, tmp_path):
    """专业级's practical mock puts every item on one page: essays, code (Tab indents), prompts and work uploads
    (a PDF handed in; a file whose bytes don't match its name refused). The result shows rubrics and references."""
    candidate = _setup(make_user)
    apps.get_model("enrolment", "Enrolment").objects.create(candidate=candidate, program_code="aigc-professional",
                                                            state="deposit_paid")
    page, base = browser_page, live_server.url
    log_in(page, base, candidate.phone, password)
    page.goto(base + "/me/mocks/")
    page.locator("form[action='/exam/mock/aigc-professional/start/'] button").click()
    page.wait_for_selector(".player-item")
    attempt = Attempt.objects.get(candidate=candidate, program_code="aigc-professional")
    assert page.locator(".player-item").count() == 8
    assert page.locator(".player-item[hidden]").count() == 0  # all on one page
    assert page.locator("[data-pager]").is_hidden()

    essay = page.locator(".player-item[data-type=essay] textarea").first
    essay.fill("我的方案：先做需求分析，再选工具，最后试点。")
    assert page.locator(".player-item[data-type=essay] [data-word-count]").first.inner_text() == "18"
    code = page.locator(".player-item[data-type=program] textarea.code").first
    code.fill("")
    code.type("def f(x):")
    code.press("Enter")
    code.press("Tab")
    code.type("return x * 2")
    page.locator(".player-item[data-type=prompt_task] textarea").first.fill("你是一名资深文案，请为新品写三条标题。")

    upload_item = page.locator(".player-item[data-type=work_upload]").first
    upload_slot = upload_item.get_attribute("data-slot")
    fake = tmp_path / "work.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n not really a pdf")
    upload_item.locator("input[type=file]").set_input_files(str(fake))
    status = f"#item-{upload_slot} [data-upload-status]"
    page.wait_for_function(f"document.querySelector('{status}').textContent.length > 12")
    assert upload_slot not in _saved(attempt)
    pdf = tmp_path / "方案.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a small work\n")
    upload_item.locator("input[type=file]").set_input_files(str(pdf))
    page.wait_for_function(f"document.querySelector('#nav-{upload_slot}').classList.contains('is-answered')")
    _wait_saved(page)
    saved = _saved(attempt)
    program_slot = page.locator(".player-item[data-type=program]").first.get_attribute("data-slot")
    assert saved[program_slot].value == "def f(x):\n    return x * 2"
    assert saved[upload_slot].value["name"] == "方案.pdf"
    shot(page, "mock-07-practical")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#submit-button").click()
    page.wait_for_selector("[data-testid=score]", timeout=30_000)
    programs = page.locator(".review-item[data-type=program]")
    assert programs.count() == 2 and page.locator("table.rubric").count() == 6  # code is judged by tests, not a rubric
    assert programs.locator("details summary").count() == 2  # the reference solution, for self-review
    shot(page, "mock-08-practical-result")


@pytest.mark.django_db(transaction=True)
def test_opening_the_exam_on_another_device_tells_the_first_one(live_server, browser_page, make_user, password):
    """Resume elsewhere: the second window has every answer; the first one is told it was superseded, stops
    saving, and offers to take the exam back."""
    candidate = _setup(make_user)
    first, base = browser_page, live_server.url
    log_in(first, base, candidate.phone, password)
    first.goto(base + "/me/mocks/")
    first.locator("form[action*='/exam/mock/'] button[type=submit]").click()
    first.wait_for_selector(".player-item:not([hidden])")
    slot = _answer_current(first)
    _wait_saved(first)

    second = first.context.new_page()  # same login, another window (or, with the same session, another device)
    second.goto(first.url)
    second.wait_for_selector(".player-item:not([hidden])")
    assert "is-answered" in second.locator(f"#nav-{slot}").get_attribute("class")

    first.locator("[data-next]").click()
    _answer_current(first)
    first.wait_for_selector("#blocker:not([hidden])")
    assert "another window or on another device" in first.locator("#blocker-text").inner_text() or \
        "其他窗口或设备" in first.locator("#blocker-text").inner_text()
    assert len(_saved(Attempt.objects.get(candidate=candidate))) == 1  # the superseded window wrote nothing
    shot(first, "mock-09-superseded")
    second.close()
