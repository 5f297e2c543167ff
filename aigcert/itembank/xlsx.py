"""The spreadsheet format for items: a template, an all-or-nothing checker/importer and an exporter.

One row per item on the sheet “题目”. Cells hold plain text (or simple HTML); lists use the separators the
instructions sheet explains. Every problem names its sheet, row, column and says what to fix.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from aigcert.itembank import content as c
from aigcert.itembank.content import (
    Answer,
    Blank,
    ItemContent,
    Option,
    Problem,
    parse_decimal,
)
from aigcert.itembank.sanitize import text_to_html

ITEMS_SHEET = "题目"
EXAMPLES_SHEET = "示例"
INSTRUCTIONS_SHEET = "说明"
MAX_OPTIONS = 8
OPTION_KEYS = [f"option_{c.option_label(i).lower()}" for i in range(MAX_OPTIONS)]

# (key, Chinese header). The header cell reads "题型 (type)": people read the Chinese, the importer the key.
COLUMNS: list[tuple[str, str]] = [
    ("program", "项目代码"),
    ("type", "题型"),
    ("stem", "题干"),
    *[(key, f"选项{c.option_label(i)}") for i, key in enumerate(OPTION_KEYS)],
    ("key", "答案"),
    ("points", "分值"),
    ("scoring", "多选计分"),
    ("partial_credit", "少选得分比例"),
    ("blanks", "填空答案"),
    ("case_sensitive", "区分大小写"),
    ("explanation", "解析"),
    ("difficulty", "难度"),
    ("standards", "能力标准"),
    ("source", "来源"),
    ("min_words", "最少字数"),
    ("max_words", "最多字数"),
    ("allowed_types", "允许文件类型"),
    ("max_size_mb", "文件上限MB"),
    ("rubric", "评分细则"),
    ("reference_prompt", "参考提示词"),
    ("qualities", "评价要点"),
    ("starter_code", "初始代码"),
    ("tests", "测试用例"),
    ("time_limit_ms", "时间限制ms"),
    ("memory_limit_mb", "内存限制MB"),
    ("reference_solution", "参考解答"),
    ("item_id", "题目编号"),
]
COLUMN_KEYS = [key for key, _ in COLUMNS]
REQUIRED_COLUMNS = ("type", "stem", "key", "points", "difficulty")
TYPE_NAMES = {
    c.SINGLE_CHOICE: "单选", c.MULTIPLE_CHOICE: "多选", c.TRUE_FALSE: "判断", c.FILL_IN: "填空",
    c.ESSAY: "论述", c.WORK_UPLOAD: "作品", c.PROGRAM: "编程", c.PROMPT_TASK: "提示词",
}
_TYPE_LOOKUP = {**{v: k for k, v in TYPE_NAMES.items()}, **{k: k for k in c.ITEM_TYPES}}
_TRUE = {"true", "t", "yes", "y", "1", "对", "正确", "是", "√", "✓"}
_FALSE = {"false", "f", "no", "n", "0", "错", "错误", "否", "×", "✗"}
_LIST_SPLIT = re.compile(r"[,，;；、\s]+")
_HEADER_KEY = re.compile(r"\(([a-z_]+)\)\s*$")


def header(key: str, zh: str) -> str:
    return f"{zh} ({key})"


@dataclass
class SheetProblem:
    sheet: str
    row: int
    column: str
    column_name: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "column_name": self.column_name,
                "message": self.message}

    def __str__(self) -> str:
        where = _("sheet “%(sheet)s”, row %(row)s") % {"sheet": self.sheet, "row": self.row}
        if self.column:
            where += _(", column %(column)s (%(name)s)") % {"column": self.column, "name": self.column_name}
        return f"{where}: {self.message}"


@dataclass
class ParsedRow:
    row: int
    program: str
    content: ItemContent


@dataclass
class SheetResult:
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[SheetProblem] = field(default_factory=list)
    total_rows: int = 0
    columns: dict[str, int] = field(default_factory=dict)  # column key → 0-based index in this file

    def where(self, key: str) -> tuple[str, str]:
        """(column letter, column title) of a field in this file's own column order."""
        index = self.columns.get(key)
        return (get_column_letter(index + 1) if index is not None else ""), _column_title(key)


