"""Fault drills on PostgreSQL (issue: "fault drills as automated tests"). A formal exam is under way and something
breaks: the app's worker processes are killed (kill -9) and the whole server restarted; PostgreSQL restarts; a
candidate's browser is offline for five minutes; the exam is submitted from two tabs. After each, every answer a
client was told is saved is in the database, and every answer typed while offline arrives.

Drills 1 and 2 run a real granian (2 workers × 4 threads) on the test database, driven by clients that behave
like player.js (drill_support.DrillClient). Drills 3 and 4 run the real player.js in Chromium against the live
server; Playwright's clock makes the page believe five minutes passed without the test waiting them.

Slow (about a minute together) and PostgreSQL only: they skip on SQLite. Before restarting PostgreSQL the drill
waits while /tmp/bench-running exists (a benchmark sharing the server), up to 10 minutes, then skips."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from aigcert.core.api import audit_events
from aigcert.delivery.models import Attempt, Response
from aigcert.delivery.tests import drill_support as drill

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="fault drills need PostgreSQL (a real server process, row locks, a database to "
                              "restart); SQLite serializes every writer"),
    pytest.mark.django_db(transaction=True),
]

CANDIDATES = 4


@pytest.fixture
def formal_exam(make_user):
    """CANDIDATES formal attempts under way in one session, committed."""
    drill.exam_bank_commit(make_user)
    session = drill.formal_session(make_user)
    return [drill.formal_attempt(session, make_user) for _ in range(CANDIDATES)]


@pytest.fixture
def server(tmp_path):
    server = drill.Server(tmp_path / "server.log")
    try:
        yield server
    finally:
        server.stop()


def _clients(server, attempts) -> list[drill.DrillClient]:
    clients = []
    for n, attempt in enumerate(attempts):
        client = drill.DrillClient(server.port, attempt, drill.session_cookie(attempt.candidate), seed=n)
        client.open()
        clients.append(client)
    return clients


def _run_for(seconds: float, clients) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert not any(c.errors for c in clients), [c.errors for c in clients]
        time.sleep(0.1)


def _report(clients) -> str:
    return "; ".join(f"#{c.attempt.pk}: {c.tally.ok}/{c.tally.sent} ok, {len(c.confirmed)} confirmed, "
                     f"failures {c.tally.failures}" for c in clients)


def test_drill_kill_9_the_workers_then_the_whole_server_mid_exam(formal_exam, server):
    server.start()
    clients = _clients(server, formal_exam)
    for client in clients:
        client.start()
    _run_for(2, clients)

    # Every worker killed mid-request, twice: the master starts new ones, the clients' retries get through. The
    # second kill comes more than 5.5 s after the first respawn: sooner, granian takes it for a crash loop and
    # exits, and `aigcert run` starts it again (test_run_command.py).
    for _ in range(2):
        killed = server.kill_workers()
        assert len(killed) == 2
        server.wait_workers_replaced(killed)
        _run_for(6, clients)

    # The master too (the host's processes gone): a new server on the same port, as a supervisor would start.
    server.crash()
    _run_for(1.5, clients)  # nobody listening: connections refused, answers queue up on the clients
    server.start()
    _run_for(2, clients)

    for client in clients:
        client.drain(timeout=30)
    problems = drill.check_nothing_lost(clients)
    assert not problems, "\n".join(problems[:20]) + "\n" + _report(clients) + "\n" + server.log_tail()
    # The drill did break requests (else it proved nothing) and the clients kept going afterwards.
    assert sum(sum(c.tally.failures.values()) for c in clients) > 0, _report(clients)
    assert all(len(c.confirmed) > 20 for c in clients), _report(clients)
    print(_report(clients))  # shown with -rP


def test_drill_restart_postgresql_mid_exam(formal_exam, server):
    drill.can_restart_postgresql()
    waited = drill.wait_for_bench()  # before the exam's load starts: don't disturb the benchmark either
    server.start()
    clients = _clients(server, formal_exam)
    for client in clients:
        client.start()
    _run_for(2, clients)
    before = sum(c.tally.ok for c in clients)

    started = time.monotonic()
    drill.restart_postgresql()
    restart = time.monotonic() - started
    drill.reset_own_connection()
    _run_for(3, clients)

    for client in clients:
        client.drain(timeout=40)
    # The server's pools hand out connections that died with the restart: each may cost a request (a 500 the
    # client retries), but the pools must recover without a server restart.
    assert sum(c.tally.ok for c in clients) > before + 20, _report(clients) + "\n" + server.log_tail()
    assert server.healthy(), server.log_tail()
    problems = drill.check_nothing_lost(clients)
    assert not problems, "\n".join(problems[:20]) + "\n" + _report(clients) + "\n" + server.log_tail()
    print(f"waited {waited:.0f} s for the benchmark, restart took {restart:.1f} s; {_report(clients)}")  # -rP


# -- the real player in Chromium ------------------------------------------------------------------------------

def _open_player(context, base, attempt, *, clock=False):
    page = context.new_page()
    page.set_default_timeout(20_000)
    if clock:
        page.clock.install()
    page.goto(f"{base}/exam/{attempt.code}/")
    page.wait_for_selector(".player-item:not([hidden])")
    return page


def _log_in(context, base, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[
        settings.SESSION_COOKIE_NAME].value, "url": base}, {"name": "aigcert_language", "value": "en", "url": base}])


def _answer_current(page, pick: int) -> tuple[str, object]:
    """Answer the item on screen (its pick-th option, two for a multiple choice) and go on; (slot, value)."""
    item = page.locator(".player-item:not([hidden])")
    slot = item.get_attribute("data-slot")
    kind = item.get_attribute("data-type")
    options = item.locator(".exam-options input")
    count = options.count()
    options.nth(pick % count).check()
    if kind == "multiple_choice":
        options.nth((pick + 1) % count).check()
    values = sorted(item.locator(".exam-options input:checked").evaluate_all("els => els.map(e => e.value)"))
    value = values if kind == "multiple_choice" else (values[0] == "true" if kind == "true_false" else values[0])
    page.locator("[data-next]").click()
    return slot, value


def _state(page) -> str:
    return page.evaluate("document.getElementById('save-status').dataset.state")


def _wait_saved(page, timeout=30_000) -> None:
    page.wait_for_function("document.getElementById('save-status').dataset.state === 'saved'", timeout=timeout)


def _values(attempt) -> dict:
    return {slot: value for slot, (value, _seq) in drill.stored(attempt).items()}


@pytest.mark.browser
def test_drill_a_candidate_offline_for_five_minutes(formal_exam, live_server, browser_page):
    attempt = formal_exam[0]
    context, base = browser_page.context, live_server.url
    _log_in(context, base, attempt.candidate)
    page = _open_player(context, base, attempt, clock=True)

    online = dict(_answer_current(page, n) for n in range(3))
    _wait_saved(page)
    assert _values(attempt) == online

    context.set_offline(True)
    offline = {}
    for minute in range(5):  # an answer now and then while the retries keep failing, for five minutes
        offline.update(dict([_answer_current(page, minute + 1)]))
        page.clock.run_for("01:00")
    page.wait_for_function("document.getElementById('save-status').dataset.state === 'offline'")
    assert _values(attempt) == online, "nothing can have reached the server while offline"
    assert len(page.evaluate(f"Object.keys(JSON.parse(localStorage.getItem('aigcert.exam.{attempt.code}'))"
                             ".pending)")) == len(offline)

    context.set_offline(False)
    _wait_saved(page)
    assert _values(attempt) == {**online, **offline}

    # Offline again, the tab closed before the connection returns: the answers wait in localStorage, and the
    # player opened again once online sends them.
    context.set_offline(True)
    later = dict(_answer_current(page, n + 2) for n in range(2))
    page.clock.run_for("00:30")
    page.close()
    context.set_offline(False)
    again = _open_player(context, base, attempt)
    _wait_saved(again)
    assert _values(attempt) == {**online, **offline, **later}
    for slot in {**online, **offline, **later}:
        assert "is-answered" in again.locator(f"#nav-{slot}").get_attribute("class")


def _submit(page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#submit-button").click()


def _submit_settled(page, attempt) -> None:
    """Wait until a tab's submit got its answer: on the receipt, or told (the blocker) why not."""
    page.wait_for_function(f"location.pathname === '/exam/{attempt.code}/done/' || "
                           "!document.getElementById('blocker').hidden")


