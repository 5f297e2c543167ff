"""The proctor console: who sees which session, the actions (each with a reason, each kept and audited), the desk
settings, and the rows the console shows."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from aigcert.accounts.api import Role
from aigcert.core.api import audit_events, now
from aigcert.delivery import api as delivery_api
from aigcert.delivery import examday, selectors, services
from aigcert.delivery.api import attempts_close_due
from aigcert.delivery.models import Attempt, CheckIn, IntegrityEvent, ProctorAction, Response, SessionDesk
from aigcert.delivery.tests.conftest import english, post_json, responses_table, valid_value

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 30
NEED_REASON = "Give a reason: it is kept with the action."
PAUSED = "Your exam is paused by the proctor. Your answers are kept; wait until it is resumed."
TIME_UP = "Time is up. Your exam was submitted with the answers saved before the deadline."
ENDED = "The proctor has ended your exam. The answers saved before that are kept."


def _client(user):
    client = english(Client())
    client.force_login(user)
    return client


def _ms(moment):
    return int(moment.timestamp() * 1000)


def _desk(session):
    return SessionDesk.objects.get(pk=examday.desk_get(str(session.code))[0].pk)


def _checked_in(formal_day, session, ticket):
    user = formal_day.seat(session, ticket=ticket)
    examday.checkin_confirm(candidate=user, session_code=str(session.code), confirmed=True, ip="127.0.0.1",
                            agent="pytest")
    return user


def _started(formal_day, session, ticket):
    user = _checked_in(formal_day, session, ticket)
    attempt = examday.formal_start(candidate_id=user.pk, session_code=str(session.code))[0]
    device = services.attempt_claim_device(attempt)
    return user, attempt, device


def _act(client, session, **data):
    return client.post(f"/staff/proctor/{session.code}/act/", data, follow=True)


def _kept(kind, actor, reason, candidate=None):
    """The action is kept once, with its reason, and audited under delivery.proctor_<kind>."""
    [action] = ProctorAction.objects.filter(kind=kind)
    assert (action.actor_id, action.reason, action.candidate_id) == (
        actor.pk, reason, candidate.pk if candidate else None)
    [event] = audit_events(action=f"delivery.proctor_{kind}")
    assert (event.actor_id, event.data["reason"], event.data["session_action"]) == (
        actor.pk, reason, str(action.code))
    return action, event


# ---- who may see what -------------------------------------------------------------------------------------------

@pytest.fixture
def desk_day(formal_day, make_user, make_profile):
    """A started session with one checked-in candidate (ticket P0001, with a photo) and an assigned proctor."""
    session = formal_day.session(start_in=timedelta(minutes=-1))
    candidate = _checked_in(formal_day, session, "P0001")
    make_profile(candidate, legal_name="王五", id_number="11010519491231002X",
                 photo=SimpleUploadedFile("id.png", PNG, content_type="image/png"))
    proctor = make_user(Role.PROCTOR)
    _desk(session).proctors.add(proctor)
    return session, candidate, proctor


def _user_of(name, desk_day, formal_day, make_user, staff_user):
    return {"exam_admin": lambda: formal_day.exam_admin, "staff": lambda: staff_user,
            "assigned_proctor": lambda: desk_day[2], "unassigned_proctor": lambda: make_user(Role.PROCTOR),
            "candidate": lambda: desk_day[1], "other_candidate": lambda: make_user(Role.CANDIDATE),
            "marker": lambda: make_user(Role.MARKER)}[name]()


@pytest.mark.parametrize("who", ["exam_admin", "staff", "assigned_proctor"])
def test_admins_staff_and_the_assigned_proctor_see_the_session(who, desk_day, formal_day, make_user, staff_user):
    session, _candidate, _proctor = desk_day
    client = _client(_user_of(who, desk_day, formal_day, make_user, staff_user))
    base = f"/staff/proctor/{session.code}/"
    console = client.get(base)
    assert console.status_code == 200 and b'data-ticket="P0001"' in console.content
    assert client.get(f"{base}P0001/").status_code == 200
    photo = client.get(f"{base}P0001/photo/")
    assert (photo.status_code, photo.content, photo["Cache-Control"]) == (200, PNG, "private, no-store")
    assert client.get(f"{base}P9999/").status_code == 404
    assert _act(client, session, kind="incident", reason="Projector failed").status_code == 200
    assert ProctorAction.objects.filter(kind="incident").count() == 1


DENIED = ["unassigned_proctor", "candidate", "other_candidate", "marker"]


@pytest.mark.parametrize("who", DENIED)
def test_everyone_else_gets_not_found_and_changes_nothing(who, desk_day, formal_day, make_user, staff_user):
    session, candidate, _proctor = desk_day
    client = _client(_user_of(who, desk_day, formal_day, make_user, staff_user))
    base = f"/staff/proctor/{session.code}/"
    statuses = [client.get(base).status_code, client.get(f"{base}P0001/").status_code,
                client.get(f"{base}P0001/photo/").status_code,
                client.post(f"{base}act/", {"kind": "refuse", "ticket": "P0001", "reason": "x"}).status_code,
                client.post(f"{base}desk/", {"stagger_seconds": 0, "latest_entry_minutes": 5,
                                             "reason": "x"}).status_code]
    assert CheckIn.objects.get(candidate=candidate).state == "approved"
    assert not ProctorAction.objects.exists()
    desk = _desk(session)
    assert (desk.stagger_seconds, desk.latest_entry_minutes) == (20, 15)
    assert statuses == [404] * 5


def test_a_missing_session_is_not_found_even_for_the_exam_admin(formal_day):
    client = _client(formal_day.exam_admin)
    base = f"/staff/proctor/{uuid.uuid4()}/"
    assert [client.get(base).status_code, client.get(f"{base}P0001/").status_code,
            client.get(f"{base}P0001/photo/").status_code,
            client.post(f"{base}act/", {"kind": "incident", "reason": "x"}).status_code,
            client.post(f"{base}desk/", {"stagger_seconds": 0, "latest_entry_minutes": 5,
                                         "reason": "x"}).status_code] == [404] * 5


def test_the_session_list_shows_only_the_sessions_one_may_proctor(desk_day, formal_day, make_user):
    session, _candidate, proctor = desk_day
    other = formal_day.session(start_in=timedelta(hours=3), papers=False)
    link = 'href="/staff/proctor/{}/"'
    admin_page = _client(formal_day.exam_admin).get("/staff/proctor/").content.decode()
    assert link.format(session.code) in admin_page and link.format(other.code) in admin_page
    assigned_page = _client(proctor).get("/staff/proctor/").content.decode()
    assert link.format(session.code) in assigned_page and link.format(other.code) not in assigned_page
    unassigned_page = _client(make_user(Role.PROCTOR)).get("/staff/proctor/").content.decode()
    assert "No sessions for you." in unassigned_page and "/staff/proctor/" + str(session.code) not in unassigned_page


# ---- the desk settings --------------------------------------------------------------------------------------------

def test_only_exam_admins_change_the_desk(desk_day, formal_day):
    session, _candidate, proctor = desk_day
    data = {"approval_required": "on", "stagger_seconds": 0, "latest_entry_minutes": 20,
            "proctors": [str(proctor.pk)], "reason": "More time to arrive"}
    assert _client(proctor).post(f"/staff/proctor/{session.code}/desk/", data).status_code == 404
    desk = _desk(session)
    assert (desk.approval_required, desk.stagger_seconds, desk.latest_entry_minutes) == (False, 20, 15)
    assert not audit_events(action="delivery.desk_update")
    page = _client(formal_day.exam_admin).post(f"/staff/proctor/{session.code}/desk/", data, follow=True)
    assert "The session&#x27;s settings are saved." in page.content.decode()
    desk = _desk(session)
    assert (desk.approval_required, desk.stagger_seconds, desk.latest_entry_minutes,
            list(desk.proctors.values_list("pk", flat=True))) == (True, 0, 20, [proctor.pk])
    assert audit_events(action="delivery.desk_update")[0].data["reason"] == "More time to arrive"


def test_the_desk_needs_a_reason_and_only_proctors_can_be_assigned(desk_day, formal_day, make_user):
    session, _candidate, proctor = desk_day
    client = _client(formal_day.exam_admin)
    client.post(f"/staff/proctor/{session.code}/desk/", {"stagger_seconds": 0, "latest_entry_minutes": 20,
                                                         "reason": " "})
    marker = make_user(Role.MARKER)
    client.post(f"/staff/proctor/{session.code}/desk/", {"stagger_seconds": 0, "latest_entry_minutes": 20,
                                                         "proctors": [str(marker.pk)], "reason": "r"})
    with translation.override("en"), pytest.raises(examday.DomainError,
                                                   match=r"^Only users with the proctor role can be assigned\.$"):
        examday.desk_update(session_code=str(session.code), actor=formal_day.exam_admin, approval_required=False,
                            stagger_seconds=0, latest_entry_minutes=20, proctor_ids=[marker.pk], reason="r")
    desk = _desk(session)
    assert (desk.stagger_seconds, desk.latest_entry_minutes, list(desk.proctors.all())) == (20, 15, [proctor])
    assert not audit_events(action="delivery.desk_update")


# ---- actions ------------------------------------------------------------------------------------------------------

def _state(session):
    """Everything an action could change, for "nothing changed"."""
    return (list(CheckIn.objects.order_by("pk").values_list("state", "deadline_at", "extra_minutes", "reason")),
            list(Attempt.objects.order_by("pk").values_list("state", "paused_at", "deadline_at", "extra_minutes")),
            responses_table(), list(ProctorAction.objects.values_list("pk")))


@pytest.mark.parametrize(("kind", "ticket", "reason"), [
    ("approve", "W1", ""), ("refuse", "W1", "   "), ("pause", "S1", ""), ("resume", "S2", "  "),
    ("extend", "S1", ""), ("terminate", "S1", "\n "), ("incident", "", ""), ("incident", "S1", " ")])
def test_every_action_needs_a_reason(kind, ticket, reason, formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    _started(formal_day, session, "S1")
    _user, paused, _device = _started(formal_day, session, "S2")
    examday.attempt_pause(attempt=paused, session_pk=session.pk, actor=formal_day.exam_admin, reason="setup")
    SessionDesk.objects.filter(session_id=session.pk).update(approval_required=True)
    _checked_in(formal_day, session, "W1")
    before = _state(session), len(audit_events())
    page = _act(_client(formal_day.exam_admin), session, kind=kind, ticket=ticket, minutes=5, reason=reason)
    assert page.status_code == 200 and NEED_REASON in page.content.decode()
    assert (_state(session), len(audit_events())) == before


def test_a_proctor_admits_a_waiting_check_in(desk_day, formal_day):
    session, _candidate, proctor = desk_day
    SessionDesk.objects.filter(session_id=session.pk).update(approval_required=True)
    waiting = _checked_in(formal_day, session, "W1")
    page = _act(_client(proctor), session, kind="approve", ticket="W1", reason="ID matches")
    assert "Done: Admitted the check-in." in page.content.decode()
    checkin = CheckIn.objects.get(candidate=waiting)
    assert (checkin.state, checkin.decided_by_id, checkin.reason) == ("approved", proctor.pk, "ID matches")
    action, event = _kept("approve", proctor, "ID matches", waiting)
    assert action.data == {"before": "waiting", "after": "approved", "ticket": "W1"}
    assert event.target_id == str(checkin.pk)


def test_a_started_candidates_check_in_can_not_be_refused(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, _attempt, _device = _started(formal_day, session, "S1")
    page = _act(_client(formal_day.exam_admin), session, kind="refuse", ticket="S1", reason="Wrong person")
    assert "The candidate has started already." in page.content.decode()
    assert CheckIn.objects.get(candidate=user).state == "approved"
    assert not ProctorAction.objects.exists()


def test_an_absent_candidate_can_not_be_admitted_and_an_unknown_ticket_is_not_found(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    formal_day.seat(session, ticket="A1")
    client = _client(formal_day.exam_admin)
    assert "This candidate has not checked in." in _act(client, session, kind="approve", ticket="A1",
                                                        reason="r").content.decode()
    assert _act(client, session, kind="approve", ticket="NOPE", reason="r").status_code == 404
    assert not ProctorAction.objects.exists()


def test_a_paused_exam_takes_no_saves_no_submit_is_not_closed_and_its_clock_stops(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    proctor = formal_day.exam_admin
    user, attempt, device = _started(formal_day, session, "S1")
    client = _client(user)
    page = _act(_client(proctor), session, kind="pause", ticket="S1", reason="Candidate feels unwell")
    assert "Done: Paused the exam." in page.content.decode()
    attempt.refresh_from_db()
    assert attempt.paused_at is not None and attempt.state == "open"
    action, _event = _kept("pause", proctor, "Candidate feels unwell", user)
    assert action.data == {"deadline": attempt.deadline_at.isoformat()}
    slot = attempt.order["slots"][0]
    body = {"device": device, "responses": [{"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 1}]}
    saved = post_json(client, f"/exam/{attempt.code}/save/", body)
    assert (saved.status_code, saved.json()) == (409, {"error": "paused", "message": PAUSED})
    submitted = post_json(client, f"/exam/{attempt.code}/submit/", {"key": "k", "device": device, **body})
    assert (submitted.status_code, submitted.json()) == (409, {"error": "paused", "message": PAUSED})
    assert responses_table() == []
    state = client.get(f"/exam/{attempt.code}/state/").json()
    assert (state["state"], state["paused"], state["deadline"]) == ("open", True, _ms(attempt.deadline_at))
    # Past its deadline while paused: neither the finalizer nor a look at the attempt closes it.
    moment = now()
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=moment - timedelta(hours=1),
                                                 paused_at=moment - timedelta(hours=1, minutes=10))
    assert attempts_close_due() == 0
    assert client.get(f"/exam/{attempt.code}/state/").json()["state"] == "open"
    [row] = selectors.console_rows(examday.desk_get(str(session.code))[1])
    assert (row.stage, row.time_left) == ("paused", 600)
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_at) == ("open", None)


def test_resuming_moves_the_deadline_by_the_length_of_the_pause(formal_day, monkeypatch):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    proctor = formal_day.exam_admin
    user, attempt, device = _started(formal_day, session, "S1")
    deadline = attempt.deadline_at
    paused_at = now()
    monkeypatch.setattr(examday, "now", lambda: paused_at)
    _act(_client(proctor), session, kind="pause", ticket="S1", reason="Fire alarm")
    monkeypatch.setattr(examday, "now", lambda: paused_at + timedelta(minutes=7, seconds=30))
    page = _act(_client(proctor), session, kind="resume", ticket="S1", reason="All clear")
    assert "Done: Resumed the exam." in page.content.decode()
    attempt.refresh_from_db()
    assert (attempt.paused_at, attempt.deadline_at) == (None, deadline + timedelta(minutes=7, seconds=30))
    action, _event = _kept("resume", proctor, "All clear", user)
    assert action.data == {"paused_seconds": 450, "deadline_before": deadline.isoformat(),
                           "deadline_after": attempt.deadline_at.isoformat()}
    slot = attempt.order["slots"][0]
    saved = post_json(_client(user), f"/exam/{attempt.code}/save/", {
        "device": device, "responses": [{"slot": slot, "value": valid_value(attempt.schema[slot]), "seq": 1}]})
    assert saved.status_code == 200 and saved.json()["deadline"] == _ms(attempt.deadline_at)
    # Resuming what is not paused is refused.
    assert "This exam is not paused." in _act(_client(proctor), session, kind="resume", ticket="S1",
                                              reason="again").content.decode()
    assert ProctorAction.objects.filter(kind="resume").count() == 1


def test_extra_time_during_the_exam_moves_the_deadline_and_the_next_save_says_so(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    proctor = formal_day.exam_admin
    user, attempt, device = _started(formal_day, session, "S1")
    before = attempt.deadline_at
    page = _act(_client(proctor), session, kind="extend", ticket="S1", minutes=10, reason="Lost 10 minutes")
    assert "Done: Added extra time." in page.content.decode()
    attempt.refresh_from_db()
    assert (attempt.deadline_at, attempt.extra_minutes) == (before + timedelta(minutes=10), 10)
    action, _event = _kept("extend", proctor, "Lost 10 minutes", user)
    assert action.data == {"minutes": 10, "deadline_before": before.isoformat(),
                           "deadline_after": attempt.deadline_at.isoformat()}
    saved = post_json(_client(user), f"/exam/{attempt.code}/save/", {"device": device, "responses": []})
    assert saved.json()["deadline"] == _ms(before + timedelta(minutes=10))


def test_extra_time_before_the_start_goes_to_the_check_in(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=10))
    user = _checked_in(formal_day, session, "C1")
    before = CheckIn.objects.get(candidate=user).deadline_at
    _act(_client(formal_day.exam_admin), session, kind="extend", ticket="C1", minutes=20, reason="Accommodation")
    checkin = CheckIn.objects.get(candidate=user)
    assert (checkin.deadline_at, checkin.extra_minutes) == (before + timedelta(minutes=20), 20)
    _kept("extend", formal_day.exam_admin, "Accommodation", user)
    assert not Attempt.objects.exists()


def test_ending_an_exam_keeps_its_answers_and_refuses_later_saves(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    proctor = formal_day.exam_admin
    user, attempt, device = _started(formal_day, session, "S1")
    client = _client(user)
    slots = attempt.order["slots"][:2]
    entries = [{"slot": s, "value": valid_value(attempt.schema[s]), "seq": n} for n, s in enumerate(slots, 1)]
    assert post_json(client, f"/exam/{attempt.code}/save/", {"device": device, "responses": entries}).status_code == 200
    answers = responses_table()
    page = _act(_client(proctor), session, kind="terminate", ticket="S1", reason="Used a phone")
    assert "Done: Ended the exam." in page.content.decode()
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_by_server, attempt.answered_count) == ("terminated", False, 2)
    assert responses_table() == answers
    action, _event = _kept("terminate", proctor, "Used a phone", user)
    assert action.data == {"answered": 2, "hash": attempt.answers_hash}
    [closed] = audit_events(action="delivery.attempt_close")
    assert (closed.actor_id, closed.data["state"]) == (proctor.pk, "terminated")
    later = post_json(client, f"/exam/{attempt.code}/save/", {"device": device, "responses": [
        {"slot": slots[0], "value": None, "seq": 9}]})
    assert (later.status_code, later.json()["error"], later.json()["message"]) == (409, "ended", ENDED)
    assert responses_table() == answers
    assert "This exam is closed already." in _act(_client(proctor), session, kind="terminate", ticket="S1",
                                                  reason="again").content.decode()


def test_incident_reports_about_the_session_or_one_candidate(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user = _checked_in(formal_day, session, "C1")
    client = _client(formal_day.exam_admin)
    assert "Done: Incident report." in _act(client, session, kind="incident", reason="Power cut").content.decode()
    _act(client, session, kind="incident", ticket="C1", reason="Talked to a neighbour")
    actions = {a.reason: a.candidate_id for a in ProctorAction.objects.filter(kind="incident")}
    assert actions == {"Power cut": None, "Talked to a neighbour": user.pk}
    assert sorted(e.data["reason"] for e in audit_events(action="delivery.proctor_incident")) == [
        "Power cut", "Talked to a neighbour"]


# ---- the console's rows -----------------------------------------------------------------------------------------

def test_console_rows_show_where_each_candidate_stands(formal_day, django_assert_max_num_queries):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    admin = formal_day.exam_admin
    formal_day.seat(session, ticket="C01")                                 # absent
    SessionDesk.objects.filter(pk=examday.desk_get(str(session.code))[0].pk).update(approval_required=True)
    _checked_in(formal_day, session, "C02")                                # waiting
    for ticket in ("C03", "C04", "C05", "C06", "C07", "C08", "C09"):
        checkin = CheckIn.objects.get(candidate=_checked_in(formal_day, session, ticket))
        examday.checkin_decide(checkin=checkin, actor=admin, approve=ticket != "C04", reason="checked")
    attempts = {}
    for ticket in ("C05", "C06", "C07", "C08", "C09"):
        checkin = CheckIn.objects.get(ticket_number=ticket)
        attempts[ticket] = examday.formal_start(candidate_id=checkin.candidate_id, session_code=str(session.code))[0]
    open_one = attempts["C05"]
    for n, slot in enumerate(open_one.order["slots"][:3], 1):
        Response.objects.create(attempt=open_one, slot=slot, value=valid_value(open_one.schema[slot]) if n < 3
                                else None, seq=n, saved_at=now())
    for kind in ("ip_changed", "ip_changed", "focus_lost", "focus_lost", "focus_lost"):
        examday.integrity_record(attempt=open_one, kind=kind)
    examday.attempt_pause(attempt=attempts["C06"], session_pk=session.pk, actor=admin, reason="r")
    paused_at = now() - timedelta(minutes=30)
    Attempt.objects.filter(pk=attempts["C06"].pk).update(paused_at=paused_at,
                                                         deadline_at=paused_at + timedelta(minutes=25))
    services.attempt_submit(attempt=attempts["C07"], key="k")
    Attempt.objects.filter(pk=attempts["C08"].pk).update(deadline_at=now() - timedelta(minutes=5))
    attempts_close_due()
    examday.attempt_terminate(attempt=attempts["C09"], session_pk=session.pk, actor=admin, reason="r")

    data = examday.desk_get(str(session.code))[1]
    with django_assert_max_num_queries(12):
        rows = selectors.console_rows(data)
    assert [(r.ticket_number, r.stage) for r in rows] == [
        ("C01", "absent"), ("C02", "waiting"), ("C03", "approved"), ("C04", "refused"), ("C05", "open"),
        ("C06", "paused"), ("C07", "submitted"), ("C08", "expired"), ("C09", "terminated")]
    by_ticket = {r.ticket_number: r for r in rows}
    assert (by_ticket["C05"].answered, by_ticket["C05"].total) == (2, 100)
    assert by_ticket["C05"].events == {"ip_changed": 2, "focus_lost": 3}
    assert by_ticket["C05"].flagged == ("ip_changed",)
    assert by_ticket["C06"].time_left == 25 * 60  # frozen at the pause
    assert 0 < by_ticket["C05"].time_left <= 60 * 60 + 20
    assert [by_ticket[t].time_left for t in ("C01", "C03", "C07", "C08", "C09")] == [None] * 5
    assert [by_ticket[t].attempt_code for t in ("C01", "C02", "C03", "C04")] == [""] * 4
    assert [by_ticket[t].flagged for t in ("C06", "C07")] == [(), ()]

    client = _client(admin)
    fragment = client.get(f"/staff/proctor/{session.code}/", HTTP_X_REFRESH="rows").content.decode()
    # Attention: the waiting check-in (C02), the flagged candidate (C05) and the paused one (C06), as the filter.
    assert fragment.startswith('<p class="console-tally" data-testid="tally">9 seats · 8 checked in · 5 started · '
                               '3 finished · 3 need attention')
    assert "<html" not in fragment and "action-dialog" not in fragment and "desk-form" not in fragment
    assert fragment.count("<tr data-ticket=") == 9
    assert '<tr data-ticket="C05" data-stage="open" class="row-flagged">' in fragment
    full = client.get(f"/staff/proctor/{session.code}/").content.decode()
    assert "<html" in full and 'id="desk-form"' in full and 'id="console-rows"' in full
    attention = client.get(f"/staff/proctor/{session.code}/?show=attention", HTTP_X_REFRESH="rows")
    assert attention.content.decode().count("<tr data-ticket=") == 3  # waiting, flagged, paused


def test_the_candidate_page_lists_its_events_and_the_actions_on_it(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, attempt, _device = _started(formal_day, session, "S1")
    examday.integrity_record(attempt=attempt, kind="paste", detail={"length": 120})
    examday.time_extend(session_code=str(session.code), candidate_id=user.pk, minutes=5,
                        actor=formal_day.exam_admin, reason="Slow computer")
    page = _client(formal_day.exam_admin).get(f"/staff/proctor/{session.code}/S1/")
    assert page.status_code == 200
    assert [e.kind for e in page.context["events"]] == ["paste"]
    assert [(a.kind, a.reason) for a in page.context["actions"]] == [("extend", "Slow computer")]
    assert IntegrityEvent.objects.get().detail == {"length": 120}


def test_a_pause_nobody_ends_is_closed_by_the_server_after_the_longest_pause(formal_day, settings):
    # A forgotten pause must not keep the attempt (and the candidate's study tools) closed for good.
    settings.EXAM_PAUSE_MAX_MINUTES = 30
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, attempt, _device = _started(formal_day, session, "S1")
    examday.attempt_pause(attempt=attempt, session_pk=session.pk, actor=formal_day.exam_admin, reason="Noise")
    assert attempts_close_due() == 0
    Attempt.objects.filter(pk=attempt.pk).update(paused_at=now() - timedelta(minutes=29))
    assert attempts_close_due() == 0
    Attempt.objects.filter(pk=attempt.pk).update(paused_at=now() - timedelta(minutes=31))
    assert attempts_close_due() == 1
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_by_server, attempt.paused_at) == ("expired", True, None)
    [closed] = audit_events(action="delivery.attempt_close")
    assert "paused_since" in closed.data
    assert not delivery_api.has_open_formal_attempt(user.pk)


def test_a_close_on_read_looks_again_under_the_lock(formal_day, settings):
    # Time added between the page's read and its close must keep the attempt open.
    settings.EXAM_SAVE_GRACE_SECONDS = 0
    session = formal_day.session(start_in=timedelta(minutes=-1))
    _user, attempt, _device = _started(formal_day, session, "S1")
    stale = Attempt.objects.get(pk=attempt.pk)
    stale.deadline_at = now() - timedelta(seconds=5)  # what an earlier read saw
    services.attempt_close_if_due(stale)
    attempt.refresh_from_db()
    assert attempt.state == "open"
