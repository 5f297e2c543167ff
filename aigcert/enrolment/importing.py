"""A partner's candidate list (xlsx): every row checked first, then all registered in one transaction or none.

Columns (header row 1 of the first sheet; Chinese or English headers): 姓名 Name · 手机号 Phone ·
身份证号 ID number (optional) · 邮箱 Email (optional) · 项目代码 Program code.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from aigcert.accounts import api as accounts
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound
from aigcert.enrolment import rules, services
from aigcert.enrolment.models import CandidateImport, Enrolment

MAX_BYTES = 5 << 20
MAX_UNPACKED = 50 << 20
MAX_ROWS = 5000
SHEET = "考生"

# key → accepted header texts (first is what the template writes)
COLUMNS = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "phone"),
    "id_number": ("身份证号", "id number"),
    "email": ("邮箱", "email"),
    "program": ("项目代码", "program code"),
}
REQUIRED = ("name", "phone", "program")


@dataclass(frozen=True)
class Row:
    number: int
    name: str
    phone: str
    id_number: str
    email: str | None
    program: str
    phone_column: str = "B"
    program_column: str = "E"
    email_column: str = "D"


def _problem(row: int, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": str(message)}


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append([texts[0] for texts in COLUMNS.values()])
    sheet.append(["张三", "13800138000", "11010519491231002X", "zhangsan@example.com", "aigc-general"])
    for column, width in zip("ABCDE", (12, 16, 22, 28, 22), strict=True):
        sheet.column_dimensions[column].width = width
    notes = workbook.create_sheet("说明")
    notes.append([_("One candidate per row on the first sheet; replace the example row.")])
    notes.append([_("Required: name, mainland mobile number, program code. ID number and e-mail are optional.")])
    notes.append([_("Program codes:")])
    for code, name in catalog.program_choices():
        notes.append([code, name])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_read(data: bytes) -> tuple[list[Row], list[dict]]:
    """Parse and check every cell; problems carry the row number and column letter the partner sees in Excel."""
    if len(data) > MAX_BYTES:
        return [], [_problem(0, "", _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES >> 20})]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
                return [], [_problem(0, "", _("The workbook unpacks to more than %(mb)s MB.") % {
                    "mb": MAX_UNPACKED >> 20})]
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that isn't a workbook
        return [], [_problem(0, "", _("This is not an .xlsx workbook (Excel 2007 or later)."))]
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        text = str(cell or "").strip().lower()
        for key, names in COLUMNS.items():
            if text in (n.lower() for n in names):
                positions[key] = index
    problems = [_problem(1, "", _("Column “%(name)s” is missing from the header row.") % {"name": COLUMNS[k][0]})
                for k in REQUIRED if k not in positions]
    if problems:
        return [], problems
    parsed: list[Row] = []
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            return [], [_problem(number, "", _("More than %(max)s rows; split the file.") % {"max": MAX_ROWS})]

        def cell(key: str, values=values) -> str:
            index = positions.get(key)
            value = values[index] if index is not None and index < len(values) else None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return "" if value is None else str(value).strip()

        if not any(cell(k) for k in COLUMNS):
            continue
        row_problems = []
        name = cell("name")
        if not name or len(name) > 60:
            row_problems.append(_problem(number, _letter(positions["name"]),
                                         _("Enter the candidate's legal name (at most 60 characters).")))
        phone = accounts.normalize_phone(cell("phone"))
        if phone is None:
            row_problems.append(_problem(number, _letter(positions["phone"]),
                                         _("“%(value)s” is not a mainland China mobile number.") % {
                                             "value": cell("phone")}))
        id_number = cell("id_number").upper()
        if id_number and not accounts.id_number_is_valid(accounts.ID_TYPE_RESIDENT, id_number):
            row_problems.append(_problem(number, _letter(positions["id_number"]),
                                         _("This is not a valid resident ID number.")))
        email = None
        if cell("email"):
            email = accounts.normalize_email(cell("email"))
            if email is None:
                row_problems.append(_problem(number, _letter(positions["email"]),
                                             _("This is not a valid e-mail address.")))
        program = cell("program")
        try:
            data_program = catalog.program_get(program)
            if data_program.status != "open":
                row_problems.append(_problem(number, _letter(positions["program"]),
                                             _("Program “%(code)s” is not open for registration.") % {
                                                 "code": program}))
        except NotFound:
            row_problems.append(_problem(number, _letter(positions["program"]),
                                         _("Unknown program code “%(code)s”.") % {"code": program}))
        problems.extend(row_problems)
        if not row_problems:
            parsed.append(Row(number, name, phone, id_number, email, program, _letter(positions["phone"]),
                              _letter(positions["program"]),
                              _letter(positions["email"]) if "email" in positions else "D"))
    if not parsed and not problems:
        problems.append(_problem(2, "", _("The sheet has no candidates.")))
    return parsed, problems


def rows_check_against_database(rows: list[Row], *, org_pk: int) -> list[dict]:
    problems = []
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, tuple[str, int]] = {}
    emails: dict[str, tuple[str, int]] = {}
    for row in rows:
        key = (row.phone, row.program)
        user = accounts.user_by_phone(row.phone)
        # Without an account, the first row with a phone number decides whose it is (an account's own legal
        # name is checked below).
        first_name, first_row = names.setdefault(row.phone, (row.name, row.number))
        if user is None and first_name != row.name:
            problems.append(_problem(row.number, row.phone_column, _(
                "The same phone number as row %(row)s, but another name.") % {"row": first_row}))
            continue
        if row.email:
            owner_phone, owner_row = emails.setdefault(row.email, (row.phone, row.number))
            if owner_phone != row.phone:
                problems.append(_problem(row.number, row.email_column, _(
                    "The same e-mail address as row %(row)s, for another phone number.") % {"row": owner_row}))
                continue
            if accounts.email_taken_by_other(row.email, row.phone):
                problems.append(_problem(row.number, row.email_column, _(
                    "This e-mail address belongs to another account.")))
                continue
        if key in seen:
            problems.append(_problem(row.number, row.phone_column,
                                     _("The same candidate and program as row %(row)s.") % {"row": seen[key]}))
            continue
        seen[key] = row.number
        if user is None:
            if services.program_has_prerequisites(row.program):
                problems.append(_problem(row.number, row.program_column, _(
                    "This program needs a lower certificate or approved work experience; the candidate must "
                    "register for it themselves.")))
            continue
        known = accounts.profile_legal_name_and_id(user)
        if known and known[0] and known[0] != row.name:
            problems.append(_problem(row.number, row.phone_column, _(
                "This phone number belongs to an account in another name (%(name)s).") % {"name": known[0][0] + "*"}))
        if Enrolment.objects.filter(candidate=user, program_code=row.program).exclude(
                state=rules.WITHDRAWN).exists():
            problems.append(_problem(row.number, row.program_column,
                                     _("This candidate is already registered for this program.")))
        elif not services.eligibility_of(user, row.program).eligible:
            problems.append(_problem(row.number, row.program_column, _(
                "The candidate does not meet this program's requirements (lower certificate or approved work "
                "experience).")))
    return problems


def candidate_import_run(job: CandidateImport) -> CandidateImport:
    """Check the whole file, then register everyone in one transaction; on any problem, nothing is created."""
    CandidateImport.objects.filter(pk=job.pk).update(status=CandidateImport.Status.RUNNING)
    with job.file.open("rb") as handle:
        data = handle.read()
    rows, problems = rows_read(data)
    CandidateImport.objects.filter(pk=job.pk).update(rows_total=len(rows) + len({p["row"] for p in problems}))
    # The database checks run on every row that parsed, so one upload lists every problem at once.
    problems = sorted([*problems, *rows_check_against_database(rows, org_pk=job.organization_id)],
                      key=lambda p: (p["row"], p["column"]))
    if problems:
        CandidateImport.objects.filter(pk=job.pk).update(status=CandidateImport.Status.FAILED, problems=problems)
        job.refresh_from_db()
        return job
    try:
        with transaction.atomic():
            for done, row in enumerate(rows, start=1):
                user, _created = accounts.candidate_ensure_for_import(
                    phone=row.phone, legal_name=row.name, id_number=row.id_number, email=row.email,
                    actor=job.uploaded_by, language=job.language)
                services.enrolment_register(candidate=user, program_code=row.program, org_pk=job.organization_id,
                                            actor=job.uploaded_by)
                if done % 25 == 0:
                    CandidateImport.objects.filter(pk=job.pk).update(rows_done=done)
    except (DomainError, IntegrityError) as exc:
        # A race with another registration between check and import: report it, nothing was created.
        message = exc.message if isinstance(exc, DomainError) else _(
            "Another registration changed these accounts while the file was imported; upload it again.")
        CandidateImport.objects.filter(pk=job.pk).update(
            status=CandidateImport.Status.FAILED, problems=[_problem(0, "", message)])
    else:
        CandidateImport.objects.filter(pk=job.pk).update(status=CandidateImport.Status.DONE, rows_done=len(rows),
                                                         created_count=len(rows))
    job.refresh_from_db()
    return job