def _receipt_checks(attempt, first, second, expected: dict) -> None:
    done = re.compile(rf"/exam/{attempt.code}/done/")
    second.wait_for_url(done)
    _submit_settled(first, attempt)
    if not done.search(first.url):
        # The superseded tab was told so instead of closing the exam; its "continue here" reload now finds the
        # exam submitted and shows the receipt.
        first.locator("#blocker-action").click()
        first.wait_for_url(done)
    attempt.refresh_from_db()
    closes = sum(1 for e in audit_events(action="delivery.attempt_close") if e.target_id == str(attempt.pk))
    assert (attempt.state, closes) == (Attempt.State.SUBMITTED, 1)
    assert _values(attempt) == expected
    assert attempt.answered_count == len(expected)
    assert attempt.answers_hash[:12] in first.content() and attempt.answers_hash[:12] in second.content()


@pytest.mark.browser
def test_drill_submit_twice_from_two_tabs(formal_exam, live_server, browser_page):
    """The first tab (superseded by the second, and not told so: it has nothing to save) submits after the second
    tab's answers are saved; then the second submits. One close, one receipt in both, every answer in it."""
    attempt = formal_exam[0]
    context, base = browser_page.context, live_server.url
    _log_in(context, base, attempt.candidate)
    first = _open_player(context, base, attempt)
    answers = dict(_answer_current(first, n) for n in range(2))
    _wait_saved(first)
    second = _open_player(context, base, attempt)
    second.locator(f"#nav-{attempt.order['slots'][5]}").click()
    answers.update(_answer_current(second, n + 1) for n in range(3))
    _wait_saved(second)
    _submit(first)
    _submit_settled(first, attempt)
    _submit(second)
    _receipt_checks(attempt, first, second, answers)


