"""Who may open which page: anonymous visitors, candidates, staff-side roles, back-office staff."""

import pytest
from django.urls import reverse

from aigcert.accounts.api import demo_accounts_ensure
from aigcert.accounts.models import RoleGrant, User
from aigcert.accounts.roles import STAFF_SIDE_ROLES, Role
from aigcert.accounts.tests.factories import UserFactory

CENTER = reverse("portal:center")
STAFF = reverse("portal:staff_home")
ADMIN = reverse("admin:index")
ADMIN_PAGES = [ADMIN, "/admin/catalog/program/", "/admin/accounts/user/", "/admin/core/auditevent/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [CENTER, STAFF, reverse("accounts:profile")])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_visitors_cannot_reach_the_admin(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_a_candidate_cannot_reach_staff_pages(candidate_client):
    assert candidate_client.get(STAFF).status_code == 403
    for url in ADMIN_PAGES:
        response = candidate_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(STAFF_SIDE_ROLES))
def test_staff_side_roles_reach_the_staff_workspace(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(STAFF).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.EMPLOYER, Role.ORG_ADMIN])
def test_outside_roles_do_not_reach_the_staff_workspace(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(STAFF).status_code == 403


@pytest.mark.django_db
def test_back_office_staff_reach_the_admin(client, staff_user):
    client.force_login(staff_user)
    assert client.get(ADMIN).status_code == 200


@pytest.mark.django_db
def test_demo_accounts_one_per_role_and_idempotent(client):
    first = demo_accounts_ensure()
    second = demo_accounts_ensure()
    assert [login.login for login in first] == [login.login for login in second]
    assert {login.role for login in first} == set(Role.values)
    assert User.objects.count() == len(Role.values)
    assert RoleGrant.objects.count() == len(Role.values)
    for login in first:
        assert client.login(username=login.login, password=login.password), login
