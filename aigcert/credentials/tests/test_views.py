"""Who may open what: the holder's pages are theirs alone (others get the same 404 as a missing one); the office's
pages need the certificate office or platform staff; the public pages need nobody."""

import json

import pytest
from django.urls import reverse

from aigcert.accounts.api import Role
from aigcert.credentials.models import Certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(issued):
    return issued("周九")


def holder_urls(c) -> list[str]:
    return [reverse("credentials:mine_detail", args=[c.code]), reverse("credentials:mine_pdf", args=[c.code]),
            reverse("credentials:mine_credential", args=[c.code])]


def test_holder_downloads_their_pdf_and_credential(certificate, client):
    client.force_login(certificate.candidate)
    page = client.get(reverse("credentials:mine_detail", args=[certificate.code])).content.decode()
    assert certificate.number in page and certificate.verification_code in page  # the share link
    listing = client.get(reverse("credentials:mine")).content.decode()
    assert certificate.number in listing
    pdf = client.get(reverse("credentials:mine_pdf", args=[certificate.code]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert f'{certificate.number}.pdf' in pdf["Content-Disposition"]
    credential = client.get(reverse("credentials:mine_credential", args=[certificate.code]))
    assert json.loads(credential.content) == certificate.credential


def test_revoked_certificates_are_no_longer_handed_out(certificate, client, make_user):
    from aigcert.credentials import services

    services.certificate_revoke(code=certificate.code, reason="撤销测试", actor=make_user(Role.CERT_OFFICE))
    client.force_login(certificate.candidate)
    assert client.get(reverse("credentials:mine_pdf", args=[certificate.code])).status_code == 404
    assert client.get(reverse("credentials:mine_credential", args=[certificate.code])).status_code == 404
    page = client.get(reverse("credentials:mine_detail", args=[certificate.code])).content.decode()
    assert "撤销测试" in page and "download-pdf" not in page  # the holder sees why
    office = make_user(Role.CERT_OFFICE)
    client.force_login(office)
    refused = client.post(reverse("credentials:office_act"), {"action": "print_file",
                                                              "certificate": [str(certificate.code)]})
    assert refused.status_code == 302 and refused["Content-Type"] != "application/pdf"


def test_others_and_missing_look_the_same(certificate, client, make_user):
    client.force_login(make_user(Role.CANDIDATE))
    for url in holder_urls(certificate):
        assert client.get(url).status_code == 404, url
    missing = Certificate(code="00000000-0000-0000-0000-000000000000")
    for url in holder_urls(missing):
        assert client.get(url).status_code == 404
    response = client.post(reverse("credentials:mine_detail", args=[certificate.code]),
                           {"action": "public", "public_name": "full"})
    assert response.status_code == 404
    certificate.refresh_from_db()
    assert certificate.public_name == "masked"


def test_anonymous_is_sent_to_log_in(certificate, client):
    for url in [*holder_urls(certificate), reverse("credentials:office")]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role,allowed", [
    (Role.CERT_OFFICE, True), (Role.STAFF, True), (Role.CANDIDATE, False), (Role.EXAM_ADMIN, False),
    (Role.EMPLOYER, False), (Role.FINANCE, False)])
def test_office_pages_by_role(certificate, client, make_user, role, allowed):
    client.force_login(make_user(role))
    pages = [client.get(reverse("credentials:office")),
             client.get(reverse("credentials:office_detail", args=[certificate.code]))]
    act = client.post(reverse("credentials:office_act"), {"action": "print", "certificate": [str(certificate.code)]})
    certificate.refresh_from_db()
    if allowed:
        assert [p.status_code for p in pages] == [200, 200] and act.status_code == 302
        assert certificate.state == "printed"
    else:
        assert [p.status_code for p in pages] == [403, 403] and act.status_code == 403
        assert certificate.state == "issued"


def test_holder_sets_public_page_and_address(passed, client):
    holder, code = passed("吴十")
    pending = Certificate.objects.get(enrolment_code=code)
    client.force_login(holder)
    url = reverse("credentials:mine_detail", args=[pending.code])
    client.post(url, {"action": "address", "address": "短"})
    pending.refresh_from_db()
    assert "中关村" in pending.mailing_address  # a too-short address changes nothing
    client.post(url, {"action": "address", "address": "吴十 13900002222 上海市浦东新区世纪大道100号"})
    pending.refresh_from_db()
    assert pending.mailing_address.startswith("吴十 13900002222")


def test_office_works_the_queues(passed, client, make_user):
    office = make_user(Role.CERT_OFFICE)
    client.force_login(office)
    codes = [passed(f"队列{i}")[1] for i in range(2)]
    pending = [str(c) for c in Certificate.objects.filter(enrolment_code__in=codes).values_list("code", flat=True)]
    page = client.get(reverse("credentials:office")).content.decode()
    assert all(code in page for code in pending)
    client.post(reverse("credentials:office_act"), {"action": "issue", "certificate": pending})
    client.post(reverse("credentials:office_act"), {"action": "print", "certificate": pending})
    data = {"action": "mail", "certificate": pending}
    for position, code in enumerate(pending):
        data[f"carrier-{code}"] = "sf"
        data[f"tracking-{code}"] = f"SF10000000{position}"
    response = client.post(reverse("credentials:office_act"), data)
    assert response.status_code == 302
    assert list(Certificate.objects.filter(code__in=pending).values_list("state", flat=True)) == ["mailed"] * 2
    detail = client.get(reverse("credentials:office_detail", args=[pending[0]])).content.decode()
    assert "credentials.certificate_mailed" in detail and "SF100000000" in detail
    # An outside address in "back" is not followed.
    for outside in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = client.post(reverse("credentials:office_act"), {"action": "print", "certificate": pending,
                                                                    "back": outside})
        assert response["Location"] == reverse("credentials:office"), outside


def test_status_list_and_issuer_are_public(certificate, client):
    url = certificate.credential["credentialStatus"]["statusListCredential"]
    response = client.get(url[url.index("/credentials/"):])
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert client.get(reverse("credentials:status_list", args=[999999])).status_code == 404
    assert client.get(reverse("credentials:issuer")).status_code == 200


def test_the_personal_center_lists_certificates(certificate, client):
    client.force_login(certificate.candidate)
    section = client.get("/me/").content.decode().split('id="my-certificates"')[1].split("</section>")[0]
    assert certificate.number in section and str(certificate.code) in section
