"""The spreadsheet template, the all-or-nothing xlsx import (with duplicates and progress) and the xlsx export."""

import base64
import io
import random
import re
import zipfile
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl.utils import get_column_letter

from aigcert.accounts.api import Role
from aigcert.core.api import DomainError
from aigcert.itembank import content as c
from aigcert.itembank import exports, importing, services, xlsx
from aigcert.itembank.content import Answer, Blank, Criterion, ItemContent, Level, Option, TestCase
from aigcert.itembank.models import ImportJob, Item
from aigcert.itembank.sanitize import text_to_html

PROGRAM = "aigc-general"
HEADERS = [xlsx.header(key, zh) for key, zh in xlsx.COLUMNS]
ZH = dict(xlsx.COLUMNS)
TEMPLATE_URL = reverse("itembank:template")
IMPORT_URL = reverse("itembank:import_start")
CJK = re.compile(r"[\u4e00-\u9fff]")


# -- building workbooks ------------------------------------------------------------------------------------

def letter(key: str) -> str:
    """The column letter of a key in the template's layout."""
    return get_column_letter(xlsx.COLUMN_KEYS.index(key) + 1)


def title(key: str) -> str:
    return xlsx.header(key, ZH[key])


def workbook_file(path: Path, rows: list[dict[str, Any]], *, keys: list[str] | None = None,
                  write_only: bool = False) -> Path:
    """A workbook whose “题目” sheet has the header for ``keys`` (default: every column) and one row per dict."""
    keys = keys or xlsx.COLUMN_KEYS
    workbook = openpyxl.Workbook(write_only=write_only)
    if write_only:
        sheet = workbook.create_sheet(xlsx.ITEMS_SHEET)
    else:
        sheet = workbook.active
        sheet.title = xlsx.ITEMS_SHEET
    sheet.append([title(key) for key in keys])
    for row in rows:
        assert set(row) <= set(xlsx.COLUMN_KEYS), set(row) - set(xlsx.COLUMN_KEYS)
        sheet.append([row.get(key) for key in keys])
    workbook.save(path)
    return path


def choice_row(stem: str = "Transformer 架构的核心机制是什么？", **cells: Any) -> dict[str, Any]:
    return {"program": PROGRAM, "type": "单选", "stem": stem, "option_a": "卷积", "option_b": "自注意力",
            "option_c": "循环连接", "option_d": "池化", "key": "B", "points": 2, "difficulty": 2,
            "standards": "A1.3", **cells}


def fill_in_row(stem: str = "生成对抗网络由生成器和[[1]]两部分组成。", **cells: Any) -> dict[str, Any]:
    return {"program": PROGRAM, "type": "填空", "stem": stem, "blanks": "判别器|discriminator", "points": 1,
            "difficulty": 2, **cells}


TOPICS = ["自注意力", "位置编码", "提示词", "向量数据库", "扩散模型", "微调", "幻觉", "检索增强", "温度参数",
          "上下文窗口", "思维链", "多模态", "分词器", "嵌入", "对齐", "蒸馏", "量化", "智能体", "评测集", "水印",
          "版权", "隐私"]


def good_rows(count: int) -> list[dict[str, Any]]:
    return [choice_row(f"第{n}题：关于“{TOPICS[n % len(TOPICS)]}”（编号 {n * 7919 % 10007}），下列说法正确的是？")
            for n in range(1, count + 1)]


def checked(path: Path, **kwargs) -> importing.ImportCheck:
    """The check of a file, with messages in English so they can be compared exactly."""
    with translation.override("en"):
        return importing.xlsx_check(path, **kwargs)


def where(check: importing.ImportCheck) -> list[tuple]:
    return [(p.sheet, p.row, p.column, p.column_name, p.message) for p in check.problems]


def assert_nothing_imported(check: importing.ImportCheck, actor) -> None:
    before = Item.objects.count()
    with pytest.raises(DomainError):
        importing.check_write(actor=actor, check=check, source="bank.xlsx")
    assert Item.objects.count() == before


