"""The short way through Django for the start, the autosave and the submit (delivery/middleware.py, ADR 0011): the
same views and answers as the URLconf's, with the CSRF check, the session, the language and the security headers
still applied, and the URL resolver and the rest of the middleware skipped."""

import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import resolve, reverse
from django.urls.resolvers import URLResolver

from aigcert.delivery import examday, hotpath
from aigcert.delivery.middleware import HOT_PATH, ExamHotPathMiddleware
from aigcert.delivery.models import Attempt
from aigcert.delivery.tests.conftest import EN, post_json, responses_table


def test_the_hot_addresses_are_exactly_the_urlconfs_start_autosave_and_submit():
    code, session = uuid.uuid4(), uuid.uuid4()
    hot_views = ExamHotPathMiddleware(lambda request: None).views
    for name, kwargs, kind in [("delivery:autosave", {"code": code}, "save"),
                               ("delivery:submit", {"code": code}, "submit"),
                               ("delivery:exam_day_start", {"session_code": session}, None)]:
        url = reverse(name, kwargs=kwargs)
        match = HOT_PATH.fullmatch(url)
        assert match is not None, url
        assert match["kind"] == kind
        # The very view the URLconf would call, decorators and all: nothing the URLconf adds is skipped.
        assert resolve(url).func is hot_views[kind or "start"]
    # Every other exam address goes the usual way, including near misses.
    for url in [reverse("delivery:player", args=[code]), reverse("delivery:upload", args=[code]),
                reverse("delivery:integrity", args=[code]), reverse("delivery:exam_day", args=[session]),
                reverse("delivery:exam_day_status", args=[session]), f"/exam/{code}/save/extra/",
                f"/exam/{str(code).upper()}/save/", f"/exam/{code.hex}/save/", "/exam/mock/aigc-general/start/",
                f"/exam/{code}/save/\n", f"/prefix/exam/{code}/save/"]:
        assert HOT_PATH.fullmatch(url) is None, url


def _checked_in(formal_day, session, ticket, **client_options):
    """A candidate seated and checked in, with a logged-in client of their own."""
    user = formal_day.seat(session, ticket=ticket)
    examday.checkin_confirm(candidate=user, session_code=str(session.code), confirmed=True, ip="127.0.0.1",
                            agent="pytest")
    client = Client(**client_options)
    client.force_login(user)
    return user, client


@pytest.fixture
def player(formal_day):
    """A candidate started in a formal session, on a client that enforces CSRF as a browser's requests meet it."""
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _checked_in(formal_day, session, "T000300001", enforce_csrf_checks=True)
    client.get(f"/exam/session/{session.code}/")  # the waiting room sets the CSRF and language cookies
    token = client.cookies["csrftoken"].value
    started = client.post(f"/exam/session/{session.code}/start/", HTTP_ACCEPT="application/json",
                          HTTP_X_CSRFTOKEN=token)
    assert started.status_code == 200, started.content
    attempt = Attempt.objects.get(candidate=user)
    return client, token, attempt, started.json()


def _entry(attempt, seq=5):
    slot = next(s for s in attempt.order["slots"] if attempt.schema[s][0] == "single_choice")
    return {"slot": slot, "value": attempt.schema[slot][1][0], "seq": seq, "flagged": False}


def test_a_save_without_the_csrf_token_is_refused_and_changes_nothing(player):
    client, _token, attempt, started = player
    before = responses_table()
    refused = post_json(client, started["player"]["saveUrl"],
                        {"device": started["player"]["device"], "responses": [_entry(attempt)]})
    assert refused.status_code == 403
    assert refused.json()["error"] == "reload"
    assert responses_table() == before


