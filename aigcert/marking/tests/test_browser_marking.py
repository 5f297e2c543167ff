"""Marking and results in real Chromium, five people at five browsers: two markers mark a 专业级 session's essays
(they agree on one and disagree on the other), the chief marker takes the disagreement as third marker and sides with
one of them; the exam admin releases the results early, with a reason; the candidate sees the score, the sections and
the standard areas, and asks for a re-check of the essays; the chief marker corrects one essay's mark with a reason,
and the candidate sees the outcome. Screenshots: var/screenshots/marking-*.png."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command

from aigcert.accounts.api import Role
from aigcert.conftest import log_in, shot
from aigcert.core.api import audit_events, now
from aigcert.exam_fixtures import PROFESSIONAL, answer_for, seat_make, session_make, sit_formal
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.marking import services
from aigcert.marking.models import MarkingItem, Recheck, Script
from aigcert.scoring import api as scoring

pytestmark = pytest.mark.browser


def _arrange(make_user, make_profile):
    """A 专业级 session that one candidate sat, scored; its prompt tasks and uploads already marked (this journey is
    about the essays). Committed rows: the live server must see them."""
    call_command("load_catalog", stdout=io.StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    admin = make_user(Role.EXAM_ADMIN)
    exams.demo_blueprints_load(actor=admin)
    session = session_make(program_code=PROFESSIONAL, admin=admin, start_in=-timedelta(minutes=2),
                           duration_minutes=90, capacity=10)
    candidate = make_profile(make_user(Role.CANDIDATE), legal_name="张安", id_number="110101199003071233").user
    seat_make(session, candidate, ticket="T0001")
    attempt = sit_formal(session, candidate, admin=admin, answer=answer_for)
    scoring.session_scoring_request(session_code=str(session.code), actor=admin)
    helpers = (make_user(Role.MARKER), make_user(Role.MARKER))
    for item in MarkingItem.objects.filter(session_code=str(session.code)).exclude(item_type="essay"):
        for marker in helpers:
            mark = services.script_take(item_code=item.code, marker=marker)
            services.mark_submit(mark_code=mark.code, marker=marker, scores=_scores(item, Decimal("0.8")))
    return session, admin, candidate, attempt


def _scores(item, share: Decimal) -> list[tuple[str, str]]:
    return [(str(_points(maximum, share, item.step)), "") for maximum in services.criterion_maxima(item.rubric)]


def _points(maximum: Decimal, share: Decimal, step: Decimal) -> Decimal:
    return (maximum * share / step).to_integral_value(rounding="ROUND_FLOOR") * step


def _person(browser_page, base, user, password, *, first=False):
    if first:
        page = browser_page
    else:
        context = browser_page.context.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
    page.context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": base}])
    log_in(page, base, user.phone, password)
    return page


def _mark_in_browser(page, base, item: MarkingItem, share: Decimal, comment: str) -> str:
    """Take the item's next script from the queue page and mark every criterion at ``share``; the script's label."""
    page.goto(f"{base}/marking/")
    page.locator(f"tr[data-item='{item.code}'] button[type=submit]").click()
    page.wait_for_url("**/marking/marks/**")
    label = page.locator("h1").inner_text().split()[-1]
    for index, maximum in enumerate(services.criterion_maxima(item.rubric)):
        page.locator(f"input[name=points_{index}]").fill(str(_points(maximum, share, item.step)))
        page.locator(f"input[name=comment_{index}]").fill(comment)
    page.get_by_role("button", name="Submit the mark", exact=True).click()
    page.wait_for_url(f"{base}/marking/")
    return label


@pytest.mark.django_db(transaction=True)
def test_markers_mark_a_third_marker_settles_results_release_and_a_recheck_is_resolved(
        live_server, browser_page, make_user, make_profile, password):
    base = live_server.url
    session, admin, candidate, attempt = _arrange(make_user, make_profile)
    first, second = (make_profile(make_user(Role.MARKER), legal_name=name, id_number=number).user for name, number in
                     (("王评", "110101198001011237"), ("李评", "110101198102021238")))
    chief = make_profile(make_user(Role.CHIEF_MARKER), legal_name="赵仲裁", id_number="110101197503031230").user
    essays = list(MarkingItem.objects.filter(session_code=str(session.code), item_type="essay").order_by("pk"))
    agreed_item, disputed_item = essays

    # Two markers, each at their own browser, mark both essays blind.
    one = _person(browser_page, base, first, password, first=True)
    label = _mark_in_browser(one, base, agreed_item, Decimal("0.6"), "结构清楚，论证尚可")
    page_text = one.content()
    assert "张安" not in page_text and "T0001" not in page_text
    _mark_in_browser(one, base, disputed_item, Decimal("0.2"), "要点缺失")
    shot(one, "marking-01-first-marker-queue")
    two = _person(browser_page, base, second, password)
    assert _mark_in_browser(two, base, agreed_item, Decimal("0.65"), "同意") == label
    _mark_in_browser(two, base, disputed_item, Decimal("0.9"), "方案完整")
    shot(two, "marking-02-second-marker-queue")
    agreed = Script.objects.get(item=agreed_item)
    disputed = Script.objects.get(item=disputed_item)
    assert (agreed.state, agreed.reason) == ("done", "agreed")
    assert (disputed.state, disputed.reason) == ("third", "disagreed")

    # The chief marker sees the session's progress and the markers, and takes the disputed essay as third marker.
    boss = _person(browser_page, base, chief, password)
    boss.goto(f"{base}/marking/sessions/{session.code}/")
    assert "王评" in boss.locator("#markers").inner_text() and "李评" in boss.locator("#markers").inner_text()
    shot(boss, "marking-03-chief-session-overview")
    _mark_in_browser(boss, base, disputed_item, Decimal("0.85"), "与第二评一致")
    disputed.refresh_from_db()
    assert (disputed.state, disputed.reason) == ("done", "agreed")
    results = apps.get_model("results", "SessionResults").objects.get(session_code=str(session.code))
    assert results.state == "ready" and results.release_at > now()

    # Before the release the candidate sees when, not what.
    me = _person(browser_page, base, candidate, password)
    me.goto(f"{base}/me/results/")
    assert "Your result will be published on" in me.locator("#my-results").inner_text()
    shot(me, "marking-04-candidate-before-release")

    # The exam admin releases early, with a reason.
    office = _person(browser_page, base, admin, password)
    office.goto(f"{base}/office/results/{session.code}/")
    office.locator("#release-form input[name=reason]").fill("考务委员会决定提前发布")
    office.locator("#release-form button[type=submit]").click()
    office.wait_for_load_state()
    assert "Results released" in office.locator("#results-state").inner_text()
    shot(office, "marking-05-office-released")

    # The candidate sees the score, the sections and the areas, and asks for a re-check.
    me.goto(f"{base}/me/results/")
    me.locator("#my-results a.button").click()
    me.wait_for_url("**/me/results/**")
    result = apps.get_model("results", "Result").objects.get(attempt_code=str(attempt.code))
    assert f"{result.total:.2f}".rstrip("0").rstrip(".") in me.locator("#result-total").inner_text()
    sections = me.locator("#result-sections").inner_text()
    assert ("Essay" in sections and "Programming" in sections) or "essay" in sections.lower()
    assert me.locator("#result-areas tbody tr").count() >= 1
    shot(me, "marking-06-candidate-result")
    me.locator("#recheck-form textarea[name=reason]").fill("第二道论述题的评分似乎偏低，请复核。")
    me.locator("#recheck-form button[type=submit]").click()
    me.wait_for_load_state()
    assert "Being re-checked" in me.content()
    recheck = Recheck.objects.get()

    # The chief marker corrects the disputed essay's mark, with a reason.
    boss.goto(f"{base}/marking/rechecks/")
    boss.locator("#rechecks a").first.click()
    boss.wait_for_url(f"**/marking/rechecks/{recheck.code}/")
    before = result.total
    prefix = f"{disputed.label}_"
    boss.locator(f"input[name=change_{disputed.label}]").check()
    for index, maximum in enumerate(services.criterion_maxima(disputed_item.rubric)):
        boss.locator(f"input[name=points_{prefix}{index}]").fill(str(maximum))
    boss.locator("textarea[name=resolution]").fill("经复核，第二道论述题按细则应得满分，已更正。")
    shot(boss, "marking-07-chief-recheck")
    boss.locator("#recheck-form button[type=submit]").click()
    boss.wait_for_url(f"{base}/marking/rechecks/")
    result.refresh_from_db()
    assert result.total > before
    me.reload()
    assert "经复核，第二道论述题按细则应得满分，已更正。" in me.content()
    assert "Score corrected" in me.content()
    shot(me, "marking-08-candidate-after-recheck")
    assert [e.data["outcome"] for e in audit_events(action="marking.recheck_resolve")] == ["corrected"]
