import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from aigcert.accounts.models import Consent, RoleGrant, User
from aigcert.accounts.roles import Role
from aigcert.core.api import audit_events

SIGNUP = reverse("accounts:signup")
GOOD_PASSWORD = "Lantern-Orchid-77"


def signup_data(**overrides):
    data = {"identifier": "13812345678", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD,
            "accept_terms": "on"}
    data.update(overrides)
    return data


def use_language(client, code):
    client.cookies["aigcert_language"] = code


@pytest.mark.django_db
def test_sign_up_with_phone_creates_a_candidate_and_logs_in(client):
    response = client.post(SIGNUP, signup_data(identifier="+86 138-1234-5678"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:center")
    user = User.objects.get()
    assert (user.phone, user.email) == ("13812345678", None)
    assert user.check_password(GOOD_PASSWORD)
    assert list(RoleGrant.objects.filter(user=user).values_list("role", flat=True)) == [Role.CANDIDATE]
    assert Consent.objects.filter(user=user, purpose="terms").count() == 1
    assert [e.action for e in audit_events(target=user)] == ["user.sign_up"]
    assert client.get(reverse("portal:center")).status_code == 200


@pytest.mark.django_db
def test_sign_up_with_email_stores_it_lower_case(client):
    client.post(SIGNUP, signup_data(identifier="Li.Si@Example.com"))
    user = User.objects.get()
    assert (user.phone, user.email) == (None, "li.si@example.com")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "overrides", "field", "message"),
    [
        ("zh-hans", {"identifier": "12345"}, "identifier", "请输入有效的中国大陆手机号或电子邮箱地址"),
        ("en", {"identifier": "12345"}, "identifier", "Enter a valid mainland China mobile number or email address."),
        ("en", {"identifier": "a@b"}, "identifier", "Enter a valid mainland China mobile number or email address."),
        ("zh-hans", {"password2": "Lantern-Orchid-78"}, "password2", "两次输入的密码不一致"),
        ("en", {"password2": "Lantern-Orchid-78"}, "password2", "The two passwords do not match."),
        ("en", {"password1": "short1", "password2": "short1"}, "password1", "too short"),
        ("en", {"password1": "password123", "password2": "password123"}, "password1", "too common"),
        ("en", {"password1": "3141592653589", "password2": "3141592653589"}, "password1", "entirely numeric"),
        ("zh-hans", {"password1": "3141592653589", "password2": "3141592653589"}, "password1", "密码只包含数字"),
        ("en", {"accept_terms": ""}, "accept_terms", "You must agree to the terms of service to sign up."),
    ],
)
def test_bad_sign_up_shows_a_field_error_in_the_chosen_language_and_creates_nothing(
    client, language, overrides, field, message
):
    use_language(client, language)
    response = client.post(SIGNUP, signup_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    # The page as rendered, in the language that was active for the request.
    assert message in response.content.decode()
    assert User.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("existing", "attempt", "language", "message"),
    [
        ({"phone": "13812345678"}, "138 1234 5678", "zh-hans", "该手机号已注册"),
        ({"phone": "13812345678"}, "13812345678", "en", "This mobile number is already registered."),
        ({"email": "wang@example.com"}, "WANG@example.com", "en", "This email address is already registered."),
    ],
)
def test_sign_up_with_a_used_identifier_is_refused(client, existing, attempt, language, message):
    User.objects.create_user(password="x-Unused-Pass-1", **existing)
    use_language(client, language)
    response = client.post(SIGNUP, signup_data(identifier=attempt))
    assert "identifier" in response.context["form"].errors
    assert message in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_log_in_with_phone_or_email_and_log_out(client, password):
    user = User.objects.create_user(email="zhao@example.com", phone="13900000009", password=password)
    for identifier in ("13900000009", "+86 139 0000 0009", "ZHAO@example.com"):
        response = client.post(reverse("accounts:login"), {"username": identifier, "password": password})
        assert response.status_code == 302, identifier
        assert int(client.session["_auth_user_id"]) == user.pk
        assert client.post(reverse("accounts:logout")).status_code == 302
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client, password):
    User.objects.create_user(phone="13900000009", password=password)
    client.cookies["aigcert_language"] = "en"
    response = client.post(reverse("accounts:login"), {"username": "13900000009", "password": "nope"})
    assert response.status_code == 200
    assert "The mobile number/email or the password is wrong." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_by_email(client, password):
    user = User.objects.create_user(email="sun@example.com", password=password)
    response = client.post(reverse("accounts:password_reset"), {"email": "sun@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sun@example.com"]
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "Brand-New-Pass-9", "new_password2": "Brand-New-Pass-9"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-New-Pass-9")


@pytest.mark.django_db
def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


@pytest.mark.django_db
def test_repeated_wrong_passwords_from_one_place_lock_that_place_out(client, password, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = 3
    User.objects.create_user(phone="13900000009", password=password)
    client.cookies["aigcert_language"] = "en"
    login = reverse("accounts:login")
    for _attempt in range(3):
        client.post(login, {"username": "13900000009", "password": "guess"})
    # Even the right password is refused from here now, and the message says why …
    response = client.post(login, {"username": "+86 139 0000 0009", "password": password})
    assert response.status_code == 200
    assert "Too many failed attempts. Wait 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # … but the owner, elsewhere, still gets in: a stranger can't lock a candidate out before an exam.
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert elsewhere.post(login, {"username": "13900000009", "password": password}).status_code == 302


@pytest.mark.django_db
def test_guessing_one_account_from_many_places_is_capped_too(password, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = 3
    settings.LOGIN_FAILURES_PER_ACCOUNT = 4
    User.objects.create_user(phone="13900000009", password=password)
    login = reverse("accounts:login")
    for n in range(4):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(login, {"username": "13900000009", "password": "guess"})
    response = Client(REMOTE_ADDR="10.0.0.99").post(login, {"username": "13900000009", "password": password})
    assert response.status_code == 200


@pytest.mark.django_db
def test_client_address_comes_from_the_configured_proxy_header(password, settings):
    settings.LOGIN_FAILURES_PER_IP = 2
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    User.objects.create_user(phone="13900000009", password=password)
    login = reverse("accounts:login")
    # Everyone arrives from the proxy's address; only the header tells them apart.
    for _attempt in range(2):
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7").post(
            login, {"username": "13900000001", "password": "guess"})
    blocked = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert blocked.post(login, {"username": "13900000009", "password": password}).status_code == 200
    other = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.4")
    assert other.post(login, {"username": "13900000009", "password": password}).status_code == 302


@pytest.mark.django_db
def test_a_successful_login_clears_the_failure_count(client, password, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = 3
    User.objects.create_user(phone="13900000009", password=password)
    login = reverse("accounts:login")
    for _round in range(2):
        for _attempt in range(2):
            client.post(login, {"username": "13900000009", "password": "guess"})
        assert client.post(login, {"username": "13900000009", "password": password}).status_code == 302
        client.post(reverse("accounts:logout"))


@pytest.mark.django_db(transaction=True)
def test_reset_email_goes_through_the_queue_without_a_token_in_it(client, password, settings):
    """The queue row holds only the user id; the worker (what `aigcert worker` runs) makes the link."""
    import io

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    user = User.objects.create_user(email="qian@example.com", password=password, language="en")
    client.post(reverse("accounts:password_reset"), {"email": "qian@example.com"})
    assert mail.outbox == []
    [row] = DBTaskResult.objects.all()
    assert row.args_kwargs == {"args": [], "kwargs": {"user_id": user.pk, "domain": "testserver", "use_https": False}}
    call_command("db_worker", batch=True, startup_delay=False, stdout=io.StringIO(), stderr=io.StringIO())
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    [message] = mail.outbox
    assert message.to == ["qian@example.com"]
    assert message.subject == "Reset your aigcert password"  # in the user's language
    assert re.search(r"http://testserver/accounts/password-reset/\S+/\S+/", message.body)
