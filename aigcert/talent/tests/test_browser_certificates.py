"""The certificate's whole life in real Chromium. A passed candidate pays the balance (finance confirms the transfer);
the certificate office issues it, downloads the print file and marks it printed in bulk, and records it mailed with a
tracking number; the candidate downloads the PDF (rasterized, its text layer read) and the credential, and joins the
talent database; a verified employer finds them and sends a contact request, which they accept; a member of the
public verifies the certificate by number and name and by the QR code's link; the office revokes it and both the
link and the credential file then verify as revoked. Screenshots: var/screenshots/cert-*.png."""

import io
import json
import shutil
import subprocess

import pytest
from django.apps import apps
from django.core.management import call_command

from aigcert.accounts.api import Role
from aigcert.conftest import log_in, shot
from aigcert.enrolment import api as enrolment
from aigcert.talent import services as talent_services

pytestmark = pytest.mark.browser

NAME = "欧阳小雪"


def _log_out(page):
    page.locator("header form[action$='/logout/'] button").click()
    page.wait_for_load_state()


def _submit(page, locator: str) -> None:
    page.locator(locator).click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_certificate_from_balance_to_revocation(live_server, browser_page, make_user, make_profile, password,
                                                tmp_path, settings):
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_catalog", stdout=io.StringIO())
    candidate = make_user(Role.CANDIDATE)
    make_profile(candidate, legal_name=NAME, id_number="11010519491231002X", recipient_name=NAME,
                 recipient_phone="13900001111", province="北京市", city="北京市", district="海淀区",
                 address_line="中关村大街1号", postal_code="100080")
    finance, office = make_user(Role.FINANCE), make_user(Role.CERT_OFFICE)
    employer_user, staff = make_user(), make_user(Role.STAFF)
    employer = talent_services.employer_apply(user=employer_user, organization_name="星辰智能科技有限公司",
                                              credit_code="91350100M000100Y43", contact_person="李经理")
    talent_services.employer_review(employer=employer, actor=staff, verify=True)
    row = apps.get_model("enrolment", "Enrolment").objects.create(candidate=candidate, program_code="aigc-general",
                                                                  state="sat")
    enrolment.enrolment_record_result(enrolment_code=str(row.code), passed=True, score=88)
    page, base = browser_page, live_server.url
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])

    # 1. The candidate opens the balance order; finance confirms the transfer.
    log_in(page, base, candidate.phone, password)
    page.goto(base + "/orders/")
    page.locator("#orders a[href^='/orders/']").first.click()
    page.wait_for_load_state()
    assert page.locator("#order-total").inner_text() == "¥300"
    reference = page.locator("#transfer-reference").inner_text()
    shot(page, "cert-01-balance-order")
    _log_out(page)
    log_in(page, base, finance.phone, password)
    page.goto(base + "/staff/finance/?q=" + reference)
    page.locator(f"#ref-{reference}").fill("ICBC20261123-0009")
    page.locator(f"#amt-{reference}").fill("300")
    _submit(page, f"#order-{reference} button[type=submit]")
    assert reference in page.locator(".message-success").inner_text()
    _log_out(page)

    # 2. The office issues it from the "to issue" queue, prints in bulk, and mails it with a tracking number.
    Certificate = apps.get_model("credentials", "Certificate")
    certificate = Certificate.objects.get(candidate=candidate)
    code = str(certificate.code)
    log_in(page, base, office.phone, password)
    page.goto(base + "/office/certificates/?queue=pending")
    page.locator(f"tr[data-code='{code}'] input[type=checkbox]").check()
    _submit(page, "#queue-form button[value=issue]")
    assert "1" in page.locator(".message-success").inner_text()
    shot(page, "cert-02-issued")
    page.goto(base + "/office/certificates/?queue=issued")
    page.locator(f"tr[data-code='{code}'] input[type=checkbox]").check()
    with page.expect_download() as download_info:
        page.locator("#queue-form button[value=print_file]").click()
    print_file = tmp_path / "print.pdf"
    download_info.value.save_as(print_file)
    assert print_file.read_bytes().startswith(b"%PDF")
    page.locator(f"tr[data-code='{code}'] input[type=checkbox]").check()
    _submit(page, "#queue-form button[value=print]")
    page.goto(base + "/office/certificates/?queue=printed")
    page.locator(f"tr[data-code='{code}'] input[type=checkbox]").check()
    page.locator(f"select[name='carrier-{code}']").select_option("sf")
    page.locator(f"input[name='tracking-{code}']").fill("SF1400234567890")
    shot(page, "cert-03-to-mail")
    _submit(page, "#queue-form button[value=mail]")
    certificate.refresh_from_db()
    assert (certificate.state, certificate.tracking_number) == ("mailed", "SF1400234567890")
    number = certificate.number
    _log_out(page)

    # 3. The candidate sees the tracking number, downloads the PDF and the credential, and shares the link.
    log_in(page, base, candidate.phone, password)
    page.goto(base + "/me/")
    page.locator("#my-certificates a[href^='/me/certificates/']").first.click()
    page.wait_for_load_state()
    assert page.locator("#cert-number").inner_text() == number
    assert "SF1400234567890" in page.locator("#cert-tracking").inner_text()
    shot(page, "cert-04-candidate")
    with page.expect_download() as download_info:
        page.locator("#download-pdf").click()
    pdf_path = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf_path)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(pdf_path), str(tmp_path / "raster")],
                       check=True, timeout=60)
        assert (tmp_path / "raster.png").stat().st_size > 5000
        text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
        assert NAME in text and number in text
    with page.expect_download() as download_info:
        page.locator("#download-credential").click()
    credential_path = tmp_path / "credential.json"
    download_info.value.save_as(credential_path)
    credential = json.loads(credential_path.read_text(encoding="utf-8"))
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    share_url = page.locator("#share-url").input_value()
    assert share_url.startswith(base + "/verify/c/")

    # 4. ... and joins the talent database.
    page.goto(base + "/me/talent/")
    page.locator("select[name=region]").select_option("11")
    page.locator("input[name=skills]").first.check()
    page.locator("textarea[name=bio]").fill("三年AIGC设计经验，擅长提示词工程。")
    page.locator("input[name=consent]").check()
    _submit(page, "main form.card button[type=submit]")
    assert page.locator("[data-testid=talent-standing]").count() == 1
    shot(page, "cert-05-talent-profile")
    _log_out(page)

    # 5. The employer finds them by program and region and sends a contact request.
    log_in(page, base, employer_user.phone, password)
    page.goto(base + "/talent/search/")
    page.locator("select[name=program]").select_option("aigc-general")
    page.locator("select[name=region]").select_option("11")
    _submit(page, "form.filters button[name=go]")
    cards = page.locator("[data-testid=talent-card]")
    assert cards.count() == 1 and "欧**雪" in cards.first.inner_text()
    shot(page, "cert-06-employer-search")
    body = page.content()
    assert "13900001111" not in body and NAME not in body and "11010519491231002X" not in body
    cards.first.locator("a").first.click()
    page.wait_for_load_state()
    page.locator("input[name=position_title]").fill("AIGC设计师")
    page.locator("textarea[name=message]").fill("您好，我们正在招聘AIGC设计师，期待与您联系。")
    _submit(page, "main form.card button[type=submit]")
    _log_out(page)

    # The holder accepts, choosing what to share.
    log_in(page, base, candidate.phone, password)
    page.goto(base + "/me/talent/")
    page.locator("a[href^='/me/talent/requests/']").first.click()
    page.wait_for_load_state()
    page.locator("textarea[name=reply]").fill("可以，请发邮件到 xue@example.com")
    _submit(page, "button[value=accept]")
    _log_out(page)

    # 6. A member of the public verifies by number and name, and by the QR code's link.
    page.goto(base + "/verify/")
    page.locator("#v-number").fill(number)
    page.locator("#v-name").fill(NAME)
    _submit(page, "#verify-number button[type=submit]")
    assert page.locator("#verdict").get_attribute("data-outcome") == "valid"
    assert page.locator("#verdict-name").inner_text() == "欧**雪"
    shot(page, "cert-07-public-valid")
    page.goto(share_url)
    assert page.locator("#verdict").get_attribute("data-outcome") == "valid"
    assert page.locator("#verdict-number").inner_text() == number

    # 7. The office revokes it; the link and the credential file now verify as revoked.
    log_in(page, base, office.phone, password)
    page.goto(base + f"/office/certificates/{code}/")
    page.locator("#revoke-form input[name=reason]").fill("复核发现考试违纪")
    _submit(page, "#revoke-form button[type=submit]")
    assert page.locator("#office-state").inner_text() == "已撤销"
    _log_out(page)
    page.goto(share_url)
    assert page.locator("#verdict").get_attribute("data-outcome") == "revoked"
    shot(page, "cert-08-public-revoked")
    page.goto(base + "/verify/")
    page.locator("#v-file").set_input_files(str(credential_path))
    _submit(page, "#verify-file button[type=submit]")
    assert page.locator("#verdict").get_attribute("data-outcome") == "revoked"

    # ... and the holder, who now holds nothing, is gone from the talent database.
    log_in(page, base, employer_user.phone, password)
    page.goto(base + "/talent/search/?go=1&program=aigc-general")
    assert page.locator("[data-testid=talent-card]").count() == 0