class XlsxRejected(Exception):
    def __init__(self, problems: list[SheetProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# -- reading -----------------------------------------------------------------------------------------------

def _whole_file_problem(message: str) -> XlsxRejected:
    return XlsxRejected([SheetProblem(ITEMS_SHEET, 0, "", "", message)])


def _check_archive(path: Path) -> None:
    limits = settings.ITEMBANK_IMPORT_LIMITS
    if path.stat().st_size > limits["max_bytes"]:
        raise _whole_file_problem(_("The file is larger than %(mb)s MB; split it into several files.")
                                  % {"mb": limits["max_bytes"] >> 20})
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise _whole_file_problem(_("This is not an .xlsx workbook (Excel 2007 or later).")) from None
    if unpacked > limits["max_unpacked_bytes"]:
        raise _whole_file_problem(_("The workbook unpacks to more than %(mb)s MB; split it into several files.")
                                  % {"mb": limits["max_unpacked_bytes"] >> 20})


def _sheet_facts(path: Path, worksheet_path: str) -> tuple[list[str], int]:
    """Merged ranges and the number of rows, read from the sheet's XML: the workbook's own size record can be
    missing (streamed files) or wrong, and openpyxl would stop reading where it says."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read(worksheet_path)
    merged = [m.decode() for m in re.findall(rb'<mergeCell[^>]*\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"', data)]
    return merged, len(re.findall(rb"<row[\s>]", data))


# Code and prompts keep their exact whitespace; every other cell is trimmed.
_VERBATIM = frozenset({"starter_code", "reference_solution", "reference_prompt", "tests"})


def _cell_text(value: Any, *, verbatim: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if verbatim else str(value).strip()


def sheet_read(path: Path, *, default_program: str = "",
               progress: Callable[[int, int], None] | None = None) -> SheetResult:
    """Parse every row into item content, collecting every problem. Raises XlsxRejected if unreadable."""
    path = Path(path)
    _check_archive(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for broken files; all mean the same to the user
        raise _whole_file_problem(_("The workbook can't be read; save it again as .xlsx and retry.")) from None
    try:
        if ITEMS_SHEET not in workbook.sheetnames:
            raise _whole_file_problem(_("The workbook has no sheet named “%(sheet)s”; start from the template.")
                                      % {"sheet": ITEMS_SHEET})
        sheet = workbook[ITEMS_SHEET]
        merged, row_count = _sheet_facts(path, sheet._worksheet_path)
        if merged:
            raise XlsxRejected([
                SheetProblem(ITEMS_SHEET, int(re.search(r"\d+", ref).group()), ref.split(":")[0].rstrip("0123456789"),
                             "", _("Cells %(range)s are merged; unmerge them and put each value in its own cell.")
                             % {"range": ref})
                for ref in merged
            ])
        max_rows = settings.ITEMBANK_IMPORT_LIMITS["max_rows"]
        total = max(row_count - 1, 0)
        if total > max_rows:
            raise _whole_file_problem(_("The sheet has %(rows)s rows; at most %(max)s can be imported at once.")
                                      % {"rows": total, "max": max_rows})
        sheet.reset_dimensions()
        return _rows_read(sheet.iter_rows(values_only=True), total, default_program, progress)
    finally:
        workbook.close()


def _rows_read(rows: Iterable[tuple], total: int, default_program: str,
               progress: Callable[[int, int], None] | None) -> SheetResult:
    result = SheetResult(total_rows=total)
    rows = iter(rows)
    header_row = next(rows, None)
    columns = result.columns = _header_columns(header_row or (), result)
    if result.problems:
        return result
    for offset, values in enumerate(rows):
        row_number = offset + 2
        cells = {key: _cell_text(values[index], verbatim=key in _VERBATIM) if index < len(values) else ""
                 for key, index in columns.items()}
        if not any(v.strip() for v in cells.values()):
            continue
        program, content, problems = row_content(cells, default_program)
        for problem in problems:
            key = _FIELD_COLUMN.get(problem.field, problem.field)
            index = columns.get(key)
            result.problems.append(SheetProblem(
                ITEMS_SHEET, row_number, get_column_letter(index + 1) if index is not None else "",
                _column_title(key), problem.message))
        if not problems:
            result.rows.append(ParsedRow(row_number, program, content))
        if progress and offset % 200 == 0:
            progress(offset, total)
    if progress:
        progress(total, total)
    return result


def _column_title(key: str) -> str:
    return next((header(k, zh) for k, zh in COLUMNS if k == key), key)


def _header_columns(header_row: tuple, result: SheetResult) -> dict[str, int]:
    known = dict(COLUMNS)
    by_zh = {zh: key for key, zh in COLUMNS}
    columns: dict[str, int] = {}
    for index, value in enumerate(header_row):
        text = _cell_text(value)
        if not text:
            continue
        match = _HEADER_KEY.search(text)
        key = match.group(1) if match and match.group(1) in known else by_zh.get(text)
        if key is None:
            result.problems.append(SheetProblem(ITEMS_SHEET, 1, get_column_letter(index + 1), text,
                                                _("Unknown column “%(name)s”; use the template's headers.")
                                                % {"name": text}))
        elif key in columns:
            result.problems.append(SheetProblem(ITEMS_SHEET, 1, get_column_letter(index + 1), text,
                                                _("Column “%(name)s” appears twice.") % {"name": text}))
        else:
            columns[key] = index
    for key in REQUIRED_COLUMNS:
        if key not in columns:
            result.problems.append(SheetProblem(ITEMS_SHEET, 1, "", _column_title(key),
                                                _("Required column “%(name)s” is missing.")
                                                % {"name": _column_title(key)}))
    return columns


# Content fields whose problems belong to a differently named column.
_FIELD_COLUMN = {"options": "option_a", "scoring": "scoring", "type": "type"}


def _int(value: str, field_name: str, problems: list[Problem]) -> int | None:
    if not value:
        return None
    number = parse_decimal(value)
    if number is None or number != number.to_integral_value():
        problems.append(Problem(field_name, _("“%(value)s” is not a whole number.") % {"value": value}))
        return None
    return int(number)


def _split_list(value: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(value) if part]


def _bool(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def row_content(cells: dict[str, str], default_program: str) -> tuple[str, ItemContent, list[Problem]]:
    problems: list[Problem] = []
    program = cells.get("program") or default_program
    if not program:
        problems.append(Problem("program", _("Say which program the item belongs to.")))
    type_cell = cells.get("type", "")
    item_type = _TYPE_LOOKUP.get(type_cell.strip().lower(), _TYPE_LOOKUP.get(type_cell.strip(), type_cell))
    item = ItemContent(item_type=item_type, stem=text_to_html(cells.get("stem", "")))
    item.explanation = text_to_html(cells.get("explanation", ""))
    item.source = cells.get("source", "")
    item.standards = _split_list(cells.get("standards", ""))
    difficulty = _int(cells.get("difficulty", ""), "difficulty", problems)
    item.difficulty = 3 if difficulty is None and not cells.get("difficulty") else (difficulty or 0)
    points_cell = cells.get("points", "")
    item.points = parse_decimal(points_cell) if points_cell else None
    if points_cell and item.points is None:
        problems.append(Problem("points", _("“%(value)s” is not a number.") % {"value": points_cell}))
    key_cell = cells.get("key", "").strip()
    if item_type in c.CHOICE_TYPES:
        item.options = [Option(c.option_label(i), text_to_html(cells.get(k, "")))
                        for i, k in enumerate(OPTION_KEYS) if cells.get(k, "")]
        letters = re.sub(r"[\s,，、;；]", "", key_cell).upper()
        item.key = list(letters)
        if not letters:
            problems.append(Problem("key", _("Give the correct option letter(s), such as B or ACD.")))
        scoring = cells.get("scoring", "").strip().lower()
        if scoring in ("partial", "少选得分", "部分得分"):
            item.scoring = c.PARTIAL
            credit = cells.get("partial_credit", "") or "0.5"
            item.partial_credit = parse_decimal(credit)
            if item.partial_credit is None:
                problems.append(Problem("partial_credit", _("“%(value)s” is not a number.") % {"value": credit}))
        elif scoring in ("", "exact", "全对得分"):
            item.scoring = c.EXACT
        else:
            problems.append(Problem("scoring", _("Scoring must be exact (全对得分) or partial (少选得分).")))
    elif item_type == c.TRUE_FALSE:
        value = _bool(key_cell)
        if value is None:
            problems.append(Problem("key", _("The key of a true/false item must be 对 or 错 (true or false).")))
        else:
            item.key = ["true" if value else "false"]
    elif item_type == c.FILL_IN:
        case_sensitive = _bool(cells.get("case_sensitive", "")) or False
        blanks_cell = cells.get("blanks", "") or key_cell
        parts = [part for part in blanks_cell.split("||") if part.strip()]
        blank_points = Decimal(1)
        if item.points and parts:
            blank_points = (item.points / len(parts)).quantize(Decimal("0.01"))
            if blank_points * len(parts) != item.points:
                problems.append(Problem("points", _("%(points)s points can't be shared equally by %(n)s blanks.")
                                        % {"points": _num(item.points), "n": len(parts)}))
        item.blanks = [
            Blank([Answer(a.strip(), blank_points, case_sensitive) for a in part.split("|") if a.strip()])
            for part in parts
        ]
        if not parts:
            problems.append(Problem("blanks", _("List the accepted answers of each blank.")))
    elif item_type == c.ESSAY:
        item.min_words = _int(cells.get("min_words", ""), "min_words", problems)
        item.max_words = _int(cells.get("max_words", ""), "max_words", problems)
    elif item_type == c.WORK_UPLOAD:
        item.allowed_types = [t.lower().lstrip(".") for t in _split_list(cells.get("allowed_types", ""))]
        item.max_size_mb = _int(cells.get("max_size_mb", ""), "max_size_mb", problems)
    elif item_type == c.PROGRAM:
        item.starter_code = cells.get("starter_code", "")
        item.reference_solution = cells.get("reference_solution", "")
        item.time_limit_ms = _int(cells.get("time_limit_ms", ""), "time_limit_ms", problems)
        item.memory_limit_mb = _int(cells.get("memory_limit_mb", ""), "memory_limit_mb", problems)
        item.tests = c.tests_parse(cells.get("tests", ""), problems)
    elif item_type == c.PROMPT_TASK:
        item.reference_prompt = cells.get("reference_prompt", "")
        item.qualities = [q.strip() for q in cells.get("qualities", "").splitlines() if q.strip()]
    if item_type in c.RUBRIC_TYPES:
        item.rubric = c.rubric_parse(cells.get("rubric", ""), problems)
    if item_type in c.CHOICE_TYPES | {c.TRUE_FALSE} and not points_cell:
        problems.append(Problem("points", _("Points are required.")))
    if problems:
        return program, item, problems
    derived = item.derived_points()
    if derived is not None:
        if item.points is not None and item.points != derived:
            problems.append(Problem("points", _("Points are %(given)s but the item's parts add up to %(derived)s.")
                                    % {"given": _num(item.points), "derived": _num(derived)}))
        item.points = derived
    return program, item, problems + c.content_problems(item)


# -- writing -----------------------------------------------------------------------------------------------

_HEADER_FILL = PatternFill("solid", fgColor="DDE7F5")


def cell_text(rich: str) -> str:
    """A stem or option for a cell: plain text when that re-imports to the same HTML, else the HTML itself."""
    if not rich:
        return ""
    paragraphs = re.findall(r"<p>(.*?)</p>", rich, flags=re.S)
    if "".join(f"<p>{p}</p>" for p in paragraphs) == rich and all("<" not in p.replace("<br>", "")
                                                                   for p in paragraphs):
        text = "\n\n".join(html.unescape(p.replace("<br>", "\n")) for p in paragraphs)
        if text_to_html(text) == rich:
            return text
    return rich


def content_cells(program: str, item: ItemContent, item_id: str = "") -> dict[str, Any]:
    cells: dict[str, Any] = {
        "program": program, "type": TYPE_NAMES[item.item_type], "stem": cell_text(item.stem),
        "points": _num(item.points) if item.points is not None else "",
        "explanation": cell_text(item.explanation), "difficulty": item.difficulty,
        "standards": ", ".join(item.standards), "source": item.source, "item_id": item_id,
    }
    if item.item_type in c.CHOICE_TYPES:
        for index, option in enumerate(item.options[:MAX_OPTIONS]):
            cells[OPTION_KEYS[index]] = cell_text(option.html)
        cells["key"] = "".join(c.key_letters(item))
        if item.scoring == c.PARTIAL:
            cells["scoring"] = "partial"
            cells["partial_credit"] = _num(item.partial_credit)
    elif item.item_type == c.TRUE_FALSE:
        cells["key"] = "对" if item.key == ["true"] else "错"
    elif item.item_type == c.FILL_IN:
        cells["blanks"] = " || ".join("|".join(a.text for a in b.answers) for b in item.blanks)
        cells["case_sensitive"] = "是" if any(a.case_sensitive for b in item.blanks for a in b.answers) else ""
    elif item.item_type == c.ESSAY:
        cells["min_words"] = item.min_words if item.min_words is not None else ""
        cells["max_words"] = item.max_words if item.max_words is not None else ""
    elif item.item_type == c.WORK_UPLOAD:
        cells["allowed_types"] = ", ".join(item.allowed_types)
        cells["max_size_mb"] = item.max_size_mb
    elif item.item_type == c.PROGRAM:
        cells.update(starter_code=item.starter_code, reference_solution=item.reference_solution,
                     time_limit_ms=item.time_limit_ms, memory_limit_mb=item.memory_limit_mb,
                     tests=c.tests_text(item.tests))
    elif item.item_type == c.PROMPT_TASK:
        cells["reference_prompt"] = item.reference_prompt
        cells["qualities"] = "\n".join(item.qualities)
    if item.item_type in c.RUBRIC_TYPES:
        cells["rubric"] = c.rubric_text(item.rubric)
    return cells


def _text_cell(sheet, value: Any) -> Any:
    """A value that starts like a formula is written as text: it must come back as typed and never run."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _write_items_sheet(sheet, rows: Iterable[dict[str, Any]]) -> None:
    sheet.append([header(key, zh) for key, zh in COLUMNS])
    for row in rows:
        sheet.append([_text_cell(sheet, row.get(key, "")) for key in COLUMN_KEYS])


def workbook_export(rows: Iterable[tuple[str, ItemContent, str]]) -> bytes:
    """(program code, content, item id) rows → an .xlsx in the template's layout."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(ITEMS_SHEET)
    _write_items_sheet(sheet, (content_cells(program, item, item_id) for program, item, item_id in rows))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_build(examples: list[tuple[str, ItemContent]]) -> bytes:
    """The downloadable template: instructions, an empty items sheet, and one example row per item type."""
    workbook = openpyxl.Workbook()
    instructions = workbook.active
    instructions.title = INSTRUCTIONS_SHEET
    instructions.append([_("How to fill in this workbook")])
    instructions["A1"].font = Font(bold=True, size=14)
    for line in _instructions():
        instructions.append([line])
    instructions.append([])
    instructions.append([_("Column"), _("What to write")])
    for key, zh in COLUMNS:
        instructions.append([header(key, zh), str(COLUMN_HELP.get(key, ""))])
    instructions.column_dimensions["A"].width = 28
    instructions.column_dimensions["B"].width = 110
    for sheet_name, rows in ((ITEMS_SHEET, []), (EXAMPLES_SHEET, examples)):
        sheet = workbook.create_sheet(sheet_name)
        _write_items_sheet(sheet, (content_cells(program, item) for program, item in rows))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for index in range(1, len(COLUMNS) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 40 if index == 3 else 16
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _instructions() -> list[str]:
    return [
        _("Write one item per row on the sheet “题目”. The sheet “示例” has one example of every item type: "
          "copy rows from it and change them."),
        _("Import checks the whole file first. If any row has a problem, nothing is imported and every problem "
          "is listed with its row and column."),
        _("Stems, options and explanations are plain text (a blank line starts a new paragraph) or simple HTML. "
          "Scripts, frames and event handlers are removed."),
        _("Rows whose stem is the same as, or very close to, an item already in the bank are flagged as possible "
          "duplicates before you import."),
        _("Do not merge cells. Leave the header row as it is."),
    ]


COLUMN_HELP = {
    "program": gettext_lazy("Program code, e.g. aigc-general. May be left empty when you choose the program on "
                            "upload."),
    "type": gettext_lazy("单选, 多选, 判断, 填空, 论述, 作品, 编程 or 提示词 (or single_choice, multiple_choice, "
                         "true_false, fill_in, essay, work_upload, program, prompt_task)."),
    "stem": gettext_lazy("The question. For fill-in items mark each blank as [[1]], [[2]], … in order."),
    "option_a": gettext_lazy("Choice items: the options, A to H; leave unused options empty."),
    "key": gettext_lazy("Choice: the letter(s) of the correct option(s), e.g. B or ACD. True/false: 对 or 错."),
    "points": gettext_lazy("Points of the item. Fill-in: points of the whole item, shared equally by its blanks. "
                "Subjective items: the rubric's total."),
    "scoring": gettext_lazy("Multiple choice: exact (all or nothing, default) or partial (少选得部分分、错选不得分)."),
    "partial_credit": gettext_lazy("With partial scoring: the share of points for a correct but incomplete choice "
                            "(default 0.5)."),
    "blanks": gettext_lazy("Fill-in: accepted answers; separate blanks with || and alternatives for one blank with |."),
    "case_sensitive": gettext_lazy("Fill-in: 是 if answers must match upper and lower case; otherwise leave empty."),
    "explanation": gettext_lazy("Explanation (解析) shown after the exam and in practice."),
    "difficulty": gettext_lazy("1 (easy) to 5 (hard)."),
    "standards": gettext_lazy("Evaluation-standard item codes of the program, e.g. A1.2, A3.3."),
    "source": gettext_lazy("Where the item comes from (a textbook, an exam office, an author's own work)."),
    "min_words": gettext_lazy("Essay: minimum words (a Chinese character counts as one word)."),
    "max_words": gettext_lazy("Essay: maximum words."),
    "allowed_types": gettext_lazy("Work upload: file extensions, e.g. png, jpg, pdf, mp4."),
    "max_size_mb": gettext_lazy("Work upload: largest file in MB."),
    "rubric": gettext_lazy("Subjective items: one criterion per line, written as "
                           "criterion = level:points:description | …"),
    "reference_prompt": gettext_lazy("Prompt task: an example of a good prompt (markers only)."),
    "qualities": gettext_lazy("Prompt task: what markers look for, one per line."),
    "starter_code": gettext_lazy("Programming: the code the candidate starts from."),
    "tests": gettext_lazy('Programming: JSON list of test cases [{"input": "…", "output": "…", "points": 5}].'),
    "time_limit_ms": gettext_lazy("Programming: time limit per test in milliseconds."),
    "memory_limit_mb": gettext_lazy("Programming: memory limit in MB."),
    "reference_solution": gettext_lazy("Programming: a solution that passes every test (never shown to candidates)."),
    "item_id": gettext_lazy("Filled in on export; ignored on import."),
}