def imported(path: Path, actor, **kwargs) -> list[Item]:
    check = checked(path, **kwargs)
    assert check.ok, where(check)
    before = set(Item.objects.values_list("pk", flat=True))
    importing.check_write(actor=actor, check=check, source=path.name)
    return list(Item.objects.exclude(pk__in=before).select_related("head").order_by("pk"))


def sheet_values(data: bytes, sheet: str = xlsx.ITEMS_SHEET) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [tuple("" if v is None else v for v in row) for row in workbook[sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()


@pytest.fixture
def author(catalog, make_user):
    return make_user(Role.ITEM_AUTHOR)


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


# -- 1. the template ---------------------------------------------------------------------------------------

def test_template_has_instructions_an_empty_items_sheet_and_one_example_per_type(author_client, author,
                                                                                   tmp_path):
    response = author_client.get(TEMPLATE_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="aigcert-items-template.xlsx"'

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [xlsx.INSTRUCTIONS_SHEET, xlsx.ITEMS_SHEET, xlsx.EXAMPLES_SHEET]
    listed = [row[0] for row in workbook[xlsx.INSTRUCTIONS_SHEET].iter_rows(values_only=True)]
    assert [h for h in HEADERS if h not in listed] == []
    assert list(workbook[xlsx.ITEMS_SHEET].iter_rows(values_only=True)) == [tuple(HEADERS)]

    examples = list(workbook[xlsx.EXAMPLES_SHEET].iter_rows(values_only=True))
    assert examples[0] == tuple(HEADERS)
    type_column = xlsx.COLUMN_KEYS.index("type")
    names = {name: item_type for item_type, name in xlsx.TYPE_NAMES.items()}
    assert sorted(names[row[type_column]] for row in examples[1:]) == sorted(c.ITEM_TYPES)

    # Copy the examples into “题目”, as the instructions say, and import that file.
    items_sheet = workbook[xlsx.ITEMS_SHEET]
    for row in examples[1:]:
        items_sheet.append(row)
    path = tmp_path / "from-template.xlsx"
    workbook.save(path)
    check = checked(path)
    assert check.problems == []
    assert check.total_rows == 8
    importing.check_write(actor=author, check=check, source=path.name)
    assert sorted(Item.objects.values_list("item_type", flat=True)) == sorted(c.ITEM_TYPES)
    assert set(Item.objects.values_list("status", "program__code")) == {(Item.Status.SUBMITTED, PROGRAM)}


def test_template_instructions_explain_every_column(author_client):
    workbook = openpyxl.load_workbook(io.BytesIO(author_client.get(TEMPLATE_URL).content))
    help_text = {row[0]: row[1] for row in workbook[xlsx.INSTRUCTIONS_SHEET].iter_rows(values_only=True)}
    # Options B to H share option A's explanation ("the options, A to H"); every other column says what to write.
    explained = [key for key in xlsx.COLUMN_KEYS if key not in xlsx.OPTION_KEYS[1:]]
    assert [key for key in explained if not (help_text.get(title(key)) or "").strip()] == []


# -- 2. export and re-import -------------------------------------------------------------------------------

def bank_contents() -> list[ItemContent]:
    """One item of every type, using what each type's cells can hold: paragraphs, HTML, lists, code."""
    rubric = [Criterion("观点与论证", [Level("优", D(6), "观点明确，论证充分"), Level("中", D(3), "论证较单薄"),
                                        Level("差", D(0), "离题")]),
              Criterion("建议可行性", [Level("优", D(4)), Level("差", D(0))])]
    return [
        ItemContent(item_type=c.SINGLE_CHOICE,
                    stem=text_to_html("阅读下面的条件：\n\n若 a < b & b < c，\n则 a 与 c 的关系是？"),
                    points=D(2), difficulty=2, standards=["A1.2", "A1.3"], source="2024 样题",
                    explanation=text_to_html("由传递性可得。"),
                    options=[Option("A", "<p>a &gt; c</p>"), Option("B", "<p><strong>a &lt; c</strong></p>"),
                             Option("C", "<p>a 等于 c</p>"), Option("D", "<p>无法确定</p>")],
                    key=["B"]),
        ItemContent(item_type=c.MULTIPLE_CHOICE, stem=text_to_html("以下哪些做法能让提示词的输出更符合预期？"),
                    points=D(3), difficulty=3, standards=["A3.3"],
                    options=[Option(x, text_to_html(t)) for x, t in zip("ABCDE", [
                        "明确任务", "把要求写得互相矛盾", "给出示例", "规定输出格式", "越长越好"], strict=True)],
                    key=["A", "C", "D"], scoring=c.PARTIAL, partial_credit=D("0.4")),
        ItemContent(item_type=c.MULTIPLE_CHOICE, stem=text_to_html("下列哪些属于生成式模型？"), points=D(2),
                    options=[Option("A", "<p>GAN</p>"), Option("B", "<p>VAE</p>"), Option("C", "<p>SVM</p>")],
                    key=["A", "B"], scoring=c.EXACT),
        ItemContent(item_type=c.TRUE_FALSE, stem=text_to_html("大语言模型的输出总是符合事实。"), points=D(1),
                    difficulty=1, standards=["A1.2"], key=["false"], explanation=text_to_html("模型可能产生幻觉。")),
        ItemContent(item_type=c.FILL_IN, stem=text_to_html("[[1]] 是一种对话模型，它基于 [[2]] 架构。"),
                    points=D(3), standards=["A1.3"],
                    blanks=[Blank([Answer("ChatGPT", D("1.5"), True), Answer("GPT-4", D("1.5"), True)]),
                            Blank([Answer("Transformer", D("1.5"), True)])]),
        ItemContent(item_type=c.ESSAY,
                    stem="<p>根据下表论述：</p><table><tbody><tr><th>年份</th><td>2023</td></tr></tbody></table>",
                    points=D(10), difficulty=4, standards=["A2.1"], min_words=200, max_words=600, rubric=rubric),
        ItemContent(item_type=c.WORK_UPLOAD, stem=text_to_html("为一款茶饮新品制作一张竖版海报。"), points=D(10),
                    standards=["A3.2"], allowed_types=["png", "pdf", "mp4"], max_size_mb=50, rubric=rubric),
        ItemContent(item_type=c.PROGRAM, stem=text_to_html("读入两个整数，输出它们的和。\n输入示例：1 2"),
                    points=D(10), difficulty=2, standards=["A3.2"],
                    starter_code="def solve(line):\n    # 在这里写代码\n    return line\n",
                    tests=[TestCase("1 2\n", "3\n", D(4)), TestCase("10 20\n", "30\n", D(6))],
                    time_limit_ms=1000, memory_limit_mb=128,
                    reference_solution="a, b = map(int, input().split())\nprint(a + b)\n"),
        ItemContent(item_type=c.PROMPT_TASK, stem=text_to_html("写一条提示词，把客户投诉整理成 JSON。"),
                    points=D(10), standards=["A3.3"],
                    reference_prompt="你是客服质检助手。\n\n要求：\n  1. 只输出 JSON\n  2. 字段为 problem、request",
                    qualities=["明确角色和任务", "规定输出格式"], rubric=rubric),
    ]


def bank_items(author) -> list[Item]:
    return [services.item_create(actor=author, program_code=PROGRAM, content=content) for content in bank_contents()]


def stored(item: Item) -> ItemContent:
    item.refresh_from_db()
    return services._clean(services.version_content(item.head))


def test_exported_items_read_back_unchanged_and_export_the_same_again(author_client, author, tmp_path):
    originals = bank_items(author)
    response = author_client.get(reverse("itembank:export"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.content)

    sheet = xlsx.sheet_read(path)
    assert sheet.problems == []
    values = sheet_values(response.content)
    assert values[0] == tuple(HEADERS)
    id_column = xlsx.COLUMN_KEYS.index("item_id")
    by_code = {str(item.code): item for item in originals}
    assert sorted(row[id_column] for row in values[1:]) == sorted(by_code)
    assert len(sheet.rows) == len(originals)
    for parsed in sheet.rows:
        item = by_code[values[parsed.row - 1][id_column]]
        assert parsed.program == PROGRAM
        assert parsed.content == stored(item), item.item_type

    # Import the exported file as new items, export those: every cell but the item id is the same.
    again = imported(path, author)
    assert sorted(i.item_type for i in again) == sorted(i.item_type for i in originals)
    out = tmp_path / "again.xlsx"
    call_command("export_items", str(out), "--format", "xlsx", "--status", "submitted", stdout=io.StringIO())
    second = sheet_values(out.read_bytes())
    assert sorted(row[id_column] for row in second[1:]) == sorted(str(i.code) for i in again)

    def without_id(rows):
        return sorted(row[:id_column] + row[id_column + 1:] for row in rows[1:])

    assert without_id(second) == without_id(values)


def test_cells_starting_with_equals_sign_export_as_text_not_formulas(author, tmp_path):
    # An Excel question: the answer is a formula. Export must keep it as text: a formula cell has no value
    # for the importer (and would run in the reader's Excel).
    item = services.item_create(actor=author, program_code=PROGRAM, content=ItemContent(
        item_type=c.FILL_IN, stem=text_to_html("对 A1 到 A3 求和的公式是 [[1]]。"), points=D(2),
        blanks=[Blank([Answer("=SUM(A1:A3)", D(2))])]))
    path = tmp_path / "export.xlsx"
    path.write_bytes(exports.xlsx_bytes(Item.objects.all()))
    cell = openpyxl.load_workbook(path)[xlsx.ITEMS_SHEET].cell(2, xlsx.COLUMN_KEYS.index("blanks") + 1)
    assert (cell.data_type, cell.value) == ("s", "=SUM(A1:A3)")
    sheet = xlsx.sheet_read(path)
    assert [(p.row, p.column, p.message) for p in sheet.problems] == []
    assert [row.content for row in sheet.rows] == [stored(item)]


def test_choice_keys_export_as_option_letters_whatever_the_option_ids(author, tmp_path):
    # Items imported from QTI keep their choice identifiers; the spreadsheet names options by letter.
    services.item_create(actor=author, program_code=PROGRAM, content=ItemContent(
        item_type=c.SINGLE_CHOICE, stem=text_to_html("哪一项是扩散模型？"), points=D(1),
        options=[Option("choice_1", "<p>GAN</p>"), Option("choice_2", "<p>DDPM</p>"), Option("choice_3", "<p>RNN</p>")],
        key=["choice_2"]))
    path = tmp_path / "export.xlsx"
    path.write_bytes(exports.xlsx_bytes(Item.objects.all()))
    assert sheet_values(path.read_bytes())[1][xlsx.COLUMN_KEYS.index("key")] == "B"
    sheet = xlsx.sheet_read(path)
    assert sheet.problems == []
    assert sheet.rows[0].content.key == ["B"]


# -- 3. all or nothing, with sheet, row, column and message -------------------------------------------------

def test_missing_required_column_is_reported_on_the_header_row(author, tmp_path):
    keys = [key for key in xlsx.COLUMN_KEYS if key != "key"]
    check = checked(workbook_file(tmp_path / "bank.xlsx", good_rows(3), keys=keys))
    assert where(check) == [(xlsx.ITEMS_SHEET, 1, "", "答案 (key)", "Required column “答案 (key)” is missing.")]
    assert_nothing_imported(check, author)


BAD_ROWS = {
    "unknown type": (lambda: choice_row(type="问答"), "type", "Unknown item type “问答”."),
    "key not among the options": (lambda: choice_row(key="E"), "key", "The key E is not among the options."),
    "zero points": (lambda: choice_row(points=0), "points", "Points must be greater than 0."),
    "negative points": (lambda: choice_row(points=-1), "points", "Points must be greater than 0."),
    "points not a number": (lambda: choice_row(points="两分"), "points", "“两分” is not a number."),
    "blank stem": (lambda: choice_row(stem=None), "stem", "The stem is empty."),
    "unknown program": (lambda: choice_row(program="aigc-nope"), "program", "Unknown program “aigc-nope”."),
    "unknown competency": (lambda: choice_row(standards="A1.3, Z9.9"), "standards",
                           "Not an evaluation-standard item of this program: Z9.9."),
    "fill-in without markers": (lambda: fill_in_row(stem="生成对抗网络由生成器和判别器两部分组成。"), "stem",
                                "The stem must mark blanks [[1]] to [[1]] in order, one per blank."),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_row_is_reported_at_its_row_and_column(author, tmp_path, case):
    bad_row, key, message = BAD_ROWS[case]
    rows = [*good_rows(2), bad_row(), fill_in_row()]
    check = checked(workbook_file(tmp_path / "bank.xlsx", rows))
    assert where(check) == [(xlsx.ITEMS_SHEET, 4, letter(key), title(key), message)]
    assert_nothing_imported(check, author)


def test_problem_columns_follow_the_files_own_column_order(author, tmp_path):
    keys = ["type", "stem", "option_a", "option_b", "option_c", "option_d", "key", "points", "difficulty",
            "standards", "program"]  # G = key, J = standards, K = program
    rows = [choice_row(), choice_row(key="E"), choice_row(program="aigc-nope"), choice_row(standards="Z9.9")]
    check = checked(workbook_file(tmp_path / "bank.xlsx", rows, keys=keys))
    assert [(p.row, p.column) for p in check.problems] == [(3, "G"), (4, "K"), (5, "J")]
    assert_nothing_imported(check, author)


def test_merged_cells_are_refused(author, tmp_path):
    path = workbook_file(tmp_path / "bank.xlsx", good_rows(3))
    workbook = openpyxl.load_workbook(path)
    workbook[xlsx.ITEMS_SHEET].merge_cells("C3:D3")
    workbook.save(path)
    check = checked(path)
    assert [(p.sheet, p.row, p.column) for p in check.problems] == [(xlsx.ITEMS_SHEET, 3, "C")]
    assert "C3:D3" in check.problems[0].message
    assert "merged" in check.problems[0].message
    assert_nothing_imported(check, author)


def test_one_bad_row_among_twenty_good_ones_imports_nothing(author, tmp_path):
    rows = good_rows(20)
    rows.insert(12, choice_row("第十三题：哪个选项不存在？", key="E"))  # the 13th data row: sheet row 14
    check = checked(workbook_file(tmp_path / "bank.xlsx", rows))
    assert where(check) == [(xlsx.ITEMS_SHEET, 14, letter("key"), title("key"), "The key E is not among the options.")]
    assert check.total_rows == 21
    assert_nothing_imported(check, author)
    assert Item.objects.count() == 0


def test_a_file_that_is_not_a_workbook_is_refused(author, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_text("题型,题干\n单选,这其实是一个 CSV 文件\n", encoding="utf-8")
    check = checked(path)
    assert where(check) == [(xlsx.ITEMS_SHEET, 0, "", "", "This is not an .xlsx workbook (Excel 2007 or later).")]
    assert_nothing_imported(check, author)


def test_a_file_above_the_size_limit_is_refused(author, tmp_path, settings):
    settings.ITEMBANK_IMPORT_LIMITS = {**settings.ITEMBANK_IMPORT_LIMITS, "max_bytes": 1 << 20}
    small = workbook_file(tmp_path / "small.xlsx", good_rows(3))
    assert checked(small).ok
    # The same rows, plus a sheet of incompressible text that takes the file past 1 MB.
    workbook = openpyxl.load_workbook(small)
    noise = workbook.create_sheet("附件")
    rng = random.Random(7)
    for _ in range(50):
        noise.append([base64.b64encode(rng.randbytes(24_000)).decode()])
    big = tmp_path / "big.xlsx"
    workbook.save(big)
    assert big.stat().st_size > 1 << 20
    check = checked(big)
    assert where(check) == [(xlsx.ITEMS_SHEET, 0, "", "",
                             "The file is larger than 1 MB; split it into several files.")]
    assert_nothing_imported(check, author)


def test_a_sheet_above_the_row_limit_is_refused(author, tmp_path, settings):
    settings.ITEMBANK_IMPORT_LIMITS = {**settings.ITEMBANK_IMPORT_LIMITS, "max_rows": 5}
    assert checked(workbook_file(tmp_path / "five.xlsx", good_rows(5))).ok
    check = checked(workbook_file(tmp_path / "six.xlsx", good_rows(6)))
    assert where(check) == [(xlsx.ITEMS_SHEET, 0, "", "",
                             "The sheet has 6 rows; at most 5 can be imported at once.")]
    assert_nothing_imported(check, author)


def test_the_row_limit_and_row_count_hold_for_workbooks_without_a_dimension_record(author, tmp_path, settings):
    # Streaming writers (openpyxl's write-only mode, which our own export uses) leave out <dimension>.
    path = workbook_file(tmp_path / "streamed.xlsx", good_rows(6), write_only=True)
    with zipfile.ZipFile(path) as archive:
        assert b"<dimension" not in archive.read("xl/worksheets/sheet1.xml")
    assert checked(path).total_rows == 6
    settings.ITEMBANK_IMPORT_LIMITS = {**settings.ITEMBANK_IMPORT_LIMITS, "max_rows": 5}
    check = checked(path)
    assert where(check) == [(xlsx.ITEMS_SHEET, 0, "", "",
                             "The sheet has 6 rows; at most 5 can be imported at once.")]
    assert_nothing_imported(check, author)


def test_a_workbook_that_unpacks_too_large_is_refused(author, tmp_path, settings):
    settings.ITEMBANK_IMPORT_LIMITS = {**settings.ITEMBANK_IMPORT_LIMITS, "max_unpacked_bytes": 1 << 20}
    workbook = openpyxl.load_workbook(workbook_file(tmp_path / "rows.xlsx", good_rows(3)))
    padding = workbook.create_sheet("附件")
    for n in range(100):
        padding.append([f"{n:03d}" + "啊" * 30_000])  # about 9 MB once unpacked
    path = tmp_path / "bomb.xlsx"
    workbook.save(path)
    assert path.stat().st_size < 200_000
    check = checked(path)
    assert where(check) == [(xlsx.ITEMS_SHEET, 0, "", "",
                             "The workbook unpacks to more than 1 MB; split it into several files.")]
    assert_nothing_imported(check, author)


def test_scripts_frames_handlers_and_javascript_urls_are_stripped(author, tmp_path):
    stem = ('<p>看图回答<script>alert("stem")</script></p><iframe src="https://evil.example/"></iframe>'
            '<p><a href="javascript:alert(1)" onclick="steal()">说明</a><img src="x.png" onerror="alert(2)"></p>')
    row = choice_row(stem, option_a='<span onclick="steal()">卷积</span>', explanation="<script>x()</script>解析")
    [item] = imported(workbook_file(tmp_path / "bank.xlsx", [row]), author)
    version = item.head
    kept = version.stem + version.explanation + str(version.content["options"])
    for bad in ("<script", "<iframe", "onclick", "onerror", "javascript:", "alert", "steal"):
        assert bad not in kept.lower(), bad
    assert "看图回答" in version.stem
    assert "说明" in version.stem
    assert version.content["options"][0]["html"] == "<span>卷积</span>"
    assert "解析" in version.explanation


# -- 4. messages in the user's language ---------------------------------------------------------------------

def test_problems_are_in_the_users_language(catalog, tmp_path):
    path = workbook_file(tmp_path / "bank.xlsx", [choice_row(key="E")])
    with translation.override("en"):
        english = importing.xlsx_check(path).problems
    with translation.override("zh-hans"):
        chinese = importing.xlsx_check(path).problems
    assert [(p.row, p.column) for p in english] == [(p.row, p.column) for p in chinese] == [(2, letter("key"))]
    assert "not among the options" in english[0].message
    assert chinese[0].message != english[0].message
    assert CJK.search(chinese[0].message), chinese[0].message


# -- 5. possible duplicates ---------------------------------------------------------------------------------

BANK_STEM = "在提示词工程中为了让大语言模型输出结构化的结果通常应当明确规定输出格式并给出示例"  # 40 characters
SAME_STEM = "Prompt 工程中，如何让 AIGC 模型输出 JSON 格式？"


def bank_item(author, stem: str) -> Item:
    return services.item_create(actor=author, program_code=PROGRAM, content=ItemContent(
        item_type=c.TRUE_FALSE, stem=text_to_html(stem), points=D(1), key=["true"]))


def test_duplicates_of_the_bank_and_within_the_file_are_flagged(author, tmp_path):
    assert len(BANK_STEM) == 40
    same = bank_item(author, SAME_STEM)
    near = bank_item(author, BANK_STEM)
    rows = [
        choice_row("ｐｒｏｍｐｔ工程中如何让aigc模型输出ｊｓｏｎ格式"),                 # 2: same, folded
        choice_row(BANK_STEM[:20] + "果" + BANK_STEM[21:]),                                 # 3: one character changed
        choice_row("扩散模型在图像生成中通过逐步去噪的方式从随机噪声得到清晰图像"),       # 4: new
        choice_row("扩散模型在图像生成中通过逐步去噪的方式从随机噪声得到清晰的图像"),     # 5: like row 4
        choice_row("下列哪一项最适合用来评估一段中文摘要与原文在事实上是否一致？"),       # 6: unrelated
    ]
    path = workbook_file(tmp_path / "bank.xlsx", rows)
    check = checked(path)
    assert check.ok
    flagged = {d["row"]: d for d in check.duplicates}
    assert sorted(flagged) == [2, 3, 5]
    assert flagged[2] == {"row": 2, "item_id": same.pk, "similarity": 100, "in_file": False}
    assert flagged[3]["item_id"] == near.pk
    assert flagged[3]["in_file"] is False
    assert 80 <= flagged[3]["similarity"] < 100
    assert flagged[5]["in_file"] is True
    assert flagged[5]["other_row"] == 4
    assert flagged[5]["item_id"] is None
    assert 80 <= flagged[5]["similarity"] < 100

    importing.check_write(actor=author, check=check, source=path.name, skip_duplicates=True)
    new = Item.objects.exclude(pk__in=[same.pk, near.pk]).select_related("head")
    assert sorted(item.head.stem for item in new) == sorted(text_to_html(rows[i]["stem"]) for i in (2, 4))


@pytest.mark.parametrize("changed", [
    BANK_STEM[:20] + "令牌" + BANK_STEM[22:],                            # two neighbouring characters
    BANK_STEM[:10] + "令" + BANK_STEM[11:30] + "个" + BANK_STEM[31:],    # two characters apart
], ids=["two-adjacent", "two-apart"])
def test_a_stem_with_two_characters_changed_is_a_possible_duplicate(author, tmp_path, changed):
    near = bank_item(author, BANK_STEM)
    assert len(changed) == 40
    assert sum(a != b for a, b in zip(changed, BANK_STEM, strict=True)) == 2
    check = checked(workbook_file(tmp_path / "bank.xlsx", [choice_row(changed)]))
    assert [(d["row"], d["item_id"], d["in_file"]) for d in check.duplicates] == [(2, near.pk, False)]
    assert 80 <= check.duplicates[0]["similarity"] < 100


# -- 6. the pages -------------------------------------------------------------------------------------------

def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type=exports.XLSX_TYPE)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_import_through_the_pages(author_client, author, tmp_path, media, django_capture_on_commit_callbacks):
    rows = good_rows(3)
    for row in rows:
        row["program"] = None  # the program chosen on the form applies
    path = workbook_file(tmp_path / "bank.xlsx", rows)
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(IMPORT_URL, {"file": upload(path), "program": PROGRAM})
    job = ImportJob.objects.get()
    status_url = reverse("itembank:import_status", kwargs={"code": job.code})
    assert response.status_code == 302
    assert response["Location"] == status_url
    assert (job.status, job.created_by, job.filename, job.total_rows) == (ImportJob.Status.READY, author,
                                                                          "bank.xlsx", 3)
    assert Item.objects.count() == 0

    page = author_client.get(status_url)
    confirm_url = reverse("itembank:import_confirm", kwargs={"code": job.code})
    assert page.status_code == 200
    assert f'action="{confirm_url}"' in page.content.decode()
    progress = author_client.get(status_url, headers={"accept": "application/json"})
    assert progress.json() == {"status": "ready", "percent": 100, "processed": 3, "total": 3}

    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(confirm_url)
    assert response.status_code == 302
    assert response["Location"] == status_url
    job.refresh_from_db()
    assert (job.status, job.imported, job.problems) == (ImportJob.Status.DONE, 3, [])
    items = Item.objects.select_related("head", "program")
    assert sorted(i.head.stem for i in items) == sorted(text_to_html(r["stem"]) for r in rows)
    assert {(i.status, i.program.code, i.created_by_id) for i in items} == {("submitted", PROGRAM, author.pk)}
    assert author_client.get(status_url, headers={"accept": "application/json"}).json()["status"] == "done"

    # Confirming again imports nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        author_client.post(confirm_url)
    assert Item.objects.count() == 3


def test_a_bad_file_shows_its_problems_on_the_job_page(author_client, tmp_path, media,
                                                       django_capture_on_commit_callbacks):
    author_client.cookies["aigcert_language"] = "en"
    path = workbook_file(tmp_path / "bank.xlsx", [*good_rows(2), choice_row(key="E")])
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(IMPORT_URL, {"file": upload(path), "program": ""})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("itembank:import_status", kwargs={"code": job.code})
    assert job.status == ImportJob.Status.INVALID
    assert job.problems == [{"sheet": xlsx.ITEMS_SHEET, "row": 4, "column": "L", "column_name": "答案 (key)",
                             "message": "The key E is not among the options."}]
    html = author_client.get(response["Location"]).content.decode()
    assert ('<tr><td>题目</td><td class="num">4</td><td>L 答案 (key)</td>'
            "<td>The key E is not among the options.</td></tr>") in html
    confirm_url = reverse("itembank:import_confirm", kwargs={"code": job.code})
    assert confirm_url not in html
    assert author_client.get(response["Location"], headers={"accept": "application/json"}).json() == {
        "status": "invalid", "percent": 100, "processed": 3, "total": 3}
    with django_capture_on_commit_callbacks(execute=True):
        author_client.post(confirm_url)
    assert Item.objects.count() == 0


def test_only_the_uploader_sees_an_import_job(client, author, make_user, tmp_path, media,
                                              django_capture_on_commit_callbacks):
    client.force_login(author)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(IMPORT_URL, {"file": upload(workbook_file(tmp_path / "bank.xlsx", good_rows(2))),
                                 "program": ""})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.READY
    status_url = reverse("itembank:import_status", kwargs={"code": job.code})
    confirm_url = reverse("itembank:import_confirm", kwargs={"code": job.code})

    client.force_login(make_user(Role.ITEM_AUTHOR))
    assert client.get(status_url).status_code == 404
    assert client.get(status_url, headers={"accept": "application/json"}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(confirm_url).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert Item.objects.count() == 0


def test_a_candidate_cannot_import(candidate_client, catalog, tmp_path, media):
    assert candidate_client.get(IMPORT_URL).status_code == 403
    response = candidate_client.post(IMPORT_URL, {"file": upload(workbook_file(tmp_path / "bank.xlsx",
                                                                               good_rows(2))), "program": ""})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0
    assert candidate_client.get(TEMPLATE_URL).status_code == 403


# -- 7. progress --------------------------------------------------------------------------------------------

def test_progress_is_reported_while_checking_and_ends_at_the_total(catalog, tmp_path):
    path = workbook_file(tmp_path / "bank.xlsx", good_rows(450))
    calls: list[tuple[int, int]] = []
    check = importing.xlsx_check(path, progress=lambda done, total: calls.append((done, total)))
    assert check.ok
    assert check.total_rows == 450
    assert len(calls) >= 3  # progress while checking, not only at the end
    assert {total for _, total in calls} == {450}
    done = [d for d, _ in calls]
    assert done == sorted(set(done))
    assert calls[-1] == (450, 450)