def test_a_save_and_a_submit_through_the_short_way_answer_as_the_views_do_with_the_usual_headers(player):
    client, token, attempt, started = player
    entry = _entry(attempt)
    saved = post_json(client, started["player"]["saveUrl"],
                      {"device": started["player"]["device"], "responses": [entry]}, HTTP_X_CSRFTOKEN=token)
    assert saved.status_code == 200, saved.content
    assert saved.json()["saved"] == {entry["slot"]: 5}
    assert saved["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still wraps it
    assert saved["Content-Language"] == "zh-hans"
    assert "Cookie" in saved["Vary"]
    assert int(saved["Content-Length"]) == len(saved.content)
    submitted = post_json(client, started["player"]["submitUrl"],
                          {"key": "k1", "device": started["player"]["device"], "responses": []},
                          HTTP_X_CSRFTOKEN=token)
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["answered"] == 1
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED


def test_a_host_not_allowed_is_refused_on_the_short_way_as_elsewhere(player):
    client, token, attempt, started = player
    refused = post_json(client, started["player"]["saveUrl"],
                        {"device": started["player"]["device"], "responses": [_entry(attempt)]},
                        HTTP_X_CSRFTOKEN=token, HTTP_HOST="evil.example")
    assert refused.status_code == 400
    assert not attempt.responses.exists()


def test_refusals_on_the_short_way_speak_the_candidates_language(player):
    client, token, attempt, started = player
    client.cookies["aigcert_language"] = "en"
    body = {"device": started["player"]["device"], "responses": [{**_entry(attempt), "slot": "nope"}]}
    refused = post_json(client, started["player"]["saveUrl"], body, HTTP_X_CSRFTOKEN=token)
    assert refused.status_code == 400
    assert refused.json()["message"] == EN["not_on_paper"]
    assert refused["Content-Language"] == "en"


def test_someone_elses_attempt_is_not_found_on_the_short_way_too(player, formal_day):
    _client, token, attempt, started = player
    stranger = Client(enforce_csrf_checks=True)
    stranger.force_login(formal_day.seat(formal_day.session(start_in=timedelta(minutes=5)), ticket="T000300002"))
    stranger.cookies["csrftoken"] = token
    refused = post_json(stranger, started["player"]["saveUrl"],
                        {"device": started["player"]["device"], "responses": [_entry(attempt)]},
                        HTTP_X_CSRFTOKEN=token)
    assert refused.status_code == 404
    assert not attempt.responses.exists()


def test_the_short_way_skips_the_url_resolver_and_other_requests_do_not(player, monkeypatch):
    client, token, attempt, started = player
    calls = []
    original = URLResolver.resolve

    def counting(self, path):
        calls.append(path)
        return original(self, path)

    monkeypatch.setattr(URLResolver, "resolve", counting)
    saved = post_json(client, started["player"]["saveUrl"],
                      {"device": started["player"]["device"], "responses": [_entry(attempt)]}, HTTP_X_CSRFTOKEN=token)
    assert saved.status_code == 200
    assert calls == []
    assert client.get(started["url"]).status_code == 200
    assert calls != []


def test_a_login_made_before_a_key_rotation_still_saves_while_the_old_key_is_a_fallback(player, settings):
    client, token, attempt, started = player
    body = {"device": started["player"]["device"], "responses": [_entry(attempt)]}
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    saved = post_json(client, started["player"]["saveUrl"], body, HTTP_X_CSRFTOKEN=token)
    assert saved.status_code == 200, saved.content
    settings.SECRET_KEY_FALLBACKS = []  # the rotation over: that login has ended
    ended = post_json(client, started["player"]["saveUrl"], {**body, "responses": [_entry(attempt, seq=6)]},
                      HTTP_X_CSRFTOKEN=token)
    assert ended.status_code == 401
    assert attempt.responses.get().seq == 5


@pytest.mark.parametrize("change", ["password", "deactivated"])
def test_a_start_whose_login_no_longer_holds_is_sent_to_log_in_and_writes_nothing(formal_day, change):
    # The start checks the session against the account columns it reads with the check-in, as Django's get_user
    # does for every other page: a new password or a deactivated account ends the login.
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _checked_in(formal_day, session, "T000300002")
    if change == "password":
        user.set_password("a-new-password-42")
    else:
        user.is_active = False
    user.save()
    url = reverse("delivery:exam_day_start", args=[session.code])
    refused = client.post(url, HTTP_ACCEPT="application/json")
    assert (refused.status_code, refused.json()) == (401, {"error": "login"})
    # The login ended as Django ends it (the session flushed); the login page leads back to the session's page,
    # not to the start, which takes only a POST.
    assert "_auth_user_id" not in client.session
    page = client.post(url)
    assert page.status_code == 302
    assert page["Location"] == f"{reverse('accounts:login')}?next={reverse('delivery:exam_day', args=[session.code])}"
    assert not Attempt.objects.filter(candidate=user).exists()


def test_a_start_without_a_login_goes_to_the_login_page_as_before(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    url = reverse("delivery:exam_day_start", args=[session.code])
    page = Client().post(url)
    back = reverse("delivery:exam_day", args=[session.code])
    assert (page.status_code, page["Location"]) == (302, f"{reverse('accounts:login')}?next={back}")
    assert Client().post(url, HTTP_ACCEPT="application/json").status_code == 401
    assert not Attempt.objects.exists()


def test_a_start_with_no_check_in_is_not_found_for_a_live_login_and_the_login_page_for_an_ended_one(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user = formal_day.seat(session, ticket="T000300003")
    client = Client()
    client.force_login(user)
    url = reverse("delivery:exam_day_start", args=[session.code])
    assert client.post(url, HTTP_ACCEPT="application/json").status_code == 404
    user.set_password("a-new-password-42")
    user.save()
    assert client.post(url, HTTP_ACCEPT="application/json").status_code == 401


def test_a_start_with_a_login_made_before_a_key_rotation_goes_ahead_while_the_old_key_is_a_fallback(
        formal_day, settings):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _checked_in(formal_day, session, "T000300004")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "y" * 50
    started = client.post(reverse("delivery:exam_day_start", args=[session.code]), HTTP_ACCEPT="application/json")
    assert started.status_code == 200, started.content
    assert Attempt.objects.filter(candidate=user, state=Attempt.State.OPEN).count() == 1


# ---- prepared statements (PostgreSQL) ---------------------------------------------------------------------------

HOT_STATEMENTS = {  # a fragment of each fixed statement → its runs in one start, one save and one submit
    'FROM "delivery_checkin" c JOIN': 1,  # the start's read of the check-in
    'INSERT INTO "delivery_attempt"': 1,  # the start's insert
    'FROM "delivery_attempt" a JOIN "accounts_user"': 2,  # the save's read and the submit's locked read
    'INSERT INTO "delivery_response"': 1,  # the save's upsert (the submit brings no answers)
    'SELECT slot, value FROM "delivery_response"': 1,  # the receipt
    'UPDATE "delivery_attempt" SET state': 1,  # the close
}

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                      reason="server-side prepared statements are PostgreSQL's")


def _prepared_runs() -> dict[str, int]:
    # One statement's text can be prepared more than once (its parameters' types differ): their runs add up.
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, SUM(generic_plans + custom_plans) FROM pg_prepared_statements "
                       "GROUP BY statement")
        return dict(cursor.fetchall())


def _runs_of(runs: dict[str, int], fragment: str) -> int:
    return sum(n for statement, n in runs.items() if fragment in statement)


@needs_postgresql
@pytest.mark.parametrize("on", [True, False])
def test_the_hot_statements_run_prepared_on_postgresql_unless_turned_off(formal_day, settings, on):
    settings.EXAM_PREPARED_STATEMENTS = on
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _checked_in(formal_day, session, "T000300002", enforce_csrf_checks=True)
    client.get(f"/exam/session/{session.code}/")
    token = client.cookies["csrftoken"].value
    before = _prepared_runs()
    started = client.post(f"/exam/session/{session.code}/start/", HTTP_ACCEPT="application/json",
                          HTTP_X_CSRFTOKEN=token).json()
    attempt = Attempt.objects.get(candidate=user)
    saved = post_json(client, started["player"]["saveUrl"],
                      {"device": started["player"]["device"], "responses": [_entry(attempt)]}, HTTP_X_CSRFTOKEN=token)
    submitted = post_json(client, started["player"]["submitUrl"],
                          {"key": "k1", "device": started["player"]["device"], "responses": []},
                          HTTP_X_CSRFTOKEN=token)
    assert (saved.status_code, submitted.status_code) == (200, 200)
    after = _prepared_runs()
    grown = {fragment: _runs_of(after, fragment) - _runs_of(before, fragment) for fragment in HOT_STATEMENTS}
    assert grown == (HOT_STATEMENTS if on else dict.fromkeys(HOT_STATEMENTS, 0))
    # The connection goes back to client-side binding after each: the ORM's statements (the audit rows, the
    # outbox, the session) are never prepared.
    assert not [s for s in after if "core_" in s or "django_session" in s or "accounts_user\" WHERE" in s]
    assert attempt.responses.count() == 1 and Attempt.objects.get(pk=attempt.pk).state == Attempt.State.SUBMITTED


@needs_postgresql
def test_a_failure_inside_the_block_leaves_the_connection_as_django_made_it(db):
    connection.ensure_connection()
    raw = connection.connection
    before = (raw.cursor_factory, raw.prepare_threshold)
    with pytest.raises(DatabaseError), hotpath.prepared(), connection.cursor() as cursor:
        assert (raw.cursor_factory, raw.prepare_threshold) != before
        cursor.execute("SELECT 1 / (SELECT COUNT(*) FROM delivery_attempt WHERE id < 0)")
    assert (raw.cursor_factory, raw.prepare_threshold) == before
