"""The formal-session flow end to end through the views: check in, wait, start at the unlock, save, submit."""

from datetime import timedelta

from django.test import Client

from aigcert.accounts.api import Role
from aigcert.core.api import now
from aigcert.delivery import api as delivery
from aigcert.delivery.models import Attempt, CheckIn
from aigcert.exam_fixtures import config_of, english, post_json


def test_a_candidate_checks_in_starts_at_the_unlock_saves_and_submits(formal_day, make_user):
    session = formal_day.session(start_in=timedelta(minutes=5))
    candidate = formal_day.seat(session)
    client = english(Client())
    client.force_login(candidate)
    url = f"/exam/session/{session.code}/"
    page = client.get(url)
    assert page.status_code == 200 and b'id="check-in"' in page.content
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    checkin = CheckIn.objects.get(candidate=candidate)
    assert checkin.state == "approved"
    early = client.post(f"{url}start/", HTTP_ACCEPT="application/json")
    assert early.status_code == 409 and early.json()["error"] == "not_yet"
    assert not Attempt.objects.filter(candidate=candidate).exists()
    session.start_at = now() - timedelta(seconds=60)
    session.save()
    CheckIn.objects.filter(pk=checkin.pk).update(unlock_at=session.start_at, deadline_at=session.start_at
                                                 + timedelta(minutes=60))
    started = client.post(f"{url}start/", HTTP_ACCEPT="application/json")
    assert started.status_code == 200, started.content
    assert delivery.has_open_formal_attempt(candidate.pk)
    player = client.get(started.json()["url"])
    config = config_of(player)
    assert config["formal"] is True
    attempt = Attempt.objects.get(candidate=candidate)
    slot = attempt.order["slots"][0]
    kind, detail = attempt.schema[slot]
    value = detail[0] if kind == "single_choice" else (True if kind == "true_false" else [detail[0]])
    saved = post_json(client, config["saveUrl"], {"device": config["device"],
                                                  "responses": [{"slot": slot, "value": value, "seq": 5}]})
    assert saved.status_code == 200 and saved.json()["saved"] == {slot: 5}
    done = post_json(client, config["submitUrl"], {"key": "k", "device": config["device"]})
    assert done.status_code == 200 and done.json()["answered"] == 1
    assert not delivery.has_open_formal_attempt(candidate.pk)

    proctor_page = Client()
    proctor_page.force_login(formal_day.exam_admin)
    console = proctor_page.get(f"/staff/proctor/{session.code}/")
    assert console.status_code == 200
    assert b"1 / 100" in console.content
    stranger = Client()
    stranger.force_login(make_user(Role.PROCTOR))
    assert stranger.get(f"/staff/proctor/{session.code}/").status_code == 404
