"""Exam day in real Chromium, with four people at four browsers: the exam admin sets the session up (a proctor
admits each check-in, no unlock spread, the assigned proctor), two candidates check in and wait, the proctor admits
them, the session unlocks and both players start by themselves; one candidate gets 10 minutes extra time and
submits, the other is paused and resumed, answers, and never presses submit: their connection drops before the
deadline and the server's finalizer (the `finalize` command, run every second while the browsers wait) closes
their exam. The proctor console shows every step. Screenshots: var/screenshots/exam-day-*.png.

A second test pins down what happens when the player's page is still open at the deadline (see its docstring)."""

import io
import re
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction

from aigcert.accounts.api import Role
from aigcert.conftest import log_in, shot
from aigcert.core.api import audit_events, now
from aigcert.delivery.models import Attempt, CheckIn, ProctorAction, Response, SessionDesk
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank

pytestmark = pytest.mark.browser

GENERAL = "aigc-general"
DURATION_MINUTES = 2
# Time enough to set the desk, check in, admit both and let each waiting room hear of it (its poll runs every 15–25 s
# while it waits for the proctor) before the unlock.
UNLOCK_IN = timedelta(seconds=75)
GRACE = 2


# -- arranging (committed rows: the live server's requests must see them on PostgreSQL too) ---------------------

