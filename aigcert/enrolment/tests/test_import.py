"""A partner's candidate list (xlsx): the pure checks, then the whole HTTP flow (upload → task → status page).
All or nothing: on any problem no user, enrolment or order is created and every problem is listed with the row
number and column letter the partner sees in Excel."""

import html
import io
import re

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook

from aigcert.accounts.api import Role
from aigcert.billing import api as billing
from aigcert.enrolment import services
from aigcert.enrolment.importing import rows_check_against_database, rows_read
from aigcert.enrolment.models import CandidateImport, Enrolment
from aigcert.orgs import api as orgs

HEADER = ["姓名", "手机号", "身份证号", "邮箱", "项目代码"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def _catalog_once(django_db_setup, django_db_blocker):
    """The shipped catalog, loaded once per module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def catalog(_catalog_once, db):
    """Overrides the root `catalog` fixture (same data) to keep the module fast."""


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# ── building files ──────────────────────────────────────────────────────────────────────────────────────────
def candidate_row(n: int, program: str = "aigc-general") -> list:
    return [f"学员{n:02d}", 13700000000 + n, "", f"student{n}@example.com", program]


def xlsx(path, rows, header=HEADER) -> bytes:
    """An Excel file as a partner would save it: first sheet, header row, one candidate per row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "考生"
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path.read_bytes()


def pairs(problems: list[dict]) -> list[tuple[int, str]]:
    return [(p["row"], p["column"]) for p in problems]


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def counts() -> dict[str, int]:
    # Billing's public API has no "all orders"; a read-only count through the app registry keeps the boundary.
    return {"users": get_user_model().objects.count(), "enrolments": Enrolment.objects.count(),
            "orders": apps.get_model("billing", "Order").objects.count()}


# ── the pure checks ─────────────────────────────────────────────────────────────────────────────────────────
@pytest.fixture
def org(catalog, make_user):
    exam_admin = make_user(Role.EXAM_ADMIN)
    org = orgs.org_create(slug="xinghuo", name="星火培训", actor=exam_admin)
    return org


def test_a_good_file_reads_every_row(tmp_path, org):
    rows, problems = rows_read(xlsx(tmp_path / "good.xlsx", [candidate_row(n) for n in range(1, 21)]))

    assert problems == []
    assert [r.number for r in rows] == list(range(2, 22))
    assert (rows[0].name, rows[0].phone, rows[0].id_number, rows[0].email, rows[0].program) == (
        "学员01", "13700000001", "", "student1@example.com", "aigc-general")
    assert rows_check_against_database(rows, org_pk=org.pk) == []


def test_english_headers_and_reordered_columns_are_read(tmp_path, org):
    data = xlsx(tmp_path / "en.xlsx", [["aigc-general", "Li Lei", "+86 137-0000-0099", "LILEI@EXAMPLE.COM"]],
                header=["Program code", "Name", "Phone", "Email"])

    rows, problems = rows_read(data)

    assert problems == []
    [row] = rows
    assert (row.number, row.name, row.phone, row.email, row.program, row.phone_column, row.program_column) == (
        2, "Li Lei", "13700000099", "lilei@example.com", "aigc-general", "C", "A")


def test_every_cell_problem_is_listed_with_row_and_column(tmp_path, org):
    data = xlsx(tmp_path / "bad.xlsx", [
        candidate_row(1),                                                           # row 2: fine
        ["学员02", 12345, "", "", "aigc-general"],                                  # row 3: phone
        ["学员03", 13700000003, "", "", "aigc-nope"],                               # row 4: unknown program
        ["学员04", 13700000004, "", "", "aigc-expert"],                             # row 5: not open
        ["学员05", 13700000005, "110105194912310021", "", "aigc-general"],          # row 6: ID check digit
        ["学员06", 13700000006, "", "not-an-email", "aigc-general"],                # row 7: e-mail
        ["", 13700000007, "", "", "aigc-general"],                                  # row 8: no name
        ["学员08", "1370000", "", "", "nope"],                                      # row 9: phone and program
    ])

    rows, problems = rows_read(data)

    assert pairs(problems) == [(3, "B"), (4, "E"), (5, "E"), (6, "C"), (7, "D"), (8, "A"), (9, "B"), (9, "E")]
    with translation.override("en"):
        _rows, problems = rows_read(data)
    assert [p["message"] for p in problems] == [
        "“12345” is not a mainland China mobile number.",
        "Unknown program code “aigc-nope”.",
        "Program “aigc-expert” is not open for registration.",
        "This is not a valid resident ID number.",
        "This is not a valid e-mail address.",
        "Enter the candidate's legal name (at most 60 characters).",
        "“1370000” is not a mainland China mobile number.",
        "Unknown program code “nope”.",
    ]
    assert [r.number for r in rows] == [2]


@pytest.mark.parametrize(("case", "expected"), [
    ("missing_column", [(1, "", "Column “项目代码” is missing from the header row.")]),
    ("no_header", [(1, "", "Column “姓名” is missing from the header row."),
                   (1, "", "Column “手机号” is missing from the header row."),
                   (1, "", "Column “项目代码” is missing from the header row.")]),
    ("header_only", [(2, "", "The sheet has no candidates.")]),
    ("not_xlsx", [(0, "", "This is not an .xlsx workbook (Excel 2007 or later).")]),
])
def test_file_level_problems(tmp_path, org, case, expected):
    data = {
        "missing_column": lambda: xlsx(tmp_path / "a.xlsx", [candidate_row(1)[:4]], header=HEADER[:4]),
        "no_header": lambda: xlsx(tmp_path / "b.xlsx", [], header=None),
        "header_only": lambda: xlsx(tmp_path / "c.xlsx", [["", "", "", "", ""]]),
        "not_xlsx": lambda: b"%PDF-1.4 definitely not a workbook",
    }[case]()

    with translation.override("en"):
        rows, problems = rows_read(data)

    assert rows == []
    assert [(p["row"], p["column"], p["message"]) for p in problems] == expected


def test_duplicate_candidate_names_the_other_row(tmp_path, org):
    rows, problems = rows_read(xlsx(tmp_path / "dup.xlsx", [
        candidate_row(1), candidate_row(2), ["学员01", "137 0000 0001", "", "", "aigc-general"],
        candidate_row(1, program="aigc-professional")]))
    assert problems == []

    with translation.override("en"):
        problems = rows_check_against_database(rows, org_pk=org.pk)

    assert [(p["row"], p["column"], p["message"]) for p in problems] == [
        (4, "B", "The same candidate and program as row 2.")]


def test_existing_account_in_another_name_is_refused(tmp_path, org, make_user, make_profile):
    existing = make_user(Role.CANDIDATE)
    make_profile(existing, legal_name="王小明", id_number="11010519491231002X")
    rows, problems = rows_read(xlsx(tmp_path / "name.xlsx", [
        candidate_row(1), ["李雷", existing.phone, "", "", "aigc-general"], ["王小明", existing.phone, "", "",
                                                                            "aigc-professional"]]))
    assert problems == []

    with translation.override("en"):
        problems = rows_check_against_database(rows, org_pk=org.pk)

    assert [(p["row"], p["column"], p["message"]) for p in problems] == [
        (3, "B", "This phone number belongs to an account in another name (王*).")]


def test_existing_account_already_registered_and_prerequisites(tmp_path, org, make_user, make_profile):
    existing = make_user(Role.CANDIDATE)
    make_profile(existing, legal_name="王小明", id_number="11010519491231002X")
    services.enrolment_register(candidate=existing, program_code="aigc-general")
    rows, _ = rows_read(xlsx(tmp_path / "pre.xlsx", [
        ["王小明", existing.phone, "", "", "aigc-general"], candidate_row(3, program="aigc-engineer-intermediate"),
        ["王小明", existing.phone, "", "", "aigc-engineer-senior"]]))

    with translation.override("en"):
        problems = rows_check_against_database(rows, org_pk=org.pk)

    assert [(p["row"], p["column"], p["message"]) for p in problems] == [
        (2, "E", "This candidate is already registered for this program."),
        (3, "E", "This program needs a lower certificate or approved work experience; the candidate must register "
                 "for it themselves."),
        (4, "E", "The candidate does not meet this program's requirements (lower certificate or approved work "
                 "experience)."),
    ]


# ── over HTTP ───────────────────────────────────────────────────────────────────────────────────────────────
@pytest.fixture
def partner(org, make_user):
    admin = make_user(Role.ORG_ADMIN)
    orgs.org_admin_add(org_pk=org.pk, user=admin, actor=admin)
    return admin


def signed_in(user, language="en") -> Client:
    browser = Client()
    browser.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    browser.force_login(user)
    return browser


def upload(browser, org, data: bytes, capture, name="candidates.xlsx") -> CandidateImport:
    with capture(execute=True):
        response = browser.post(f"/org/{org.code}/import/", {"file": SimpleUploadedFile(name, data, content_type=XLSX)})
    assert response.status_code == 302
    job = CandidateImport.objects.get(organization_id=org.pk, file_name=name)
    assert response.url == f"/org/{org.code}/import/{job.code}/"
    return job


def problem_table(response) -> list[tuple[str, str, str]]:
    table = re.search(r'<table class="problems" id="import-problems">.*?</table>', response.content.decode(), re.S)
    return [tuple(html.unescape(cell) for cell in row) for row in
            re.findall(r'<tr><td class="num">(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>', table.group(0))]


def test_good_file_registers_everyone_at_the_org_price(tmp_path, org, partner,
                                                       django_capture_on_commit_callbacks):
    orgs.org_price_set(org_pk=org.pk, program_code="aigc-general", deposit_fen=45000, balance_fen=30000,
                       retake_fee_fen=15000, actor=partner)
    before = counts()
    browser = signed_in(partner)

    job = upload(browser, org, xlsx(tmp_path / "good.xlsx", [candidate_row(n) for n in range(1, 21)]),
                 django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_done, job.created_count, job.problems, job.language) == (
        "done", 20, 20, 20, [], "en")
    assert counts() == {"users": before["users"] + 20, "enrolments": before["enrolments"] + 20,
                        "orders": before["orders"] + 20}
    imported = list(Enrolment.objects.filter(organization_id=org.pk).select_related("candidate"))
    assert sorted(e.candidate.phone for e in imported) == [f"1370000{n:04d}" for n in range(1, 21)]
    assert {e.state for e in imported} == {"registered"}
    orders = [billing.order_for_subject(str(e.code), billing.DEPOSIT) for e in imported]
    assert {(o.total_fen, o.org_pk, o.status) for o in orders} == {(45000, org.pk, "pending")}
    assert sorted(o.user_id for o in orders) == sorted(e.candidate_id for e in imported)

    status = browser.get(f"/org/{org.code}/import/{job.code}/", HTTP_ACCEPT="application/json")
    assert status.json() == {"status": "done", "percent": 100, "processed": 20, "total": 20}
    page = browser.get(f"/org/{org.code}/import/{job.code}/")
    assert re.search(r'<p class="message message-success" id="import-done">(.*?)</p>', page.content.decode()).group(
        1) == "20 candidates registered; each has a deposit order at your price."
    assert 'id="import-problems"' not in page.content.decode()
    cohort = browser.get(f"/org/{org.code}/").content.decode()
    assert cohort.count("学员") == 20


def test_a_file_with_problems_imports_nothing_and_lists_every_problem(tmp_path, org, partner,
                                                                      django_capture_on_commit_callbacks):
    data = xlsx(tmp_path / "bad.xlsx", [
        candidate_row(1),
        ["学员02", 12345, "", "", "aigc-general"],
        ["学员03", 13700000003, "", "", "aigc-nope"],
        ["学员04", 13700000004, "", "", "aigc-expert"],
        ["学员05", 13700000005, "110105194912310021", "", "aigc-general"],
    ])
    before = counts()
    browser = signed_in(partner)

    job = upload(browser, org, data, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert (job.status, job.created_count) == ("failed", 0)
    assert counts() == before
    page = browser.get(f"/org/{org.code}/import/{job.code}/")
    assert problem_table(page) == [
        ("3", "B", "“12345” is not a mainland China mobile number."),
        ("4", "E", "Unknown program code “aigc-nope”."),
        ("5", "E", "Program “aigc-expert” is not open for registration."),
        ("6", "C", "This is not a valid resident ID number."),
    ]
    assert "4 problems — nothing was imported" in html.unescape(page.content.decode())
    assert browser.get(f"/org/{org.code}/import/{job.code}/", HTTP_ACCEPT="application/json").json() == {
        "status": "failed", "percent": 100, "processed": 0, "total": 5}


@pytest.mark.parametrize("case", ["duplicate", "other_name", "not_xlsx", "header_only", "missing_column"])
def test_refused_files_over_http(tmp_path, org, partner, make_user, make_profile, django_capture_on_commit_callbacks,
                                 case):
    existing = make_user(Role.CANDIDATE)
    make_profile(existing, legal_name="王小明", id_number="11010519491231002X")
    data, expected = {
        "duplicate": (lambda: xlsx(tmp_path / "d.xlsx", [candidate_row(1), candidate_row(2), candidate_row(1)]),
                      [("4", "B", "The same candidate and program as row 2.")]),
        "other_name": (lambda: xlsx(tmp_path / "o.xlsx", [candidate_row(1), ["李雷", existing.phone, "", "",
                                                                             "aigc-general"]]),
                       [("3", "B", "This phone number belongs to an account in another name (王*).")]),
        "not_xlsx": (lambda: b"PK\x03\x04 but not really a zip",
                     [("—", "", "This is not an .xlsx workbook (Excel 2007 or later).")]),
        "header_only": (lambda: xlsx(tmp_path / "h.xlsx", []), [("2", "", "The sheet has no candidates.")]),
        "missing_column": (lambda: xlsx(tmp_path / "m.xlsx", [candidate_row(1)[:4]], header=HEADER[:4]),
                           [("1", "", "Column “项目代码” is missing from the header row.")]),
    }[case]
    before = counts()
    browser = signed_in(partner)

    job = upload(browser, org, data(), django_capture_on_commit_callbacks)

    assert CandidateImport.objects.get(pk=job.pk).status == "failed"
    assert counts() == before
    assert problem_table(browser.get(f"/org/{org.code}/import/{job.code}/")) == expected


def test_problems_are_reported_in_the_uploaders_language(tmp_path, org, partner, django_capture_on_commit_callbacks):
    bad_phone = xlsx(tmp_path / "p.xlsx", [["学员02", 12345, "", "", "aigc-general"]])
    jobs = {}
    for language in ("en", "zh-hans"):
        browser = signed_in(partner, language)
        jobs[language] = upload(browser, org, bad_phone, django_capture_on_commit_callbacks, name=f"p-{language}.xlsx")
        jobs[language + "-xlsx"] = upload(browser, org, b"not a workbook", django_capture_on_commit_callbacks,
                                          name=f"x-{language}.xlsx")

    messages = {key: CandidateImport.objects.get(pk=job.pk).problems[0]["message"] for key, job in jobs.items()}
    assert {key: CandidateImport.objects.get(pk=job.pk).language for key, job in jobs.items()} == {
        "en": "en", "en-xlsx": "en", "zh-hans": "zh-hans", "zh-hans-xlsx": "zh-hans"}
    assert messages["en"] == "“12345” is not a mainland China mobile number."
    assert messages["zh-hans"] == "“12345”不是中国大陆手机号。" == in_language(
        "zh-hans", "“%(value)s” is not a mainland China mobile number.") % {"value": "12345"}
    assert messages["en-xlsx"] == "This is not an .xlsx workbook (Excel 2007 or later)."
    assert messages["zh-hans-xlsx"] == "这不是 .xlsx 工作簿（Excel 2007 或更高版本）。"
    zh_page = signed_in(partner, "zh-hans").get(f"/org/{org.code}/import/{jobs['zh-hans-xlsx'].code}/")
    assert problem_table(zh_page) == [("—", "", "这不是 .xlsx 工作簿（Excel 2007 或更高版本）。")]


def test_another_orgs_admin_cannot_see_the_job(tmp_path, org, partner, make_user,
                                               django_capture_on_commit_callbacks):
    job = upload(signed_in(partner), org, xlsx(tmp_path / "g.xlsx", [candidate_row(1)]),
                 django_capture_on_commit_callbacks)
    rival = make_user(Role.ORG_ADMIN)
    rival_org = orgs.org_create(slug="rival", name="对手培训", actor=rival)
    orgs.org_admin_add(org_pk=rival_org.pk, user=rival, actor=rival)
    browser = signed_in(rival)

    assert browser.get(f"/org/{org.code}/import/{job.code}/").status_code == 404
    assert browser.get(f"/org/{rival_org.code}/import/{job.code}/").status_code == 404
    assert browser.get(f"/org/{rival_org.code}/import/{job.code}/", HTTP_ACCEPT="application/json").status_code == 404
    assert signed_in(partner).get(f"/org/{org.code}/import/{job.code}/").status_code == 200
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        refused = browser.post(f"/org/{org.code}/import/", {"file": SimpleUploadedFile("x.xlsx", b"x")})
    assert refused.status_code == 404
    assert CandidateImport.objects.filter(organization_id=org.pk).count() == 1
    assert counts() == before


def test_template_download_has_the_documented_header(org, partner):
    response = signed_in(partner).get(f"/org/{org.code}/import/template.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="candidates-template.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["姓名", "手机号", "身份证号", "邮箱", "项目代码"]
    # The example row passes the checks as it is.
    rows, problems = rows_read(response.content)
    assert problems == [] and [(r.name, r.phone, r.program) for r in rows] == [("张三", "13800138000", "aigc-general")]


def test_cell_and_database_problems_are_listed_together(tmp_path, org, partner, django_capture_on_commit_callbacks):
    data = xlsx(tmp_path / "mixed.xlsx", [candidate_row(1), ["学员02", 12345, "", "", "aigc-general"],
                                          candidate_row(1)])
    before = counts()

    job = upload(signed_in(partner), org, data, django_capture_on_commit_callbacks)

    assert counts() == before
    assert pairs(CandidateImport.objects.get(pk=job.pk).problems) == [(3, "B"), (4, "B")]


def test_one_phone_with_two_names_in_the_same_file_is_refused(tmp_path, org, partner,
                                                              django_capture_on_commit_callbacks):
    data = xlsx(tmp_path / "twins.xlsx", [["张三", 13700000001, "", "", "aigc-general"],
                                          ["李四", 13700000001, "", "", "aigc-professional"]])
    before = counts()

    job = upload(signed_in(partner), org, data, django_capture_on_commit_callbacks)

    assert counts() == before
    assert pairs(CandidateImport.objects.get(pk=job.pk).problems) == [(3, "B")]


def test_an_email_already_taken_is_a_problem_not_a_stuck_job(tmp_path, org, partner, make_user,
                                                             django_capture_on_commit_callbacks):
    taken = make_user(Role.CANDIDATE)
    get_user_model().objects.filter(pk=taken.pk).update(email="taken@example.com")
    data = xlsx(tmp_path / "mail.xlsx", [candidate_row(1), ["学员02", 13700000002, "", "taken@example.com",
                                                            "aigc-general"]])
    before = counts()

    job = upload(signed_in(partner), org, data, django_capture_on_commit_callbacks)

    assert counts() == before
    job.refresh_from_db()
    assert job.status == "failed"
    assert pairs(job.problems) == [(3, "D")]
