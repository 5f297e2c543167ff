"""Registration in real Chromium. A candidate registers for 通用级 and pays by bank transfer; finance confirms
it; the candidate books a morning session, changes to the afternoon and downloads the admission ticket. A
partner admin sets its own price, imports 20 candidates from xlsx and sees them on the cohort dashboard.
Screenshots: var/screenshots/reg-*.png."""

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.management import call_command
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfReader

from aigcert.accounts.api import Role
from aigcert.billing import api as billing
from aigcert.conftest import log_in, shot
from aigcert.core.api import now
from aigcert.enrolment.models import Enrolment
from aigcert.exams import api as exams
from aigcert.orgs import api as orgs

pytestmark = pytest.mark.browser


def _log_out(page):
    page.locator("header form[action$='/logout/'] button").click()
    page.wait_for_load_state()


def _candidates_xlsx(path, count):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机号", "身份证号", "邮箱", "项目代码"])
    for n in range(count):
        sheet.append([f"学员{n + 1:02d}", f"1370000{n:04d}", "", f"student{n}@example.com", "aigc-general"])
    workbook.save(path)


@pytest.mark.django_db(transaction=True)
def test_candidate_finance_and_partner_journey(live_server, browser_page, make_user, make_profile, password,
                                               tmp_path):
    call_command("load_catalog", stdout=io.StringIO())
    exam_admin = make_user(Role.EXAM_ADMIN)
    candidate = make_user(Role.CANDIDATE)
    make_profile(candidate, legal_name="王小明", id_number="11010519491231002X")
    finance = make_user(Role.FINANCE)
    org_admin = make_user(Role.ORG_ADMIN)
    org = orgs.org_create(slug="partner", name="星火培训", actor=exam_admin)
    orgs.org_admin_add(org_pk=org.pk, user=org_admin, actor=exam_admin)
    # An exam day five days ahead: booking is still open and the ticket (7 days before) is downloadable.
    am, pm = exams.sessions_generate(program_code="aigc-general", days=[(now() + timedelta(days=5)).date()],
                                     actor=exam_admin)
    page, base = browser_page, live_server.url
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])

    # 1. The candidate registers and gets bank-transfer instructions with a reference.
    log_in(page, base, candidate.phone, password)
    page.goto(base + "/programs/aigc-general/")
    page.locator("#register-link").click()
    page.locator("#register-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#order-total").inner_text() == "¥498"
    reference = page.locator("#transfer-reference").inner_text()
    shot(page, "reg-01-deposit-order")
    _log_out(page)

    # 2. Finance finds the transfer by its reference and confirms it.
    log_in(page, base, finance.phone, password)
    page.goto(base + "/staff/finance/?q=" + reference)
    page.locator(f"#ref-{reference}").fill("ICBC20261121-0001")
    page.locator(f"#amt-{reference}").fill("498")
    page.locator(f"#order-{reference} button[type=submit]").click()
    page.wait_for_load_state()
    assert reference in page.locator(".message-success").inner_text()
    assert page.locator("#ledger-state").inner_text() == "账目平衡。"
    shot(page, "reg-02-finance-confirmed")
    _log_out(page)

    # 3. The candidate books the morning sitting, then changes to the afternoon.
    log_in(page, base, candidate.phone, password)
    page.goto(base + "/me/")
    page.locator("#my-programs a").first.click()
    page.wait_for_load_state()
    assert page.locator("#enrolment-state").inner_text() == "已缴首款"
    page.locator("#choose-session input[data-sitting=am]").check()
    page.locator("#choose-session button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#enrolment-state").inner_text() == "已预约"
    assert "上午场" in page.locator("#session-sitting").inner_text()
    first_ticket = page.locator("#ticket-number").inner_text()
    page.locator("#choose-session input[data-sitting=pm]").check()
    page.locator("#choose-session button[type=submit]").click()
    page.wait_for_load_state()
    assert "下午场" in page.locator("#session-sitting").inner_text()
    ticket_number = page.locator("#ticket-number").inner_text()
    assert ticket_number != first_ticket
    shot(page, "reg-03-booked-pm")

    # 4. With an ID photo on the profile, the admission ticket downloads as a PDF that carries the candidate's
    #    data in its text layer and the photo as an image.
    photo = tmp_path / "photo.png"
    Image.new("RGB", (300, 400), (200, 210, 230)).save(photo)
    page.goto(base + "/accounts/profile/")
    page.locator("input[type=file][name=photo]").set_input_files(str(photo))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(base + f"/me/enrolments/{Enrolment.objects.get(candidate=candidate).code}/")
    with page.expect_download() as download_info:
        page.locator("#ticket-download").click()
    pdf_path = tmp_path / "ticket.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    ticket_page = PdfReader(pdf_path).pages[0]
    assert any(ticket_page["/Resources"]["/XObject"][name]["/Subtype"] == "/Image"
               for name in ticket_page["/Resources"].get("/XObject", {}))
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True,
                              check=True).stdout
        for expected in ("准考证", "王小明", ticket_number, "AIGC技能（通用级）", "下午场", "110***********002X"):
            assert expected in text
    enrolment = Enrolment.objects.get(candidate=candidate)
    assert enrolment.state == "booked"
    assert {b.session_id: b.status for b in enrolment.bookings.all()} == {am.pk: "released", pm.pk: "confirmed"}
    _log_out(page)

    # 5. The partner admin sets its price, imports 20 candidates and sees them in the cohort.
    log_in(page, base, org_admin.phone, password)
    page.goto(base + "/org/")
    page.locator("nav.filters a[href$='/prices/']").click()
    form = page.locator("#price-aigc-general")
    form.locator("input[name=deposit]").fill("450")
    form.locator("input[name=balance]").fill("300")
    form.locator("input[name=retake]").fill("150")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.locator("nav.filters a[href$='/import/']").click()
    xlsx = tmp_path / "candidates.xlsx"
    _candidates_xlsx(xlsx, 20)
    page.locator("input[type=file]").set_input_files(str(xlsx))
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#import-done")
    shot(page, "reg-04-import-done")
    page.locator("#import-done + p a").click()
    page.wait_for_load_state()
    assert page.locator("#cohort tbody tr").count() == 20
    assert "20" in page.locator("#cohort-total").inner_text()
    shot(page, "reg-05-cohort")
    imported = Enrolment.objects.filter(organization_id=org.pk)
    assert imported.count() == 20
    orders = [billing.order_for_subject(str(e.code), billing.DEPOSIT) for e in imported]
    assert {o.total_fen for o in orders} == {45000}
