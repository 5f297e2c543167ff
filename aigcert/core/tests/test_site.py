import pytest
from django.urls import reverse

from aigcert.core.api import audit_record
from aigcert.core.models import AuditEvent


@pytest.mark.django_db
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_chinese_is_the_default_whatever_the_browser_asks_for(client, catalog):
    response = client.get(reverse("catalog:program_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "认证项目" in html
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_language_switch_sets_english_and_back(client, catalog):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/programs/"})
    assert response.status_code == 302
    html = client.get("/programs/").content.decode()
    assert '<html lang="en">' in html and "Certification programs" in html
    assert "AIGC Skills (General)" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/programs/"})
    assert "认证项目" in client.get("/programs/").content.decode()


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies["aigcert_language"] = "xx"
    assert '<html lang="zh-Hans">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_audit_record_keeps_actor_action_target_and_data(candidate):
    event = audit_record(actor=candidate, action="thing.do", target=candidate, data={"k": 1})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.action, stored.target_type, stored.target_id, stored.data) == (
        candidate, "thing.do", "accounts.user", str(candidate.pk), {"k": 1})


@pytest.mark.django_db
def test_static_assets_are_served_by_the_app(client):
    response = client.get("/static/aigcert/site.css")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"--brand" in body


@pytest.mark.django_db
def test_pages_link_no_remote_assets(client, catalog):
    for url in ["/", "/programs/", "/programs/aigc-general/", "/accounts/signup/", "/accounts/login/"]:
        html = client.get(url).content.decode()
        for marker in ('src="http', 'href="http', 'src="//', 'href="//', "src='http", "url(http", "url(//"):
            assert marker not in html, (url, marker)


@pytest.mark.django_db
def test_a_signed_in_users_language_follows_them_to_a_new_device(client, candidate):
    from django.test import Client

    client.force_login(candidate)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    candidate.refresh_from_db()
    assert candidate.language == "en"
    other_device = Client()
    other_device.force_login(candidate)
    assert '<html lang="en">' in other_device.get("/me/").content.decode()
    # An explicit choice on this device still wins.
    other_device.cookies["aigcert_language"] = "zh-hans"
    assert '<html lang="zh-Hans">' in other_device.get("/me/").content.decode()
