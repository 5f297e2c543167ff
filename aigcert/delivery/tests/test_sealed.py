"""The paper sealed in the waiting room: unreadable before the unlock, opened by the key the start returns, and then
exactly the player the candidate would have loaded."""

import json
import re
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection
from django.test import Client

from aigcert.delivery import examday, sealed
from aigcert.delivery.models import Attempt, CheckIn, SessionDesk
from aigcert.delivery.tests.conftest import english, post_json

SEALED = re.compile(r'<script id="sealed-items-data" type="application/octet-stream">([^<]*)</script>')


def _seated(formal_day, session, ticket):
    user = formal_day.seat(session, ticket=ticket)
    client = english(Client())
    client.force_login(user)
    examday.checkin_confirm(candidate=user, session_code=str(session.code), confirmed=True, ip="127.0.0.1",
                            agent="pytest")
    return user, client


def _waiting_room(client, session) -> str:
    page = client.get(f"/exam/session/{session.code}/")
    assert page.status_code == 200
    return page.content.decode()


def _blob(html: str) -> str:
    match = SEALED.search(html)
    assert match, "the waiting room holds no sealed paper"
    return match.group(1)


def _start(client, session):
    return client.post(f"/exam/session/{session.code}/start/", HTTP_ACCEPT="application/json")


def _items_of_player(html: str) -> str:
    """The items part of a player page, as the server rendered it."""
    start = html.index('<section class="player-item"')
    return html[start:html.index('<div class="player-pager"', start)].strip()


def test_the_waiting_room_holds_the_paper_sealed_and_the_start_opens_exactly_the_players_items(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session, "T000200001")
    html = _waiting_room(client, session)
    blob = _blob(html)
    # Nothing of the items is in the page in the clear: not one item section, not one stem.
    assert 'class="player-item"' not in html and "exam-stem" not in html
    started = _start(client, session)
    assert started.status_code == 200
    answer = started.json()
    attempt = Attempt.objects.get(candidate=user)
    opened = sealed.unseal(blob, key=answer["key"])
    # The candidate's own order, fixed at check-in and kept by the attempt.
    assert re.findall(r'<section class="player-item" id="item-([^"]+)"', opened) == attempt.order["slots"]
    assert attempt.seed == CheckIn.objects.get(candidate=user).seed
    # The start opened the exam on this browser: its device token saves.
    config = answer["player"]
    assert (config["code"], config["device"], config["saved"], config["seqBase"]) == (
        str(attempt.code), attempt.device, {}, 1)
    slot = attempt.order["slots"][0]
    kind, detail = attempt.schema[slot]
    value = detail[0] if kind == "single_choice" else [detail[0]] if kind == "multiple_choice" else True
    saved = post_json(client, config["saveUrl"], {"device": config["device"],
                                                  "responses": [{"slot": slot, "value": value, "seq": 5}]})
    assert saved.status_code == 200 and saved.json()["saved"] == {slot: 5}
    # And it is byte for byte the items of the player's own page (which a reload loads).
    page = client.get(answer["url"])
    assert _items_of_player(page.content.decode()) == opened.strip()


def test_a_start_refused_before_the_unlock_gets_no_key(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=5))
    _user, client = _seated(formal_day, session, "T000200002")
    _blob(_waiting_room(client, session))
    early = _start(client, session)
    assert early.status_code == 409 and "key" not in early.json() and "player" not in early.json()
    assert not Attempt.objects.exists()


def test_each_candidate_has_a_key_of_their_own_even_on_the_same_paper(formal_day):
    # Whoever unlocks first can't open a later candidate's copy by passing on their key.
    session = formal_day.session(start_in=timedelta(minutes=-1))
    first, first_client = _seated(formal_day, session, "T000200008")
    second, second_client = _seated(formal_day, session, "T000200009")
    # The order kept at check-in belongs to the old paper: without it, the waiting room and the start work the order
    # out from the seed on the new paper, as for a check-in made before orders were kept.
    CheckIn.objects.filter(candidate=second).update(paper_id=CheckIn.objects.get(candidate=first).paper_id,
                                                    order=None)
    first_blob = _blob(_waiting_room(first_client, session))
    second_blob = _blob(_waiting_room(second_client, session))
    first_key = _start(first_client, session).json()["key"]
    assert sealed.unseal(first_blob, key=first_key)
    with pytest.raises(InvalidTag):
        sealed.unseal(second_blob, key=first_key)
    second_key = _start(second_client, session).json()["key"]
    assert second_key != first_key
    # Same paper, each in their own order.
    assert re.findall(r'id="item-([^"]+)"', sealed.unseal(second_blob, key=second_key)) == \
        Attempt.objects.get(candidate=second).order["slots"]