def _bank(make_user):
    call_command("load_catalog", stdout=io.StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    exams.demo_blueprints_load(actor=make_user(Role.EXAM_ADMIN))


def _session(admin, *, start_in: timedelta, duration_minutes: int):
    """A formal 通用级 session with its papers frozen (as the `formal_day` fixture makes one, but committed)."""
    start = now() + start_in
    session = apps.get_model("exams", "Session").objects.create(
        program_code=GENERAL, sitting_code="am", sitting_label_zh="上午场", sitting_label_en="Morning",
        start_at=start, duration_minutes=duration_minutes, capacity=10,
        booking_opens_at=start - timedelta(days=30), booking_closes_at=start - timedelta(days=3))
    with transaction.atomic():  # the freezing task runs once this commits
        exams.session_papers_prepare(session_code=str(session.code), actor=admin)
    assert exams.session_papers(str(session.code))
    return session


def _seat(session, user, ticket: str):
    enrolment = apps.get_model("enrolment", "Enrolment").objects.create(candidate=user, program_code=GENERAL,
                                                                        state="booked")
    apps.get_model("enrolment", "Booking").objects.create(enrolment=enrolment, session=session, status="confirmed",
                                                          ticket_number=ticket)
    return user


def _context(page, base):
    """Another person at another browser (English pages)."""
    context = page.context.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": base}])
    other = context.new_page()
    other.set_default_timeout(15_000)
    return other


# -- the player -------------------------------------------------------------------------------------------------

def _visible_item(page):
    return page.locator(".player-item:not([hidden])")


def _answer_and_next(page) -> str:
    """Answer the item on screen with its first option(s) and go to the next one; returns the slot answered."""
    item = _visible_item(page)
    slot = item.get_attribute("data-slot")
    item.locator(".exam-options input").first.check()
    page.locator("[data-next]").click()
    return slot


def _wait_saved(page):
    page.wait_for_function("document.getElementById('save-status').dataset.state === 'saved'")


def _seconds(timer_text: str) -> int:
    parts = [int(p) for p in timer_text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) == 3 else parts[0] * 60 + parts[1]


def _timer(page) -> int:
    return _seconds(page.locator("#timer").inner_text())


def _saved_slots(attempt) -> set[str]:
    return set(Response.objects.filter(attempt=attempt).exclude(value=None).values_list("slot", flat=True))


# -- the proctor console ----------------------------------------------------------------------------------------

def _row(page, ticket):
    return page.locator(f"#console-table tr[data-ticket='{ticket}']")


def _stage(page, ticket) -> tuple[str, str]:
    row = _row(page, ticket)
    return row.get_attribute("data-stage"), row.locator("[data-testid=stage]").inner_text()


def _console(page, url):
    page.goto(url)
    page.wait_for_selector("#console-table")


def _act(page, ticket, kind, reason, minutes=None):
    """A proctor action: the row's button opens the dialog, which takes a reason (and the minutes to add)."""
    _row(page, ticket).locator(f"[data-act={kind}]").click()
    dialog = page.locator("#action-dialog")
    assert dialog.is_visible()
    if minutes is not None:
        assert dialog.locator("input[name=minutes]").is_visible()
        dialog.locator("input[name=minutes]").fill(str(minutes))
    dialog.locator("textarea[name=reason]").fill(reason)
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()
    page.wait_for_selector("#console-table")
    assert page.locator(".message-success").filter(has_text="Done").count() == 1


def _finalize_until(condition, timeout: float, pages=()) -> list[str]:
    """The server's finalizer, as `aigcert run` keeps it going: `finalize` every second, while the browsers wait."""
    outputs = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        out = io.StringIO()
        call_command("finalize", stdout=out)
        outputs.append(out.getvalue().strip())
        if condition():
            return outputs
        (pages[0].wait_for_timeout(1000) if pages else time.sleep(1))
    raise AssertionError(f"not finalized within {timeout} s: {outputs[-3:]}")


@pytest.mark.django_db(transaction=True)
def test_exam_day_check_in_admit_unlock_extra_time_pause_and_the_server_close(
        live_server, browser_page, make_user, make_profile, password, settings):
    settings.EXAM_SAVE_GRACE_SECONDS = GRACE
    started_at = time.monotonic()
    _bank(make_user)
    admin = make_user(Role.EXAM_ADMIN)
    proctor = make_user(Role.PROCTOR)
    make_profile(proctor, legal_name="王监考", id_number="440304198511224568")
    session = _session(admin, start_in=UNLOCK_IN, duration_minutes=DURATION_MINUTES)
    code = str(session.code)
    ann = _seat(session, make_profile(make_user(Role.CANDIDATE), legal_name="张安",
                                      id_number="110101199003071233").user, "T0001")
    bo = _seat(session, make_profile(make_user(Role.CANDIDATE), legal_name="李博",
                                     id_number="11010519491231002X").user, "T0002")
    base = live_server.url
    console_url = f"{base}/staff/proctor/{code}/"

    # The exam admin sets the session's desk on the console: a proctor admits each check-in, no unlock spread,
    # and 王监考 is the session's proctor.
    office = browser_page
    office.context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": base}])
    log_in(office, base, admin.phone, password)
    _console(office, console_url)
    desk_form = office.locator("#desk-form")
    desk_form.locator("input[name=approval_required]").check()
    desk_form.locator("input[name=stagger_seconds]").fill("0")
    desk_form.locator(f"input[name=proctors][value='{proctor.pk}']").check()
    desk_form.locator("textarea[name=reason], input[name=reason]").fill("Exam day rehearsal: admit by hand.")
    with office.expect_navigation():
        desk_form.locator("button[type=submit]").click()
    assert "The session's settings are saved." in office.content()
    desk = SessionDesk.objects.get(session_id=session.pk)
    assert (desk.approval_required, desk.stagger_seconds) == (True, 0)
    assert list(desk.proctors.values_list("pk", flat=True)) == [proctor.pk]

    # The proctor sees both seats, nobody checked in yet.
    desk_page = _context(office, base)
    log_in(desk_page, base, proctor.phone, password)
    _console(desk_page, console_url)
    assert _stage(desk_page, "T0001")[0] == _stage(desk_page, "T0002")[0] == "absent"

    # Both candidates check in: the identity card, "This is me…", then the waiting room.
    players = {}
    for person in (ann, bo):
        page = _context(office, base)
        log_in(page, base, person.phone, password)
        page.goto(f"{base}/exam/session/{code}/")
        card = page.locator("#check-in")
        assert card.locator("[data-testid=identity-name]").inner_text() == person.profile.legal_name
        assert "*" in card.locator("[data-testid=identity-id]").inner_text()  # masked
        assert "A proctor will look at your check-in" in card.inner_text()
        card.locator("input[name=confirm]").check()
        with page.expect_navigation():
            card.locator("button[type=submit]").click()
        assert page.locator("[data-testid=waiting-text]").inner_text() == "Waiting for the proctor to admit you…"
        assert page.locator("#start-button").is_disabled()
        players[person.pk] = page
    ann_page, bo_page = players[ann.pk], players[bo.pk]
    shot(ann_page, "exam-day-01-waiting-room")
    assert set(CheckIn.objects.filter(session_id=session.pk).values_list("state", flat=True)) == {"waiting"}

    # The console (after its own 10-second refresh) shows both waiting for approval.
    desk_page.wait_for_function(
        "document.querySelectorAll('#console-table tr[data-stage=waiting]').length === 2", timeout=15_000)
    for ticket in ("T0001", "T0002"):
        assert _stage(desk_page, ticket) == ("waiting", "Waiting for approval")
    assert "2 checked in" in desk_page.locator("[data-testid=tally]").inner_text()
    shot(desk_page, "exam-day-02-console-both-waiting")

    # The proctor admits both, each with a reason.
    _act(desk_page, "T0001", "approve", "ID card matches the photo and the person.")
    _act(desk_page, "T0002", "approve", "ID card checked at the desk.")
    for ticket in ("T0001", "T0002"):
        assert _stage(desk_page, ticket) == ("approved", "Admitted, not started")
    assert set(CheckIn.objects.filter(session_id=session.pk).values_list("state", flat=True)) == {"approved"}

    # The waiting rooms learn it from their status poll, and count down to the unlock.
    for page in (ann_page, bo_page):
        page.wait_for_function(
            "document.getElementById('waiting-text') && "
            "document.getElementById('waiting-text').dataset.state === 'approved'", timeout=35_000)
        assert page.locator("[data-testid=waiting-text]").inner_text() == \
            "Admitted. The exam starts by itself when it unlocks."
    assert time.monotonic() - started_at < 200
    shot(bo_page, "exam-day-03-admitted-countdown")
    assert not Attempt.objects.filter(session_code=code).exists()  # nobody may start before the unlock

    # The unlock: both players start by themselves, on the server's deadline.
    unlock_wait = max(0.0, (session.start_at - now()).total_seconds()) * 1000 + 15_000
    for page in (ann_page, bo_page):
        page.wait_for_url(re.compile(r"/exam/[0-9a-f-]{36}/$"), timeout=unlock_wait)
        page.wait_for_selector(".player-item:not([hidden])")
    ann_attempt = Attempt.objects.get(candidate=ann, kind="formal")
    bo_attempt = Attempt.objects.get(candidate=bo, kind="formal")
    assert ann_attempt.started_at >= session.start_at and bo_attempt.started_at >= session.start_at
    for page in (ann_page, bo_page):
        assert 60 < _timer(page) <= DURATION_MINUTES * 60
    _console(desk_page, console_url)
    for ticket in ("T0001", "T0002"):
        assert _stage(desk_page, ticket) == ("open", "In progress")
        assert _row(desk_page, ticket).locator("td.num").first.inner_text() == "0 / 100"

    # 10 minutes extra time for 张安: the console says so, and the player's clock jumps at its next save.
    _act(desk_page, "T0001", "extend", "Approved accommodation: +10 minutes.", minutes=10)
    assert "+10′" in _row(desk_page, "T0001").locator("[data-testid=time-left]").inner_text()
    ann_answers = [_answer_and_next(ann_page) for _ in range(3)]
    _wait_saved(ann_page)
    ann_page.wait_for_function("() => { const t = document.getElementById('timer').textContent.split(':');"
                               " return Number(t[0]) >= 10; }")
    assert 10 * 60 < _timer(ann_page) <= (DURATION_MINUTES + 10) * 60
    assert _timer(bo_page) <= DURATION_MINUTES * 60
    assert _saved_slots(ann_attempt) == set(ann_answers)
    shot(ann_page, "exam-day-04-player-extra-time")

    # 李博 answers, then the proctor pauses them: the next save is refused and the player covers itself.
    bo_answers = [_answer_and_next(bo_page) for _ in range(2)]
    _wait_saved(bo_page)
    _act(desk_page, "T0002", "pause", "Fire alarm test in room 2; clock stopped.")
    assert _stage(desk_page, "T0002") == ("paused", "Paused")
    bo_paused_slot = _answer_and_next(bo_page)
    bo_page.wait_for_selector("[data-testid=paused]", state="visible")
    assert "paused by the proctor" in bo_page.locator("[data-testid=paused]").inner_text()
    frozen = bo_page.locator("#timer").inner_text()
    shot(bo_page, "exam-day-05-player-paused")
    bo_page.wait_for_timeout(2500)
    assert bo_page.locator("#timer").inner_text() == frozen  # the clock stands still on the page too
    assert _saved_slots(bo_attempt) == set(bo_answers)  # the answer given while paused waits on the device
    bo_attempt.refresh_from_db()
    assert bo_attempt.paused_at is not None
    shot(desk_page, "exam-day-06-console-paused-and-extended")

    # Resumed: the player notices within seconds, reloads with the moved deadline and sends the waiting answer.
    _act(desk_page, "T0002", "resume", "Alarm over; candidates back at their seats.")
    bo_page.wait_for_selector("[data-testid=paused]", state="hidden", timeout=20_000)
    bo_page.wait_for_selector(".player-item:not([hidden])")
    bo_page.wait_for_function("() => true")
    deadline = time.monotonic() + 15
    while bo_paused_slot not in _saved_slots(bo_attempt) and time.monotonic() < deadline:
        bo_page.wait_for_timeout(300)
    assert _saved_slots(bo_attempt) == {*bo_answers, bo_paused_slot}
    bo_attempt.refresh_from_db()
    assert bo_attempt.paused_at is None
    bo_answers += [bo_paused_slot, _answer_and_next(bo_page)]
    _wait_saved(bo_page)
    assert _saved_slots(bo_attempt) == set(bo_answers)
    _console(desk_page, console_url)
    assert _stage(desk_page, "T0002") == ("open", "In progress")
    assert _row(desk_page, "T0002").locator("td.num").first.inner_text() == "4 / 100"
    assert _row(desk_page, "T0001").locator("td.num").first.inner_text() == "3 / 100"

    # 张安 answers one more and submits: the receipt.
    ann_answers.append(_answer_and_next(ann_page))
    _wait_saved(ann_page)
    ann_page.once("dialog", lambda dialog: dialog.accept())
    ann_page.locator("#submit-button").click()
    ann_page.wait_for_url(re.compile(r"/done/$"))
    receipt = ann_page.locator("main").inner_text()
    assert "Your exam is in" in receipt and "4 / 100" in receipt and "at the deadline" not in receipt
    shot(ann_page, "exam-day-07-receipt-submitted")

    # 李博 never presses submit, and their connection drops just before the deadline: the server's finalizer
    # closes the exam after the deadline and its grace, whatever the page does.
    bo_attempt.refresh_from_db()
    to_deadline = (bo_attempt.deadline_at - now()).total_seconds()
    assert to_deadline > 5, "too slow: 李博's deadline passed before the test got there"
    bo_page.wait_for_timeout((to_deadline - 3) * 1000)
    bo_page.context.set_offline(True)
    outputs = _finalize_until(lambda: Attempt.objects.get(pk=bo_attempt.pk).state != "open",
                              timeout=to_deadline + GRACE + 20, pages=[bo_page])
    assert outputs[-1] == "closed=1" and all(o == "closed=0" for o in outputs[:-1])
    bo_attempt.refresh_from_db()
    assert now() >= bo_attempt.deadline_at + timedelta(seconds=GRACE)
    assert (bo_attempt.state, bo_attempt.closed_by_server, bo_attempt.answered_count) == ("expired", True, 4)
    assert _saved_slots(bo_attempt) == set(bo_answers)

    # Back online, the player's time-up wait finds the closed exam and shows its receipt.
    bo_page.context.set_offline(False)
    bo_page.wait_for_url(re.compile(r"/done/$"), timeout=40_000)
    receipt = bo_page.locator("main").inner_text()
    assert "(at the deadline)" in receipt and "4 / 100" in receipt
    shot(bo_page, "exam-day-08-receipt-closed-at-the-deadline")

    # The console at the end: one submitted, one closed at the deadline, with their counts; every action logged.
    _console(desk_page, console_url)
    assert _stage(desk_page, "T0001") == ("submitted", "Submitted")
    assert _stage(desk_page, "T0002") == ("expired", "Closed at the deadline")
    assert _row(desk_page, "T0001").locator("td.num").first.inner_text() == "4 / 100"
    assert _row(desk_page, "T0002").locator("td.num").first.inner_text() == "4 / 100"
    assert "2 finished" in desk_page.locator("[data-testid=tally]").inner_text()
    log = desk_page.locator("#action-log tbody").inner_text()
    for text in ("Approved accommodation: +10 minutes.", "(+10′)", "Fire alarm test in room 2",
                 "Alarm over", "ID card checked at the desk."):
        assert text in log
    shot(desk_page, "exam-day-09-console-at-the-end")

    ann_attempt.refresh_from_db()
    assert (ann_attempt.state, ann_attempt.closed_by_server, ann_attempt.answered_count) == ("submitted", False, 4)
    assert ann_attempt.extra_minutes == 10
    actions = list(ProctorAction.objects.filter(session_id=session.pk).order_by("created_at")
                   .values_list("kind", "candidate_id", "actor_id", "reason"))
    assert [(kind, who) for kind, who, _actor, _reason in actions] == [
        ("approve", ann.pk), ("approve", bo.pk), ("extend", ann.pk), ("pause", bo.pk), ("resume", bo.pk)]
    assert all(actor == proctor.pk and reason for _kind, _who, actor, reason in actions)
    for kind, count in (("approve", 2), ("extend", 1), ("pause", 1), ("resume", 1)):
        events = audit_events(action=f"delivery.proctor_{kind}")
        assert len(events) == count and all(e.actor_id == proctor.pk and e.data["reason"] for e in events)
    assert [e.data["by_server"] for e in audit_events(action="delivery.attempt_close")
            if e.target_id == str(bo_attempt.pk)] == [True]
    assert time.monotonic() - started_at < 270



def _candidate_at_the_session(office, base, session, ticket, make_user, password):
    desk = SessionDesk.objects.get_or_create(session_id=session.pk, defaults={
        "approval_required": False, "stagger_seconds": 0, "latest_entry_minutes": 15,
        "check_in_opens_minutes": 30})[0]
    SessionDesk.objects.filter(pk=desk.pk).update(approval_required=False, stagger_seconds=0)
    person = _seat(session, make_user(Role.CANDIDATE), ticket)
    page = _context(office, base)
    log_in(page, base, person.phone, password)
    page.goto(f"{base}/exam/session/{session.code}/")
    page.locator("#check-in input[name=confirm]").check()
    with page.expect_navigation():
        page.locator("#check-in button[type=submit]").click()
    return person, page


@pytest.mark.django_db(transaction=True)
def test_the_waiting_room_starts_the_exam_at_the_unlock_not_before(live_server, browser_page, make_user, password):
    _bank(make_user)
    session = _session(make_user(Role.EXAM_ADMIN), start_in=timedelta(seconds=12), duration_minutes=5)
    _person, page = _candidate_at_the_session(browser_page, live_server.url, session, "T0001", make_user, password)
    assert page.locator("[data-testid=waiting-text]").inner_text() == \
        "Admitted. The exam starts by itself when it unlocks."
    # The waiting room already holds the paper, sealed: no item is readable before the unlock.
    waiting_room = page.content()
    assert page.locator("#sealed-items-data").count() == 1 and page.locator(".player-item").count() == 0
    requests = []
    page.on("request", lambda r: requests.append((r.method, r.url.removeprefix(live_server.url))))
    page.wait_for_url(re.compile(r"/exam/(session/[0-9a-f-]{36}/start|[0-9a-f-]{36})/$"), timeout=30_000)
    assert "/start/" not in page.url, page.locator("main").inner_text()
    page.wait_for_selector(".player-item:not([hidden])")
    # The start's answer unsealed it in place: one POST, no page load, and the items in the attempt's own order.
    attempt = Attempt.objects.get(candidate=_person)
    assert [r for r in requests if not r[1].startswith("/static/")] == [
        ("POST", f"/exam/session/{session.code}/start/")]
    assert page.locator(".player-item").evaluate_all("s => s.map(e => e.dataset.slot)") == attempt.order["slots"]
    first = page.locator(".player-item:has(.exam-options)").first
    slot = first.get_attribute("data-slot")
    stem = first.locator(".exam-stem").inner_text().strip()
    assert stem and stem not in waiting_room
    # And it is the working player: an answer is saved on the device the start opened.
    first.locator(".exam-options input").first.check()
    page.wait_for_selector("#save-status[data-state=saved]")
    assert Response.objects.filter(attempt=attempt, slot=slot).exists()
    page.reload()  # a reload is the player's own page, with the answer
    assert page.locator(f"#item-{slot} .exam-options input:checked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_open_player_at_the_deadline_is_closed_as_the_server_closes_it(live_server, browser_page, make_user,
                                                                          password, settings):
    settings.EXAM_SAVE_GRACE_SECONDS = GRACE
    _bank(make_user)
    session = _session(make_user(Role.EXAM_ADMIN), start_in=timedelta(seconds=-40), duration_minutes=1)
    person, page = _candidate_at_the_session(browser_page, live_server.url, session, "T0001", make_user, password)
    page.wait_for_url(re.compile(r"/exam/[0-9a-f-]{36}/$"))
    page.wait_for_selector(".player-item:not([hidden])")
    attempt = Attempt.objects.get(candidate=person, kind="formal")
    slot = _answer_and_next(page)
    _wait_saved(page)
    left = (attempt.deadline_at - now()).total_seconds()
    assert left > 3
    _finalize_until(lambda: Attempt.objects.get(pk=attempt.pk).state != "open", timeout=left + GRACE + 20,
                    pages=[page])
    attempt.refresh_from_db()
    assert _saved_slots(attempt) == {slot}
    assert (attempt.state, attempt.closed_by_server) == ("expired", True)
