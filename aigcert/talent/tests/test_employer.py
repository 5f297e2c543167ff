"""Employers: application and review, who may search, the filters, limits against scraping, contact requests."""

import pytest

from aigcert.accounts.api import Role, user_has_any_role
from aigcert.core.api import audit_events, inbox
from aigcert.talent import services
from aigcert.talent.models import ContactRequest, Employer, TalentProfile
from aigcert.talent.policy import TalentLimits, talent_policy
from aigcert.talent.tests.conftest import CREDIT_CODE, DESIGN, GENERAL, MASKED, PROFESSIONAL, certify, join

pytestmark = pytest.mark.django_db

SEARCH = "/talent/search/?go=1"


def _employer_urls(profile_code, request_code):
    return ["/talent/search/", SEARCH, f"/talent/profiles/{profile_code}/", "/talent/requests/",
            f"/talent/requests/{request_code}/"]


def test_only_verified_employers_reach_the_employer_pages(client, holder, employer, make_user, make_employer):
    join(holder)
    profile = TalentProfile.objects.get(user=holder)
    request = services.contact_request_send(employer=employer, profile_code=profile.code, position_title="设计师",
                                            message="您好")
    urls = _employer_urls(profile.code, request.code)

    for url in urls:  # anonymous: to the login page
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert client.post(urls[2], {"position_title": "x", "message": "y"}).status_code == 302

    applicant = make_user(Role.CANDIDATE)
    services.employer_apply(user=applicant, organization_name="待审公司", credit_code=CREDIT_CODE,
                            contact_person="李")
    with_role_only = make_user(Role.EMPLOYER)  # the role without a verified organization
    rejected = make_employer("后被拒公司")
    services.employer_review(employer=rejected, actor=make_user(Role.STAFF), verify=False, reason="执照不符")
    for person in (holder, make_user(Role.CANDIDATE), applicant, with_role_only, rejected.user):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 403, (person, url)
        assert client.post(urls[2], {"position_title": "x", "message": "y"}).status_code == 403
    assert ContactRequest.objects.count() == 1

    client.force_login(employer.user)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_employer_application_and_review(english, make_user, staff):
    client = english
    applicant = make_user(Role.CANDIDATE)
    client.force_login(applicant)
    response = client.post("/talent/employer/apply/", {"organization_name": "星河科技有限公司",
                                                       "credit_code": "91110108551385082A",
                                                       "contact_person": "王经理"})
    assert "This is not a valid unified social credit code" in response.content.decode()
    assert not Employer.objects.exists()
    loosely_typed = "９１１１０１０８５５１３８５０８２ｑ"
    client.post("/talent/employer/apply/", {"organization_name": "星河科技有限公司", "credit_code": loosely_typed,
                                            "contact_person": "王经理"})
    employer = Employer.objects.get(user=applicant)
    assert (employer.status, employer.credit_code) == ("pending", CREDIT_CODE)

    assert client.get("/staff/talent/employers/").status_code == 403  # applicants don't review
    assert client.post(f"/staff/talent/employers/{employer.code}/review/", {"action": "verify"}).status_code == 403

    client.force_login(staff)
    assert "星河科技有限公司" in client.get("/staff/talent/employers/").content.decode()
    response = client.post(f"/staff/talent/employers/{employer.code}/review/", {"action": "reject", "reason": ""})
    employer.refresh_from_db()
    assert employer.status == "pending"  # a rejection needs its reason
    client.post(f"/staff/talent/employers/{employer.code}/review/", {"action": "reject", "reason": "执照名称不符"})
    employer.refresh_from_db()
    assert (employer.status, employer.reason, employer.reviewed_by) == ("rejected", "执照名称不符", staff)
    assert not user_has_any_role(type(applicant).objects.get(pk=applicant.pk), [Role.EMPLOYER])

    client.force_login(applicant)  # corrects and applies again
    assert "执照名称不符" in client.get("/talent/employer/apply/").content.decode()
    client.post("/talent/employer/apply/", {"organization_name": "星河科技（北京）有限公司",
                                            "credit_code": CREDIT_CODE, "contact_person": "王经理"})
    employer.refresh_from_db()
    assert employer.status == "pending" and employer.reason == ""

    client.force_login(staff)
    client.post(f"/staff/talent/employers/{employer.code}/review/", {"action": "verify"})
    employer.refresh_from_db()
    assert employer.status == "verified"
    assert user_has_any_role(type(applicant).objects.get(pk=applicant.pk), [Role.EMPLOYER])
    assert [e.data["before"] for e in audit_events(action="talent.employer_verified")] == ["pending"]
    assert [e.data["reason"] for e in audit_events(action="talent.employer_rejected")] == ["执照名称不符"]
    assert {n.kind for n in inbox(applicant.pk)} == {"talent"}
    client.force_login(applicant)
    assert client.get("/talent/search/").status_code == 200


