"""The candidate's exam day through the views: papers, the check-in window, identity, approval, the unlock with its
spread, the deadline, late arrivals, the server's close at the deadline, and the requests that must be refused."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.core.api import audit_events, now
from aigcert.delivery import api as delivery
from aigcert.delivery import examday, rules, services
from aigcert.delivery.api import ATTEMPT_CLOSED, attempts_close_due
from aigcert.delivery.models import Attempt, CheckIn, Response, SessionDesk
from aigcert.delivery.tests.conftest import GENERAL, english, post_json, responses_table, valid_value

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
NOT_YET = "The exam has not unlocked yet."
TOO_LATE = "The latest entry time has passed; the exam can no longer be started."
NOT_ADMITTED = "The proctor has not admitted your check-in yet."
REFUSED = "The proctor did not admit your check-in."


def _seated(formal_day, session, *, ticket=None, user=None):
    user = formal_day.seat(session, user, ticket=ticket)
    client = english(Client())
    client.force_login(user)
    return user, client


def _url(session, tail=""):
    return f"/exam/session/{session.code}/{tail}"


def _start(client, session):
    return client.post(_url(session, "start/"), HTTP_ACCEPT="application/json")


def _check_in(user, session):
    return examday.checkin_confirm(candidate=user, session_code=str(session.code), confirmed=True,
                                   ip="127.0.0.1", agent="pytest")


def _refusals(what):
    return [(e.data["code"], e.data["session"]) for e in audit_events(action="delivery.refused")
            if e.data["what"] == what]


def _ms(moment):
    return int(moment.timestamp() * 1000)


# ---- check-in ---------------------------------------------------------------------------------------------------

def test_check_in_is_refused_while_the_session_has_no_papers(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=5), papers=False)
    _user, client = _seated(formal_day, session)
    page = client.post(_url(session), {"confirm": "yes"})
    assert page.status_code == 409
    assert "The papers of this session are not ready. Please tell the exam office." in page.content.decode()
    assert not CheckIn.objects.exists()
    assert _refusals("check_in") == [("papers_missing", str(session.code))]


@pytest.mark.parametrize(("start_in", "code", "text"), [
    (timedelta(minutes=31), "check_in_not_open", "Check-in has not opened yet."),
    (timedelta(minutes=-16), "check_in_closed", "Check-in has closed: the latest entry time has passed."),
])
def test_check_in_is_refused_outside_its_window(formal_day, start_in, code, text):
    session = formal_day.session(start_in=start_in)
    _user, client = _seated(formal_day, session)
    page = client.get(_url(session))
    assert page.status_code == 200 and b'id="check-in"' not in page.content
    refused = client.post(_url(session), {"confirm": "yes"})
    assert refused.status_code == 409
    assert f'id="exam-day-error">{text}</p>' in refused.content.decode()
    assert not CheckIn.objects.exists()
    assert _refusals("check_in") == [(code, str(session.code))]


def test_check_in_opens_exactly_30_minutes_before_the_start(formal_day, monkeypatch):
    session = formal_day.session(start_in=timedelta(minutes=40))
    user, client = _seated(formal_day, session)
    monkeypatch.setattr(examday, "now", lambda: session.start_at - timedelta(minutes=30, microseconds=1))
    assert client.post(_url(session), {"confirm": "yes"}).status_code == 409
    monkeypatch.setattr(examday, "now", lambda: session.start_at - timedelta(minutes=30))
    assert client.post(_url(session), {"confirm": "yes"}).status_code == 302
    assert CheckIn.objects.get().candidate == user


def test_the_identity_step_shows_the_legal_name_the_masked_id_and_the_photo(formal_day, make_profile):
    session = formal_day.session(start_in=timedelta(minutes=5))
    user, client = _seated(formal_day, session)
    make_profile(user, legal_name="张三", id_number="11010519491231002X",
                 photo=SimpleUploadedFile("me.png", PNG, content_type="image/png"))
    page = client.get(_url(session)).content.decode()
    assert '<dd data-testid="identity-name">张三</dd>' in page
    assert '<dd data-testid="identity-id">110***********002X</dd>' in page
    assert "11010519491231002X" not in page
    assert f'<img src="/exam/session/{session.code}/photo/"' in page
    photo = client.get(_url(session, "photo/"))
    assert (photo.status_code, photo.content, photo["Content-Type"], photo["Cache-Control"]) == (
        200, PNG, "image/png", "private, no-store")


def test_without_a_photo_the_page_shows_none_and_the_photo_is_not_found(formal_day, make_profile):
    session = formal_day.session(start_in=timedelta(minutes=5))
    user, client = _seated(formal_day, session)
    make_profile(user, legal_name="李四", id_number="11010519491231002X")
    page = client.get(_url(session)).content.decode()
    assert '<dd data-testid="identity-name">李四</dd>' in page and "<img" not in page
    assert client.get(_url(session, "photo/")).status_code == 404


def test_check_in_without_confirming_the_identity_is_refused(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=5))
    _user, client = _seated(formal_day, session)
    page = client.post(_url(session), {})
    assert page.status_code == 409
    assert "Please confirm that the name and ID number shown are yours." in page.content.decode()
    assert not CheckIn.objects.exists()
    assert _refusals("check_in") == [("identity", str(session.code))]
    assert client.post(_url(session), {"confirm": "yes"}).status_code == 302


def test_a_second_check_in_returns_the_first(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=5))
    user, _client = _seated(formal_day, session)
    first = _check_in(user, session)
    again = _check_in(user, session)
    assert again.pk == first.pk and CheckIn.objects.count() == 1
    assert len(audit_events(action="delivery.check_in")) == 1


def test_a_professional_session_takes_its_desk_from_the_policy(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=5), papers=False, program_code="aigc-professional")
    desk, _data = examday.desk_get(str(session.code))
    assert (desk.approval_required, desk.stagger_seconds, desk.latest_entry_minutes,
            desk.check_in_opens_minutes) == (True, 20, 15, 30)
    general = formal_day.session(start_in=timedelta(minutes=5), papers=False)
    assert examday.desk_get(str(general.code))[0].approval_required is False
    assert examday.desk_get(str(session.code))[0].pk == desk.pk  # made once
    assert SessionDesk.objects.count() == 2


def test_with_approval_the_candidate_waits_until_a_proctor_admits_them(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    SessionDesk.objects.filter(pk=examday.desk_get(str(session.code))[0].pk).update(approval_required=True)
    user, client = _seated(formal_day, session)
    assert client.post(_url(session), {"confirm": "yes"}).status_code == 302
    checkin = CheckIn.objects.get(candidate=user)
    assert checkin.state == "waiting"
    assert client.get(_url(session, "status/")).json()["state"] == "waiting"
    assert "Waiting for the proctor to admit you…" in client.get(_url(session)).content.decode()
    refused = _start(client, session)
    assert (refused.status_code, refused.json()) == (409, {"error": "not_admitted", "message": NOT_ADMITTED})
    assert not Attempt.objects.exists()
    examday.checkin_decide(checkin=checkin, actor=formal_day.exam_admin, approve=True, reason="ID checked")
    assert client.get(_url(session, "status/")).json()["state"] == "approved"
    assert _start(client, session).status_code == 200
    assert Attempt.objects.get(candidate=user).state == "open"


def test_a_refused_check_in_can_not_start_and_sees_the_reason(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session)
    checkin = _check_in(user, session)
    examday.checkin_decide(checkin=checkin, actor=formal_day.exam_admin, approve=False, reason="Not the person")
    status = client.get(_url(session, "status/")).json()
    assert (status["state"], status["reason"]) == ("refused", "Not the person")
    assert f"{REFUSED} Not the person" in client.get(_url(session)).content.decode()
    refused = _start(client, session)
    assert (refused.status_code, refused.json()) == (409, {"error": "refused", "message": REFUSED})
    assert not Attempt.objects.exists()
    assert _refusals("start") == [("refused", str(session.code))]


# ---- unlock, deadline, latest entry ---------------------------------------------------------------------------

def test_the_unlock_is_the_start_plus_the_tickets_delay_and_the_deadline_the_full_duration_after_it(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=5), duration_minutes=60)
    user, client = _seated(formal_day, session, ticket="T000100002")  # delay 13.618 s of 20
    assert client.post(_url(session), {"confirm": "yes"}).status_code == 302
    checkin = CheckIn.objects.get(candidate=user)
    unlock = session.start_at + timedelta(seconds=13, milliseconds=618)
    assert (checkin.state, checkin.unlock_at, checkin.entry_closes_at, checkin.deadline_at) == (
        "approved", unlock, session.start_at + timedelta(minutes=15), unlock + timedelta(minutes=60))
    status = client.get(_url(session, "status/")).json()
    assert (status["unlockAt"], status["entryClosesAt"], status["deadline"]) == (
        _ms(unlock), _ms(session.start_at + timedelta(minutes=15)), _ms(unlock + timedelta(minutes=60)))
    early = _start(client, session)
    assert (early.status_code, early.json()) == (409, {"error": "not_yet", "message": NOT_YET})
    assert not Attempt.objects.exists()
    assert _refusals("start") == [("not_yet", str(session.code))]


def test_the_start_opens_at_the_unlock_exactly(formal_day, monkeypatch):
    session = formal_day.session(start_in=timedelta(minutes=5))
    user, client = _seated(formal_day, session, ticket="T000100001")  # delay 12.64 s
    checkin = _check_in(user, session)
    assert checkin.unlock_at == session.start_at + timedelta(seconds=12, milliseconds=640)
    monkeypatch.setattr(examday, "now", lambda: checkin.unlock_at - timedelta(microseconds=1))
    assert _start(client, session).json()["error"] == "not_yet"
    monkeypatch.setattr(examday, "now", lambda: checkin.unlock_at)
    started = _start(client, session)
    assert started.status_code == 200
    attempt = Attempt.objects.get(candidate=user)
    assert (attempt.kind, attempt.session_code, attempt.started_at, attempt.deadline_at, attempt.paper_id) == (
        "formal", str(session.code), checkin.unlock_at, checkin.deadline_at, checkin.paper_id)
    answer = started.json()
    assert {k: answer[k] for k in ("attempt", "url", "deadline")} == {
        "attempt": str(attempt.code), "url": f"/exam/{attempt.code}/", "deadline": _ms(checkin.deadline_at)}
    assert answer["player"]["device"] == attempt.device != ""
    # A reload or a second tab gets the same attempt, only its address: the page load there takes it over.
    assert _start(client, session).json() == {"attempt": str(attempt.code), "url": f"/exam/{attempt.code}/",
                                              "deadline": _ms(checkin.deadline_at)}
    assert Attempt.objects.count() == 1


def test_extra_time_given_before_the_start_is_in_the_deadline(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1), duration_minutes=60)
    user, client = _seated(formal_day, session, ticket="T000100002")
    checkin = _check_in(user, session)
    examday.time_extend(session_code=str(session.code), candidate_id=user.pk, minutes=15,
                        actor=formal_day.exam_admin, reason="Documented accommodation")
    unlock = session.start_at + timedelta(seconds=13, milliseconds=618)
    checkin.refresh_from_db()
    assert (checkin.extra_minutes, checkin.deadline_at) == (15, unlock + timedelta(minutes=75))
    assert _start(client, session).status_code == 200
    attempt = Attempt.objects.get(candidate=user)
    assert (attempt.extra_minutes, attempt.deadline_at) == (15, unlock + timedelta(minutes=75))


def test_a_late_arrival_gets_only_the_time_that_is_left(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-10), duration_minutes=60)
    user, client = _seated(formal_day, session, ticket="T000100001")
    assert client.post(_url(session), {"confirm": "yes"}).status_code == 302
    started = _start(client, session)
    assert started.status_code == 200
    attempt = Attempt.objects.get(candidate=user)
    deadline = session.start_at + timedelta(seconds=12, milliseconds=640, minutes=60)
    assert attempt.deadline_at == deadline and started.json()["deadline"] == _ms(deadline)
    assert attempt.started_at >= session.start_at + timedelta(minutes=10)
    assert rules.remaining_seconds(attempt.deadline_at, attempt.started_at) <= 50 * 60 + 12.64


def test_no_start_after_the_latest_entry(formal_day, monkeypatch):
    session = formal_day.session(start_in=timedelta(minutes=-10))
    user, client = _seated(formal_day, session)
    checkin = _check_in(user, session)
    assert checkin.entry_closes_at == session.start_at + timedelta(minutes=15)
    monkeypatch.setattr(examday, "now", lambda: checkin.entry_closes_at + timedelta(microseconds=1))
    refused = _start(client, session)
    assert (refused.status_code, refused.json()) == (409, {"error": "too_late", "message": TOO_LATE})
    assert not Attempt.objects.exists()
    assert _refusals("start") == [("too_late", str(session.code))]
    monkeypatch.setattr(examday, "now", lambda: checkin.entry_closes_at)
    assert _start(client, session).status_code == 200


def test_a_cancelled_session_does_not_start(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session)
    _check_in(user, session)
    apps.get_model("exams", "Session").objects.filter(pk=session.pk).update(cancelled_at=now())
    refused = _start(client, session)
    assert refused.status_code == 409
    assert refused.json() == {"error": "cancelled", "message": "This session is cancelled."}
    assert not Attempt.objects.filter(candidate=user).exists()
    assert _refusals("start") == [("cancelled", str(session.code))]


def test_a_retake_session_starts_as_the_second_attempt_but_not_while_the_first_is_open(formal_day):
    first = formal_day.session(start_in=timedelta(minutes=-2))
    user, client = _seated(formal_day, first, ticket="T000500001")
    _check_in(user, first)
    assert _start(client, first).status_code == 200
    # The retake's seat: the same enrolment, the first booking released.
    retake = formal_day.session(start_in=timedelta(minutes=-1))
    booking = apps.get_model("enrolment", "Booking")
    earlier = booking.objects.get(enrolment__candidate=user)
    booking.objects.filter(pk=earlier.pk).update(status="released")
    booking.objects.create(enrolment=earlier.enrolment, session=retake, status="confirmed", kind="retake",
                           ticket_number="T000500002")
    _check_in(user, retake)
    refused = _start(client, retake)
    assert (refused.status_code, refused.json()["error"]) == (409, "open_elsewhere")
    Attempt.objects.filter(candidate=user).update(state=Attempt.State.SUBMITTED, closed_at=now())
    started = _start(client, retake)
    assert started.status_code == 200
    second = Attempt.objects.get(session_code=str(retake.code))
    assert (second.number, second.state, second.candidate_id) == (2, Attempt.State.OPEN, user.pk)
    assert _refusals("start") == [("open_elsewhere", str(retake.code))]


def test_the_waiting_room_says_when_the_latest_entry_has_passed(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-10))
    user, client = _seated(formal_day, session)
    checkin = _check_in(user, session)
    CheckIn.objects.filter(pk=checkin.pk).update(entry_closes_at=now() - timedelta(seconds=1))
    assert client.get(_url(session, "status/")).json()["late"] is True
    page = client.get(_url(session))
    assert TOO_LATE in page.content.decode() and b'id="start-form"' not in page.content
    refused = client.post(_url(session, "start/"))  # the form's own post: a page, not JSON
    assert refused.status_code == 409 and TOO_LATE in refused.content.decode()


def test_changing_the_spread_re_times_only_the_check_ins_not_started(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1), duration_minutes=60)
    started, started_client = _seated(formal_day, session, ticket="A1")  # delay 10.425 s
    waiting, _client = _seated(formal_day, session, ticket="T000100001")
    _check_in(started, session)
    assert _start(started_client, session).status_code == 200
    _check_in(waiting, session)
    before = CheckIn.objects.get(candidate=started)
    attempt_deadline = Attempt.objects.get(candidate=started).deadline_at
    examday.desk_update(session_code=str(session.code), actor=formal_day.exam_admin, approval_required=False,
                        stagger_seconds=600, latest_entry_minutes=30, proctor_ids=[], reason="Network is slow")
    moved = CheckIn.objects.get(candidate=waiting)
    unlock = session.start_at + timedelta(seconds=123, milliseconds=797)
    assert (moved.unlock_at, moved.entry_closes_at, moved.deadline_at) == (
        unlock, session.start_at + timedelta(minutes=30), unlock + timedelta(minutes=60))
    after = CheckIn.objects.get(candidate=started)
    assert (after.unlock_at, after.entry_closes_at, after.deadline_at) == (
        before.unlock_at, before.entry_closes_at, before.deadline_at)
    assert Attempt.objects.get(candidate=started).deadline_at == attempt_deadline
    [event] = audit_events(action="delivery.desk_update")
    assert event.data["before"] == {"approval_required": False, "stagger_seconds": 20, "latest_entry_minutes": 15,
                                    "proctors": []}
    assert event.data["after"] == {"approval_required": False, "stagger_seconds": 600, "latest_entry_minutes": 30,
                                   "proctors": []}
    assert event.data["reason"] == "Network is slow"


# ---- the server's close at the deadline ---------------------------------------------------------------------------

def _open_attempts(formal_day, session, count):
    attempts = []
    for _n in range(count):
        user = formal_day.seat(session)
        _check_in(user, session)
        attempts.append(examday.formal_start(candidate_id=user.pk, session_code=str(session.code))[0])
    return attempts


def _answer(attempt, count):
    values = {}
    for n, slot in enumerate(attempt.order["slots"][:count], start=1):
        values[slot] = valid_value(attempt.schema[slot])
        Response.objects.create(attempt=attempt, slot=slot, value=values[slot], seq=n, saved_at=now())
    return values


def _closed_payloads():
    return [e.payload for e in apps.get_model("core", "OutboxEvent").objects.filter(topic=ATTEMPT_CLOSED)]


def test_the_server_closes_every_formal_attempt_past_its_deadline_and_grace(
        formal_day, django_assert_max_num_queries):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    grace = timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS)
    first = _open_attempts(formal_day, session, 3)
    due = first + _open_attempts(formal_day, session, 30)
    paused, in_grace, running = _open_attempts(formal_day, session, 3)
    answers = {a.pk: _answer(a, n % 4) for n, a in enumerate(due)}
    past = now() - grace - timedelta(seconds=5)
    Attempt.objects.filter(pk__in=[a.pk for a in first]).update(deadline_at=past)
    Attempt.objects.filter(pk=paused.pk).update(deadline_at=past, paused_at=past)
    Attempt.objects.filter(pk=in_grace.pk).update(deadline_at=now() - grace + timedelta(seconds=60))

    with django_assert_max_num_queries(12) as three:
        assert attempts_close_due() == 3
    Attempt.objects.filter(pk__in=[a.pk for a in due[3:]]).update(deadline_at=past)
    with django_assert_max_num_queries(12) as thirty:
        assert attempts_close_due() == 30
    assert len(thirty.captured_queries) == len(three.captured_queries)  # not one more per attempt

    for attempt in due:
        attempt.refresh_from_db()
        assert (attempt.state, attempt.closed_by_server, attempt.device) == ("expired", True, "")
        assert attempt.answered_count == len(answers[attempt.pk])
        assert attempt.answers_hash == rules.answers_hash(answers[attempt.pk])
    for attempt in (paused, in_grace, running):
        attempt.refresh_from_db()
        assert attempt.state == "open"
    events = audit_events(action="delivery.attempt_close")
    assert sorted(e.target_id for e in events) == sorted(str(a.pk) for a in due)
    assert {e.target_id: e.data for e in events} == {
        str(a.pk): {"by_server": True, "state": "expired", "answered": a.answered_count, "hash": a.answers_hash}
        for a in due}
    assert sorted(p["attempt"] for p in _closed_payloads()) == sorted(str(a.code) for a in due)
    assert _closed_payloads()[0] == {"attempt": str(first[0].code), "kind": "formal", "program": GENERAL,
                                     "by_server": True, "state": "expired", "session": str(session.code)}
    assert not delivery.has_open_formal_attempt(due[0].candidate_id)

    # Idempotent: nothing more to close, nothing more recorded.
    assert attempts_close_due() == 0
    assert len(audit_events(action="delivery.attempt_close")) == 33
    assert len(_closed_payloads()) == 33


# ---- the tutor and mocks while a formal exam is open ---------------------------------------------------------------

def test_a_formal_exam_is_open_from_its_start_to_its_submit_also_while_paused(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session)
    _check_in(user, session)
    assert delivery.has_open_formal_attempt(user.pk) is False
    assert _start(client, session).status_code == 200
    assert delivery.has_open_formal_attempt(user.pk) is True
    refused = client.post(f"/exam/mock/{GENERAL}/start/")
    assert refused.status_code == 409
    assert "Mock exams and study tools are closed while your formal exam is open." in refused.content.decode()
    assert not Attempt.objects.filter(kind="mock").exists()
    attempt = Attempt.objects.get(candidate=user)
    examday.attempt_pause(attempt=attempt, session_pk=session.pk, actor=formal_day.exam_admin, reason="Noise")
    assert delivery.has_open_formal_attempt(user.pk) is True
    examday.attempt_resume(attempt=attempt, session_pk=session.pk, actor=formal_day.exam_admin, reason="Quiet")
    assert post_json(client, f"/exam/{attempt.code}/submit/", {"key": "k"}).status_code == 200
    assert delivery.has_open_formal_attempt(user.pk) is False
    assert client.post(f"/exam/mock/{GENERAL}/start/").status_code == 302


# ---- requests that must be refused ---------------------------------------------------------------------------------

def test_without_a_seat_every_exam_day_page_is_not_found(formal_day, make_user):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    stranger = english(Client())
    stranger.force_login(make_user(Role.CANDIDATE))
    assert stranger.get(_url(session)).status_code == 404
    assert stranger.post(_url(session), {"confirm": "yes"}).status_code == 404
    assert stranger.get(_url(session, "status/")).status_code == 404
    assert stranger.get(_url(session, "photo/")).status_code == 404
    refused = _start(stranger, session)
    assert (refused.status_code, refused.json()) == (404, {"error": "not_found"})
    assert stranger.post(_url(session, "start/")).status_code == 404
    assert not CheckIn.objects.exists() and not Attempt.objects.exists()


def test_someone_elses_attempt_looks_missing(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    owner, owner_client = _seated(formal_day, session)
    _check_in(owner, session)
    _start(owner_client, session)
    attempt = Attempt.objects.get(candidate=owner)
    _other, other_client = _seated(formal_day, session)
    slot = attempt.order["slots"][0]
    body = {"device": "x", "responses": [{"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 1}]}
    assert other_client.get(f"/exam/{attempt.code}/").status_code == 404
    assert post_json(other_client, f"/exam/{attempt.code}/save/", body).status_code == 404
    assert post_json(other_client, f"/exam/{attempt.code}/submit/", {"key": "k"}).status_code == 404
    assert other_client.get(f"/exam/{attempt.code}/state/").status_code == 404
    assert post_json(other_client, f"/exam/{attempt.code}/integrity/",
                     {"device": "x", "events": [{"kind": "paste"}]}).status_code == 404
    attempt.refresh_from_db()
    assert attempt.state == "open" and responses_table() == []
    assert not attempt.integrity_events.exists()


def test_a_terminated_attempt_is_not_started_again(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session)
    _check_in(user, session)
    _start(client, session)
    attempt = Attempt.objects.get(candidate=user)
    examday.attempt_terminate(attempt=attempt, session_pk=session.pk, actor=formal_day.exam_admin,
                              reason="Phone on the desk")
    again = _start(client, session)
    assert again.json()["attempt"] == str(attempt.code)
    assert Attempt.objects.filter(candidate=user).count() == 1
    assert Attempt.objects.get(candidate=user).state == "terminated"
    assert client.get(again.json()["url"])["Location"] == f"/exam/{attempt.code}/done/"
    assert client.get(_url(session, "status/")).json()["state"] == "closed"


def test_a_paused_attempt_is_not_restarted_and_stays_paused(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session)
    _check_in(user, session)
    _start(client, session)
    attempt = Attempt.objects.get(candidate=user)
    paused = examday.attempt_pause(attempt=attempt, session_pk=session.pk, actor=formal_day.exam_admin,
                                   reason="Fire alarm")
    assert _start(client, session).json()["attempt"] == str(attempt.code)
    attempt.refresh_from_db()
    assert (Attempt.objects.count(), attempt.paused_at, attempt.deadline_at) == (
        1, paused.paused_at, paused.deadline_at)


def _csrf_client(user):
    client = english(Client(enforce_csrf_checks=True))
    client.force_login(user)
    return client


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(formal_day, make_user):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user = formal_day.seat(session)
    client = _csrf_client(user)
    assert client.post(_url(session), {"confirm": "yes"}).status_code == 403
    assert not CheckIn.objects.exists()
    _check_in(user, session)
    assert client.post(_url(session, "start/"), HTTP_ACCEPT="application/json").status_code == 403
    assert not Attempt.objects.exists()
    attempt = examday.formal_start(candidate_id=user.pk, session_code=str(session.code))[0]
    device = services.attempt_claim_device(attempt)
    slot = attempt.order["slots"][0]
    body = {"device": device, "responses": [{"slot": slot, "value": valid_value(attempt.schema[slot]),
                                                     "seq": 1}]}
    assert post_json(client, f"/exam/{attempt.code}/save/", body).status_code == 403
    assert post_json(client, f"/exam/{attempt.code}/submit/", {"key": "k"}).status_code == 403
    assert responses_table() == []
    proctor = _csrf_client(formal_day.exam_admin)
    refused = proctor.post(f"/staff/proctor/{session.code}/act/",
                           {"kind": "pause", "ticket": CheckIn.objects.get().ticket_number, "reason": "Test"})
    assert refused.status_code == 403
    attempt.refresh_from_db()
    assert (attempt.state, attempt.paused_at) == ("open", None)
    assert not apps.get_model("delivery", "ProctorAction").objects.exists()
