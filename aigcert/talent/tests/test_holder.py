"""The holder's side: joining with consent, bad input, withdrawal, certificates revoked, export and deletion."""

import json

import pytest
from django.apps import apps

from aigcert.core.api import DomainError, audit_events
from aigcert.talent import services
from aigcert.talent.models import ContactRequest, TalentConsent, TalentHolding, TalentProfile, TalentSkill
from aigcert.talent.tests.conftest import GENERAL, MASKED, PROFESSIONAL, certify, join, revoke

pytestmark = pytest.mark.django_db

ME = "/me/talent/"
SEARCH = "/talent/search/?go=1"


def _form(**changes):
    data = {"region": "11", "name_shown": "masked", "bio": "做过三年电商海报。", "link_1": "https://works.example.com/a",
            "link_2": "", "link_3": "", "skills": ["aigc-general:A3.3"], "consent": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_holder_joins_with_explicit_consent(english, holder):
    client = english
    client.force_login(holder)
    page = client.get(ME).content.decode()
    assert '<input type="checkbox" name="consent" value="on">' in page  # not ticked beforehand
    assert "employers verified by the platform" in page and "withdraw this consent at any time" in page
    assert "Consent text version 2026-01." in page

    response = client.post(ME, _form(consent=None))  # the box left unticked
    assert response.status_code == 400
    assert not TalentProfile.objects.exists()

    assert client.post(ME, _form()).status_code == 302
    profile = TalentProfile.objects.get(user=holder)
    assert profile.consent_active and profile.consent_version == "2026-01"
    assert profile.display_name == MASKED and profile.region == "11"
    assert [s.key for s in profile.skills.all()] == ["aigc-general:A3.3"]
    assert list(profile.holdings.values_list("program_code", flat=True)) == [GENERAL]
    [consent] = TalentConsent.objects.filter(profile=profile)
    assert consent.version == "2026-01" and consent.withdrawn_at is None
    [given] = audit_events(action="talent.consent_given")
    assert given.actor_id == holder.pk and given.data == {"version": "2026-01"}


def test_only_certificate_holders_can_join(english, catalog, make_user, make_profile):
    client = english
    person = make_user()
    make_profile(person, legal_name="赵六")
    client.force_login(person)
    page = client.get(ME).content.decode()
    assert "Only holders of a certificate can join the talent database." in page and 'name="consent"' not in page
    response = client.post(ME, _form())
    assert response.status_code == 400
    assert "Only holders of a certificate can join the talent database." in response.content.decode()
    assert not TalentProfile.objects.exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"bio": "长" * 501}, "The introduction is longer than 500 characters."),
    ({"link_1": "http://works.example.com/a"}, "Portfolio links must be complete https:// addresses"),
    ({"skills": ["aigc-professional:A1.1"]}, "Skills can only be chosen from the standards of the programs you hold."),
    ({"skills": ["nonsense"]}, "Skills can only be chosen from the standards of the programs you hold."),
    ({"region": "99"}, "Choose your region."),
])
def test_bad_input_gets_a_clear_message_and_changes_nothing(english, holder, changes, message):
    client = english
    join(holder, skills=["aigc-general:A1.1"])
    before = TalentProfile.objects.get(user=holder)
    client.force_login(holder)
    response = client.post(ME, _form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    after = TalentProfile.objects.get(user=holder)
    assert (after.bio, after.links, after.region, after.updated_at) == (before.bio, before.links, before.region,
                                                                         before.updated_at)
    assert [s.key for s in after.skills.all()] == ["aigc-general:A1.1"]


def test_bad_input_in_the_service_too(holder):
    with pytest.raises(DomainError):
        join(holder, bio="x" * 501)
    with pytest.raises(DomainError):
        join(holder, links=["https://a.example.com", "https://b.example.com", "https://c.example.com",
                            "https://d.example.com"])
    assert not TalentProfile.objects.exists()


def test_withdrawing_consent_removes_the_profile_from_search_at_once(english, holder, employer, make_holder):
    client = english
    other = make_holder(legal_name="钱七")
    join(holder)
    join(other)
    profile = TalentProfile.objects.get(user=holder)
    client.force_login(employer.user)
    first = client.get(SEARCH).content.decode()
    assert MASKED in first and "钱*" in first
    assert client.get(f"/talent/profiles/{profile.code}/").status_code == 200
    client.post(f"/talent/profiles/{profile.code}/", {"position_title": "AIGC设计师", "message": "想和您聊聊。"})
    request = ContactRequest.objects.get(profile=profile)

    client.force_login(holder)
    assert client.post("/me/talent/withdraw/").status_code == 302

    client.force_login(employer.user)  # the very next request
    after = client.get(SEARCH).content.decode()
    assert MASKED not in after and "钱*" in after
    assert client.get(f"/talent/profiles/{profile.code}/").status_code == 404
    assert client.post(f"/talent/profiles/{profile.code}/", {"position_title": "x", "message": "y"}).status_code == 404
    request.refresh_from_db()
    assert request.state == "closed"
    closed = client.get(f"/talent/requests/{request.code}/").content.decode()
    assert "Closed: the holder left the talent database" in closed
    profile.refresh_from_db()
    assert profile.withdrawn_at is not None
    assert TalentConsent.objects.get(profile=profile).withdrawn_at is not None
    [event] = audit_events(action="talent.consent_withdrawn")
    assert event.data == {"version": "2026-01", "requests_closed": 1}


def test_joining_again_records_a_new_consent(holder):
    join(holder)
    services.consent_withdraw(user=holder)
    with pytest.raises(DomainError):  # saving without the box ticked doesn't bring them back
        services.profile_save(user=holder, region="11", bio="", links=[], skills=[], name_shown="masked",
                              consent=False)
    join(holder)
    consents = list(TalentConsent.objects.filter(profile__user=holder))
    assert len(consents) == 2 and consents[0].withdrawn_at is not None and consents[1].withdrawn_at is None
    assert len(audit_events(action="talent.consent_given")) == 2


def test_a_revoked_certificate_leaves_the_profile_and_then_the_search(english, holder, employer):
    client = english
    professional = certify(holder, PROFESSIONAL)
    join(holder, skills=["aigc-general:A1.1", "aigc-professional:A1.1"])
    profile = TalentProfile.objects.get(user=holder)
    assert set(profile.holdings.values_list("program_code", flat=True)) == {GENERAL, PROFESSIONAL}

    revoke(professional)
    assert list(TalentHolding.objects.filter(profile=profile).values_list("program_code", flat=True)) == [GENERAL]
    assert [s.key for s in TalentSkill.objects.filter(profile=profile)] == ["aigc-general:A1.1"]
    client.force_login(employer.user)
    assert MASKED in client.get(f"{SEARCH}&program={GENERAL}").content.decode()
    assert MASKED not in client.get(f"{SEARCH}&program={PROFESSIONAL}").content.decode()

    general = apps.get_model("credentials", "Certificate").objects.get(candidate=holder, program_code=GENERAL)
    revoke(general)
    assert not TalentHolding.objects.filter(profile=profile).exists()
    assert MASKED not in client.get(SEARCH).content.decode()
    assert client.get(f"/talent/profiles/{profile.code}/").status_code == 404
    # Sync is idempotent: the same event again changes nothing.
    services.on_certificate_changed({"user_id": holder.pk, "certificate": general.number, "state": "revoked"})
    assert not TalentHolding.objects.filter(profile=profile).exists()
    client.force_login(holder)
    assert "You hold no certificate at the moment" in client.get(ME).content.decode()


def test_a_save_racing_a_revocation_does_not_bring_the_revoked_program_back(holder, monkeypatch):
    professional = certify(holder, PROFESSIONAL)
    join(holder)
    real = services.credentials.holdings_of
    revoked = []

    def revoked_while_the_form_is_checked(user_id):
        held = real(user_id)  # read before the revocation, as a concurrent request would have
        if not revoked:
            revoked.append(professional.pk)
            revoke(professional)  # the revocation and its sync land in between
        return held

    monkeypatch.setattr(services.credentials, "holdings_of", revoked_while_the_form_is_checked)
    join(holder, bio="改了简介。")
    profile = TalentProfile.objects.get(user=holder)
    assert list(profile.holdings.values_list("program_code", flat=True)) == [GENERAL]


def test_export_has_the_holders_data_and_nobody_elses(client, holder, make_holder, employer):
    other = make_holder(legal_name="孙八")
    join(holder, bio="我的简介", skills=["aigc-general:A2.1"])
    join(other, bio="别人的简介")
    services.contact_request_send(employer=employer, profile_code=TalentProfile.objects.get(user=holder).code,
                                  position_title="设计师", message="给张的消息")
    services.contact_request_send(employer=employer, profile_code=TalentProfile.objects.get(user=other).code,
                                  position_title="设计师", message="给孙的消息")
    client.force_login(holder)
    response = client.get("/me/talent/export/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["profile"]["bio"] == "我的简介" and data["skills"] == ["aigc-general:A2.1"]
    assert [c["version"] for c in data["consents"]] == ["2026-01"]
    assert [r["message"] for r in data["contact_requests"]] == ["给张的消息"]
    assert data["programs_held"][0]["program"] == GENERAL
    text = response.content.decode()
    assert "别人的简介" not in text and "给孙的消息" not in text and "孙" not in text


def test_deleting_the_profile_removes_it_from_search(client, holder, employer):
    join(holder)
    profile = TalentProfile.objects.get(user=holder)
    request = services.contact_request_send(employer=employer, profile_code=profile.code, position_title="设计师",
                                            message="您好")
    client.force_login(holder)
    assert client.post("/me/talent/delete/").status_code == 302  # no confirmation: nothing happens
    assert TalentProfile.objects.filter(pk=profile.pk).exists()
    client.post("/me/talent/delete/", {"confirm": "1"})
    assert not TalentProfile.objects.filter(user=holder).exists()
    assert not TalentConsent.objects.exists() and not TalentHolding.objects.exists()
    request.refresh_from_db()
    assert (request.profile, request.state, request.reply) == (None, "closed", "")
    [event] = audit_events(action="talent.profile_deleted")
    assert event.target_id == str(profile.pk) and event.data == {"requests_emptied": 1}
    client.force_login(employer.user)
    assert MASKED not in client.get(SEARCH).content.decode()
    assert client.get(f"/talent/profiles/{profile.code}/").status_code == 404
    page = client.get(f"/talent/requests/{request.code}/")
    assert page.status_code == 200 and MASKED not in page.content.decode()


def test_a_holder_cannot_see_or_answer_anothers_requests(client, holder, make_holder, employer):
    other = make_holder(legal_name="周九")
    join(holder)
    join(other)
    theirs = services.contact_request_send(employer=employer, profile_code=TalentProfile.objects.get(user=other).code,
                                           position_title="设计师", message="给周的消息")
    client.force_login(holder)
    assert client.get(f"/me/talent/requests/{theirs.code}/").status_code == 404
    assert client.post(f"/me/talent/requests/{theirs.code}/", {"action": "accept", "reply": "x"}).status_code == 404
    assert "给周的消息" not in client.get(ME).content.decode()
    theirs.refresh_from_db()
    assert theirs.state == "open"