def test_search_filters(client, make_holder, employer):
    general = make_holder(GENERAL, legal_name="甲一二")
    design = make_holder(DESIGN, legal_name="乙三四")
    certify(design, GENERAL)
    professional = make_holder(PROFESSIONAL, legal_name="丙五六")
    join(general, region="31", skills=["aigc-general:A3.3"])
    join(design, region="44", skills=["aigc-general:A3.3", "aigc-general:A1.1"])
    join(professional, region="44")
    client.force_login(employer.user)

    def found(query=""):
        page = client.get(f"{SEARCH}{query}").content.decode()
        return {name for name in ("甲*二", "乙*四", "丙*六") if name in page}

    assert found() == {"甲*二", "乙*四", "丙*六"}
    assert found(f"&program={GENERAL}") == {"甲*二", "乙*四"}
    assert found("&level=aigc-skills:2") == {"乙*四", "丙*六"}  # 专业级 or above
    assert found("&direction=design") == {"乙*四"}
    assert found("&region=44") == {"乙*四", "丙*六"}
    assert found("&skills=aigc-general:A3.3") == {"甲*二", "乙*四"}
    assert found("&skills=aigc-general:A3.3&skills=aigc-general:A1.1") == {"乙*四"}  # every skill asked for
    assert found("&region=44&program=aigc-general") == {"乙*四"}


def test_search_is_rate_limited(client, holder, employer, monkeypatch):
    join(holder)
    monkeypatch.setattr("aigcert.talent.throttle.talent_limits",
                        lambda: TalentLimits(searches_per_minute=3, searches_per_day=300, profile_views_per_day=2,
                                             contact_requests_per_day=1))
    client.force_login(employer.user)
    assert [client.get(SEARCH).status_code for _ in range(4)] == [200, 200, 200, 429]
    profile = TalentProfile.objects.get(user=holder)
    assert [client.get(f"/talent/profiles/{profile.code}/").status_code for _ in range(3)] == [200, 200, 429]
    form = {"position_title": "设计师", "message": "您好"}
    assert client.post(f"/talent/profiles/{profile.code}/", form).status_code == 302
    assert client.post(f"/talent/profiles/{profile.code}/", form).status_code == 429
    assert ContactRequest.objects.count() == 1


def test_search_is_rate_limited_per_day_too(client, holder, employer, monkeypatch):
    monkeypatch.setattr("aigcert.talent.throttle.talent_limits",
                        lambda: TalentLimits(searches_per_minute=30, searches_per_day=2, profile_views_per_day=2,
                                             contact_requests_per_day=1))
    client.force_login(employer.user)
    assert [client.get(SEARCH).status_code for _ in range(3)] == [200, 200, 429]


def test_pages_stop_at_the_cap(english, make_holder, employer, monkeypatch):
    client = english
    for name in ("甲一", "乙二", "丙三", "丁四", "戊五"):
        join(make_holder(legal_name=name))
    small = talent_policy().__class__(**{**talent_policy().__dict__, "page_size": 2, "max_page": 2})
    monkeypatch.setattr("aigcert.talent.views.talent_policy", lambda: small)
    client.force_login(employer.user)
    first = client.get(SEARCH).content.decode()
    assert first.count('data-testid="talent-card"') == 2 and "page=2" in first
    second = client.get(f"{SEARCH}&page=2").content.decode()
    assert second.count('data-testid="talent-card"') == 2 and "page=3" not in second
    assert "There are more matches than can be shown" in second
    third = client.get(f"{SEARCH}&page=3")
    page = third.content.decode()
    assert 'data-testid="page-cap"' in page and "Narrow your search" in page
    assert 'data-testid="talent-card"' not in page
    assert "export" not in page.lower()  # no bulk export of any kind


