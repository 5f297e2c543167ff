import pytest
from django.urls import reverse

from aigcert.accounts.models import Profile
from aigcert.core.api import audit_events

PROFILE = reverse("accounts:profile")
VALID = {
    "legal_name": "王五",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
    "recipient_name": "王五",
    "recipient_phone": "13800000002",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "address_line": "世纪大道100号",
    "postal_code": "200120",
}


@pytest.mark.django_db
def test_profile_is_saved_and_shown_masked_never_in_full(candidate_client, candidate):
    response = candidate_client.post(PROFILE, VALID)
    assert response.status_code == 302
    profile = Profile.objects.get(user=candidate)
    assert profile.id_number == "11010519491231002X"
    center = candidate_client.get(reverse("portal:center")).content.decode()
    assert "110***********002X" in center
    assert "11010519491231002X" not in center
    edit_page = candidate_client.get(PROFILE).content.decode()
    assert "11010519491231002X" not in edit_page
    assert "110***********002X" in edit_page
    [event] = audit_events(action="profile.update")
    assert event.data["changed"]["id_number"] == "(changed)"
    assert "11010519491231002X" not in str(event.data)


@pytest.mark.django_db
def test_empty_id_number_keeps_the_stored_one(candidate_client, candidate):
    candidate_client.post(PROFILE, VALID)
    response = candidate_client.post(PROFILE, {**VALID, "id_number": "", "city": "苏州市"})
    assert response.status_code == 302
    profile = Profile.objects.get(user=candidate)
    assert (profile.id_number, profile.city) == ("11010519491231002X", "苏州市")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "110105194912310021"),  # bad check character
        ("recipient_phone", "12345"),
        ("postal_code", "2001"),
        ("legal_name", ""),
    ],
)
def test_invalid_profile_input_changes_nothing(candidate_client, candidate, field, value):
    candidate_client.cookies["aigcert_language"] = "en"
    response = candidate_client.post(PROFILE, {**VALID, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Profile.objects.filter(user=candidate).exists()
    assert audit_events(action="profile.update") == []


@pytest.mark.django_db
def test_id_number_never_comes_back_in_full_even_after_an_error(candidate_client, candidate):
    candidate_client.post(PROFILE, VALID)
    response = candidate_client.post(PROFILE, {**VALID, "id_number": "11010519491231002X", "postal_code": "1"})
    assert response.status_code == 200
    assert "11010519491231002X" not in response.content.decode()


@pytest.mark.django_db
def test_staff_see_the_id_masked_in_the_admin_and_their_edits_are_audited(client, staff_user, candidate):
    from aigcert.accounts.tests.factories import ProfileFactory

    staff_user.is_superuser = True
    staff_user.save()
    profile = ProfileFactory(user=candidate)
    client.force_login(staff_user)
    url = f"/admin/accounts/profile/{profile.pk}/change/"
    page = client.get(url).content.decode()
    assert "11010519491231002X" not in page and "110***********002X" in page
    assert "11010519491231002X" not in client.get("/admin/accounts/profile/").content.decode()
    response = client.post(url, {**VALID, "id_number": ""})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.legal_name, profile.id_number) == ("王五", "11010519491231002X")
    [event] = audit_events(action="profile.update")
    assert event.actor_id == staff_user.pk and event.data["changed"]["legal_name"] == "王五"
