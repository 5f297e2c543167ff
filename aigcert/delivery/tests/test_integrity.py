"""Integrity events: what the player reports, what the server notices, and what the policy does with them —
warn the candidate, count silently, or tell the session's proctors once. Nothing is decided against the candidate."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.core.api import inbox
from aigcert.delivery import examday, services
from aigcert.delivery.models import Attempt, IntegrityEvent, SessionDesk
from aigcert.delivery.tests.conftest import config_of, english, post_json, valid_value

HIDDEN = "The exam page was hidden. Stay on the exam page until you submit."
FULLSCREEN = "You left full screen. Please return to full screen."
MALFORMED = {"error": "malformed", "message": "The request could not be read."}
CLOSED = {"error": "closed", "message": "This exam is closed."}


@pytest.fixture
def sitting(formal_day, make_user, make_profile):
    """An open formal attempt of 赵六 with the player loaded, and the session's two assigned proctors (one reads
    English): (attempt, config, client, proctors)."""
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user = formal_day.seat(session)
    make_profile(user, legal_name="赵六")
    examday.checkin_confirm(candidate=user, session_code=str(session.code), confirmed=True, ip="127.0.0.1",
                            agent="pytest")
    client = english(Client())
    client.force_login(user)
    started = client.post(f"/exam/session/{session.code}/start/", HTTP_ACCEPT="application/json",
                          REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Browser/1")
    page = client.get(started.json()["url"], REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Browser/1")
    config = config_of(page)
    proctors = [make_user(Role.PROCTOR), make_user(Role.PROCTOR)]
    proctors[0].language = "en"
    proctors[0].save(update_fields=["language"])
    SessionDesk.objects.get(session_id=session.pk).proctors.set(proctors)
    return Attempt.objects.get(code=config["code"]), config, client, proctors


def _report(client, config, events, device=None):
    return post_json(client, config["integrityUrl"], {"device": config["device"] if device is None else device,
                                                      "events": events})


def _kinds(attempt):
    return list(IntegrityEvent.objects.filter(attempt=attempt).values_list("kind", flat=True))


def _integrity_inbox(user):
    return [(n.kind, n.subject, n.body) for n in inbox(user.pk) if n.kind == "integrity"]


def test_the_player_reports_events_and_is_told_the_warnings(sitting):
    attempt, config, client, proctors = sitting
    at = int(datetime(2025, 6, 1, 9, 30, 5, tzinfo=UTC).timestamp() * 1000)
    response = _report(client, config, [
        {"kind": "visibility_hidden", "at": at, "detail": {"seconds": 12, "note": "x" * 41, "nested": {"a": 1}}},
        {"kind": "focus_lost"}, {"kind": "fullscreen_exit"}, {"kind": "paste", "detail": {"length": 300}},
        {"kind": "visibility_hidden"}])
    assert (response.status_code, response.json()) == (200, {"warnings": [HIDDEN, FULLSCREEN]})
    events = list(IntegrityEvent.objects.filter(attempt=attempt).order_by("id"))
    assert [(e.kind, e.detail) for e in events] == [
        ("visibility_hidden", {"seconds": 12}), ("focus_lost", {}), ("fullscreen_exit", {}),
        ("paste", {"length": 300}), ("visibility_hidden", {})]
    assert events[0].client_at == datetime(2025, 6, 1, 9, 30, 5, tzinfo=UTC)
    assert events[1].client_at is None
    # A warning is shown every time, not once.
    assert _report(client, config, [{"kind": "visibility_hidden"}]).json() == {"warnings": [HIDDEN]}
    assert [_integrity_inbox(p) for p in proctors] == [[], []]


@pytest.mark.parametrize("events", [
    [{"kind": "paste"}, {"kind": "screenshot"}],
    [{"kind": "second_login"}],  # only the server records these
    [{"kind": "ip_changed"}],
    [{}],
    "paste",
    [["paste"]],
])
def test_unknown_or_malformed_events_are_refused_and_nothing_is_recorded(sitting, events):
    attempt, config, client, _proctors = sitting
    response = _report(client, config, events)
    assert (response.status_code, response.json()) == (400, MALFORMED)
    assert _kinds(attempt) == []


def test_events_count_only_for_the_open_formal_attempt_on_its_current_device(sitting, examinee_client):
    attempt, config, client, _proctors = sitting
    stale = _report(client, config, [{"kind": "paste"}], device="an-older-tab")
    assert (stale.status_code, stale.json()) == (409, CLOSED)
    assert _kinds(attempt) == []
    mock = examinee_client.post("/exam/mock/aigc-general/start/")
    mock_config = config_of(examinee_client.get(mock["Location"]))
    refused = _report(english(examinee_client), mock_config, [{"kind": "paste"}])
    assert (refused.status_code, refused.json()) == (409, CLOSED)
    assert not IntegrityEvent.objects.exists()
    services.attempt_submit(attempt=attempt, key="k")
    closed = _report(client, config, [{"kind": "paste"}])
    assert (closed.status_code, closed.json()) == (409, CLOSED)
    assert _kinds(attempt) == []


def test_focus_lost_is_counted_silently(sitting):
    attempt, config, client, proctors = sitting
    for _n in range(5):
        assert _report(client, config, [{"kind": "focus_lost"}]).json() == {"warnings": []}
    assert _kinds(attempt) == ["focus_lost"] * 5
    assert [_integrity_inbox(p) for p in proctors] == [[], []]


def test_the_proctors_hear_once_when_the_pastes_reach_three(sitting, formal_day):
    attempt, config, client, (english_proctor, chinese_proctor) = sitting
    assert _report(client, config, [{"kind": "paste"}, {"kind": "paste"}]).json() == {"warnings": []}
    assert _integrity_inbox(english_proctor) == [] and _integrity_inbox(chinese_proctor) == []
    assert _report(client, config, [{"kind": "paste"}]).json() == {"warnings": []}
    assert _integrity_inbox(english_proctor) == [(
        "integrity", "Integrity events: 赵六",
        "赵六: Pasted into an answer, 3 times. Look at the candidate in the proctor console.")]
    [(kind, subject, body)] = _integrity_inbox(chinese_proctor)
    assert kind == "integrity" and "赵六" in subject and body.startswith("赵六") and "3" in body
    _report(client, config, [{"kind": "paste"}, {"kind": "paste"}])
    assert len(_integrity_inbox(english_proctor)) == 1 and len(_integrity_inbox(chinese_proctor)) == 1
    assert _integrity_inbox(formal_day.exam_admin) == []  # not assigned to the session
    # Nothing happens to the candidate: the exam stays open and takes saves.
    attempt.refresh_from_db()
    assert (attempt.state, attempt.paused_at) == ("open", None)
    slot = attempt.order["slots"][0]
    saved = post_json(client, config["saveUrl"], {"device": config["device"], "responses": [
        {"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 1}]})
    assert saved.status_code == 200 and saved.json()["saved"] == {slot: 1}


def test_the_server_records_a_changed_address_browser_and_a_second_login_when_the_player_opens(sitting):
    attempt, config, client, (english_proctor, _other) = sitting
    player = config["stateUrl"].replace("state/", "")
    client.get(player, REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Browser/1")  # the same again: nothing
    assert _kinds(attempt) == []
    client.get(player, REMOTE_ADDR="10.0.0.2", HTTP_USER_AGENT="Browser/1")
    assert [(e.kind, e.detail) for e in IntegrityEvent.objects.filter(attempt=attempt)] == [
        ("ip_changed", {"from": "10.0.0.1", "to": "10.0.0.2"})]
    client.get(player, REMOTE_ADDR="10.0.0.2", HTTP_USER_AGENT="Browser/2")
    assert _kinds(attempt) == ["ip_changed", "ua_changed"]
    assert IntegrityEvent.objects.get(kind="ua_changed").detail == {"from": "Browser/1", "to": "Browser/2"}
    other_login = english(Client())
    other_login.force_login(attempt.candidate)
    page = other_login.get(player, REMOTE_ADDR="10.0.0.2", HTTP_USER_AGENT="Browser/2")
    assert page.status_code == 200 and config_of(page)["warnings"] == []  # the policy notifies, not warns
    assert _kinds(attempt) == ["ip_changed", "ua_changed", "second_login"]
    assert [s for _k, s, _b in _integrity_inbox(english_proctor)] == ["Integrity events: 赵六"] * 2
    assert sorted(b.split(", ")[0] for _k, _s, b in _integrity_inbox(english_proctor)) == [
        "赵六: Browser changed", "赵六: Opened from a second login"]
    attempt.refresh_from_db()
    assert (attempt.state, attempt.client_ip, attempt.client_agent) == ("open", "10.0.0.2", "Browser/2")


def test_an_autosave_from_another_address_is_recorded_once(sitting):
    attempt, config, client, _proctors = sitting
    slot = attempt.order["slots"][0]

    def save(seq, ip):
        return post_json(client, config["saveUrl"], {"device": config["device"], "responses": [
            {"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": seq}]}, REMOTE_ADDR=ip)

    assert save(1, "10.0.0.1").status_code == 200
    assert _kinds(attempt) == []
    assert save(2, "10.0.0.7").json()["saved"] == {slot: 2}
    assert [(e.kind, e.detail) for e in IntegrityEvent.objects.filter(attempt=attempt)] == [
        ("ip_changed", {"from": "10.0.0.1", "to": "10.0.0.7"})]
    assert save(3, "10.0.0.7").status_code == 200
    assert _kinds(attempt) == ["ip_changed"]
    attempt.refresh_from_db()
    assert (attempt.client_ip, attempt.state) == ("10.0.0.7", "open")
