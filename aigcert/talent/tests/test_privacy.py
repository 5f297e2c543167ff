"""The acceptance test of the issue: whatever an employer opens, no phone, e-mail, ID number, address or certificate
number of a holder is in it, nor the full legal name unless the holder chose to show it."""

import pytest
from django.apps import apps

from aigcert.core.api import inbox
from aigcert.talent import services
from aigcert.talent.models import ContactRequest, TalentProfile
from aigcert.talent.tests.conftest import GENERAL, LEGAL_NAME, MASKED, PROFESSIONAL, SECRETS, certify, join

pytestmark = pytest.mark.django_db


def _employer_pages(client, profile, request) -> list[str]:
    pages = []
    for url in ("/talent/search/", "/talent/search/?go=1", f"/talent/search/?go=1&program={GENERAL}",
                "/talent/search/?go=1&region=11&skills=aigc-general:A3.3", "/talent/search/?go=1&page=2",
                f"/talent/profiles/{profile.code}/", "/talent/requests/", f"/talent/requests/{request.code}/",
                "/talent/employer/apply/"):
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    # A refused and an accepted form re-render the profile page too.
    refused = client.post(f"/talent/profiles/{profile.code}/", {"position_title": "讲师", "message": ""})
    pages.append(refused.content.decode())
    return pages


def test_the_employers_view_never_contains_contact_data(client, holder, employer):
    professional = certify(holder, PROFESSIONAL, number="PR20260000017")
    general_number = apps.get_model("credentials", "Certificate").objects.get(
        candidate=holder, program_code=GENERAL).number
    join(holder, skills=["aigc-general:A3.3", "aigc-professional:A1.1"])
    profile = TalentProfile.objects.get(user=holder)
    client.force_login(employer.user)
    client.post(f"/talent/profiles/{profile.code}/", {"position_title": "AIGC设计师", "message": "想约您面试。"})
    request = ContactRequest.objects.get()
    services.contact_request_answer(user=holder, request_code=request.code, accept=True, reply="周三下午方便面谈。")

    pages = _employer_pages(client, profile, request)
    assert MASKED in pages[1] and MASKED in pages[5]  # the holder is there, as the masked name
    assert "周三下午方便面谈。" in pages[7]  # and their reply reaches the employer
    pages += [f"{n.subject}\n{n.body}\n{n.link}" for n in inbox(employer.user.pk)]
    forbidden = (*SECRETS, general_number, professional.number, str(holder.code))
    for page in pages:
        for secret in forbidden:
            assert secret not in page, secret


def test_a_holder_who_chose_the_full_name_shows_it_and_nothing_else(client, holder, employer):
    join(holder, name_shown="full")
    profile = TalentProfile.objects.get(user=holder)
    request = services.contact_request_send(employer=employer, profile_code=profile.code, position_title="设计师",
                                            message="您好")
    client.force_login(employer.user)
    pages = _employer_pages(client, profile, request)
    assert LEGAL_NAME in pages[1] and LEGAL_NAME in pages[5]
    for page in pages:
        for secret in SECRETS:
            if secret != LEGAL_NAME:
                assert secret not in page, secret