def test_contact_request_accepted_with_a_reply(english, holder, employer):
    client = english
    employer.user.language = "en"  # notifications are written in the recipient's language
    employer.user.save(update_fields=["language"])
    join(holder)
    profile = TalentProfile.objects.get(user=holder)
    client.force_login(employer.user)
    client.post(f"/talent/profiles/{profile.code}/", {"position_title": "AIGC设计师",
                                                      "message": "<b>您好</b>，想约您面试。"})
    request = ContactRequest.objects.get()
    again = client.post(f"/talent/profiles/{profile.code}/", {"position_title": "AIGC设计师", "message": "再问一次"})
    assert "already have a request to this person" in again.content.decode()
    assert ContactRequest.objects.count() == 1
    [note] = inbox(holder.pk)
    assert note.link == f"/me/talent/requests/{request.code}/" and "星河科技有限公司" in note.body

    client.force_login(holder)
    page = client.get(f"/me/talent/requests/{request.code}/").content.decode()
    assert "&lt;b&gt;您好&lt;/b&gt;" in page  # escaped, never rendered
    too_long = client.post(f"/me/talent/requests/{request.code}/", {"action": "accept", "reply": "x" * 1001})
    assert "The reply is longer than 1000 characters." in too_long.content.decode()
    request.refresh_from_db()
    assert request.state == "open"
    client.post(f"/me/talent/requests/{request.code}/", {"action": "accept", "reply": "周三下午可以，微信 zx-design"})
    request.refresh_from_db()
    assert (request.state, request.reply) == ("accepted", "周三下午可以，微信 zx-design")
    assert client.post(f"/me/talent/requests/{request.code}/", {"action": "decline"}).status_code == 200
    request.refresh_from_db()
    assert request.state == "accepted"  # answered once

    client.force_login(employer.user)
    page = client.get(f"/talent/requests/{request.code}/").content.decode()
    assert "Accepted" in page and "周三下午可以，微信 zx-design" in page
    assert [n.kind for n in inbox(employer.user.pk) if "accepted" in n.subject] == ["talent"]
    # A new request after the answer is allowed; this one is declined.
    client.post(f"/talent/profiles/{profile.code}/", {"position_title": "讲师", "message": "另一个岗位"})
    second = ContactRequest.objects.get(state="open")
    services.contact_request_answer(user=holder, request_code=second.code, accept=False)
    assert [e.actor_id for e in audit_events(action="talent.request_sent")] == [employer.user.pk] * 2
    assert len(audit_events(action="talent.request_accepted")) == 1
    assert len(audit_events(action="talent.request_declined")) == 1


def test_bad_contact_requests_change_nothing(english, holder, employer):
    client = english
    join(holder)
    profile = TalentProfile.objects.get(user=holder)
    client.force_login(employer.user)
    response = client.post(f"/talent/profiles/{profile.code}/", {"position_title": "设计师", "message": "长" * 1001})
    assert response.status_code == 400 and "at most 1000 characters" in response.content.decode()
    assert not ContactRequest.objects.exists()


def test_an_employer_cannot_see_another_employers_requests(client, holder, employer, make_employer):
    join(holder)
    profile = TalentProfile.objects.get(user=holder)
    request = services.contact_request_send(employer=employer, profile_code=profile.code, position_title="设计师",
                                            message="只给星河看的消息")
    rival = make_employer("月亮传媒有限公司")
    client.force_login(rival.user)
    assert client.get(f"/talent/requests/{request.code}/").status_code == 404
    assert "只给星河看的消息" not in client.get("/talent/requests/").content.decode()
    assert "只给星河看的消息" not in client.get(f"/talent/profiles/{profile.code}/").content.decode()


def test_odd_page_numbers_are_page_one(client, holder, employer):
    join(holder)
    client.force_login(employer.user)
    for page in ("0", "-1", "²", "abc"):
        response = client.get(f"{SEARCH}&page={page}")
        assert response.status_code == 200 and MASKED in response.content.decode(), page


def test_profile_pages_answer_only_get_and_post(client, holder, employer):
    join(holder)
    profile = TalentProfile.objects.get(user=holder)
    client.force_login(employer.user)
    for method in ("options", "put", "patch", "delete"):
        assert getattr(client, method)(f"/talent/profiles/{profile.code}/").status_code == 405, method