def test_an_unapproved_check_in_gets_the_sealed_paper_but_not_the_key(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    SessionDesk.objects.filter(session_id=session.pk).delete()
    examday.desk_get(str(session.code))
    SessionDesk.objects.filter(session_id=session.pk).update(approval_required=True)
    _user, client = _seated(formal_day, session, "T000200003")
    assert CheckIn.objects.get().state == CheckIn.State.WAITING
    _blob(_waiting_room(client, session))
    refused = _start(client, session)
    assert (refused.status_code, refused.json()["error"]) == (409, "not_admitted")
    assert "key" not in refused.json()


def test_a_second_start_gets_the_address_only_and_takes_over_by_loading_the_page(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session, "T000200004")
    first = _start(client, session).json()
    second = _start(client, session).json()
    assert set(second) == {"attempt", "url", "deadline"} and second["attempt"] == first["attempt"]
    page = client.get(second["url"])
    config = json.loads(re.search(r'<script id="exam-config" type="application/json">(.*?)</script>',
                                  page.content.decode(), re.S).group(1))
    assert config["device"] != first["player"]["device"]
    assert Attempt.objects.get(candidate=user).device == config["device"]


def test_refused_and_late_check_ins_get_no_sealed_paper(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session, "T000200005")
    CheckIn.objects.filter(candidate=user).update(state=CheckIn.State.REFUSED, reason="Not the person on the ID")
    assert SEALED.search(_waiting_room(client, session)) is None
    CheckIn.objects.filter(candidate=user).update(state=CheckIn.State.APPROVED,
                                                  entry_closes_at=session.start_at)
    assert SEALED.search(_waiting_room(client, session)) is None


def test_a_check_in_made_before_seeds_existed_starts_the_old_way(formal_day):
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session, "T000200006")
    CheckIn.objects.filter(candidate=user).update(seed=None, order=None)
    assert SEALED.search(_waiting_room(client, session)) is None
    started = _start(client, session)
    assert started.status_code == 200
    attempt = Attempt.objects.get(candidate=user)
    assert attempt.seed is not None and len(attempt.order["slots"]) == len(attempt.schema)


def _statements(captured) -> list[str]:
    """The statements a request made, leaving out transaction control and the session store (a table on SQLite,
    Redis in production)."""
    return [q["sql"] for q in captured.captured_queries
            if q["sql"].split()[0].upper() not in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}
            and "django_session" not in q["sql"]]


def test_the_start_and_the_submit_are_a_fixed_handful_of_statements(formal_day, django_assert_max_num_queries):
    # The unlock minute and the submit minute are where thousands of candidates meet (docs/benchmarks.md).
    session = formal_day.session(start_in=timedelta(minutes=-1))
    user, client = _seated(formal_day, session, "T000200007")
    _waiting_room(client, session)  # as in a browser: it has read the frozen paper into this process's cache
    with django_assert_max_num_queries(20) as start:
        answer = _start(client, session).json()
    # The check-in (locked) with the account's session columns and the candidate's attempts, the attempt (its order
    # copied from the check-in's in the database), its audit row. The user is never loaded.
    statements = _statements(start)
    assert len(statements) == 3, "\n".join(q[:70] for q in statements)
    assert statements[0].startswith("SELECT") and "FROM \"delivery_checkin\"" in statements[0]
    assert statements[1].startswith("INSERT INTO \"delivery_attempt\"")
    assert not any("FROM \"accounts_user\"" in q and "JOIN" not in q for q in statements)
    attempt = Attempt.objects.get(candidate=user)
    assert attempt.order == CheckIn.objects.get(candidate=user).order
    slot = attempt.order["slots"][0]
    kind, detail = attempt.schema[slot]
    value = detail[0] if kind == "single_choice" else [detail[0]] if kind == "multiple_choice" else True
    with django_assert_max_num_queries(20) as submit:
        closed = post_json(client, answer["player"]["submitUrl"], {
            "key": "k1", "device": answer["player"]["device"],
            "responses": [{"slot": slot, "value": value, "seq": 9}]})
    assert closed.status_code == 200 and closed.json()["state"] == "submitted"
    # The attempt with its candidate, locked; the last answers; the answers for the receipt; the close; its audit
    # row; its outbox event (written once, already delivered; no listener wants a formal close, so no savepoint).
    statements = _statements(submit)
    assert [q.split()[0] for q in statements] == ["SELECT", "INSERT", "SELECT", "UPDATE", "INSERT", "INSERT"], \
        "\n".join(q[:70] for q in statements)
    assert 'FROM "delivery_attempt" a JOIN "accounts_user"' in statements[0]
    if connection.features.has_select_for_update_of:
        assert statements[0].endswith("FOR UPDATE OF a")
    # One transaction: the test's own wraps the request, so the view's BEGIN shows here as its one savepoint.
    assert sum(q["sql"].startswith("SAVEPOINT") for q in submit.captured_queries) == 1
    attempt.refresh_from_db()
    assert (attempt.state, attempt.answered_count) == ("submitted", 1)