@pytest.mark.browser
def test_drill_submit_from_two_tabs_while_the_second_is_still_saving(formal_exam, live_server, browser_page):
    """The same, but the second tab's last answers are still on their way (a slow network) when the first tab's
    submit lands; the second tab then submits too, with those answers in its submit. None may be lost."""
    attempt = formal_exam[0]
    context, base = browser_page.context, live_server.url
    _log_in(context, base, attempt.candidate)
    first = _open_player(context, base, attempt)
    answers = dict(_answer_current(first, n) for n in range(2))
    _wait_saved(first)
    second = _open_player(context, base, attempt)
    held = []
    second.route("**/save/", lambda route: held.append(route))  # the second tab's saves hang on the network
    second.locator(f"#nav-{attempt.order['slots'][5]}").click()
    answers.update(_answer_current(second, n + 1) for n in range(3))
    second.wait_for_function("document.getElementById('save-status').dataset.state === 'pending'")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        second.wait_for_timeout(100)
    assert held, "the second tab never tried to save"
    _submit(first)
    _submit_settled(first, attempt)
    _submit(second)  # its submit carries the answers it has not seen saved
    for route in held:
        with contextlib.suppress(Exception):  # the page has moved on
            route.continue_()
    second.unroute("**/save/")
    _receipt_checks(attempt, first, second, answers)
    assert Response.objects.filter(attempt=attempt).count() == len(answers)
