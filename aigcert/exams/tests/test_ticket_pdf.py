"""The admission ticket PDF: embedded CJK font, extractable text, visible glyphs, the photo."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from aigcert.core.api import FONT_FAMILY, REGULAR_FONT, cjk_pdf
from aigcert.exams.data import TicketData
from aigcert.exams.tickets import format_exam_date, ticket_pdf

NAME = "张喆"
PROGRAM = "AIGC技能（通用级）"
ID_MASKED = "1101**********123X"
TICKET_NUMBER = "AIGC-2026-120501-0042"
SITTING = "上午场"
RULES = (
    "考生须提前15分钟登录考试系统，完成身份核验与设备检测。",
    "考试期间须全程开启摄像头，不得离开座位，不得使用手机或其他电子设备。",
    "不得抄袭、代考或以任何方式泄露试题，违者取消本次及此后两年的考试资格。",
)
DPI = 60

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="poppler-utils (pdftoppm, pdftotext) is not installed; CI installs it",
)


def make_ticket(**changes) -> TicketData:
    ticket = TicketData(
        ticket_number=TICKET_NUMBER,
        candidate_name=NAME,
        id_number_masked=ID_MASKED,
        photo=None,
        program_name=PROGRAM,
        session_date=date(2026, 12, 5),
        sitting_label=SITTING,
        start_time="09:00",
        duration_minutes=90,
        exam_url="https://exam.aigcert.example.cn/s/2026-12-05/am",
        rules=RULES,
        issued_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
    )
    return replace(ticket, **changes)


def render(ticket: TicketData, language: str = "zh-hans") -> bytes:
    with translation.override(language):
        return ticket_pdf(ticket)


def png_bytes(size=(300, 400), mode="RGB") -> bytes:
    image = Image.new(mode, size, (70, 110, 190) if mode == "RGB" else (70, 110, 190, 255))
    ImageDraw.Draw(image).ellipse((80, 80, 220, 260), fill=(235, 200, 170) if mode == "RGB" else (235, 200, 170, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def pdftotext(pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "extract.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def rasterize(pdf: bytes, tmp_path: Path, name: str = "page") -> Image.Image:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile", str(path), str(tmp_path / name)],
        check=True,
        capture_output=True,
    )
    with Image.open(tmp_path / f"{name}.png") as image:
        return image.convert("L")


def dark_share(image: Image.Image) -> float:
    histogram = image.histogram()
    return sum(histogram[:128]) / (image.width * image.height)


def walk_fonts(resources: DictionaryObject):
    """Every font a page uses, including inside form XObjects."""
    fonts = resources.get("/Font")
    if fonts is not None:
        for font in fonts.get_object().values():
            yield font.get_object()
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for xobject in xobjects.get_object().values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                yield from walk_fonts(xobject["/Resources"].get_object())


def image_xobjects(pdf: bytes) -> list:
    images = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if xobjects is not None:
            images += [x.get_object() for x in xobjects.get_object().values() if x.get_object()["/Subtype"] == "/Image"]
    return images


def test_pdf_embeds_the_shipped_font_and_nothing_else():
    pdf = render(make_ticket())

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    fonts = [font for page in reader.pages for font in walk_fonts(page["/Resources"].get_object())]
    assert fonts, "the ticket uses no font at all"
    for font in fonts:
        # A Type0 font's glyphs live in its descendant; a simple font carries its own descriptor. A font without
        # FontFile* (e.g. Helvetica) would be drawn with whatever the viewer substitutes: no Chinese.
        described = font["/DescendantFonts"][0].get_object() if font["/Subtype"] == "/Type0" else font
        descriptor = described["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), f"{font['/BaseFont']} is not embedded"
        assert "NotoSansSC" in str(font["/BaseFont"]), font["/BaseFont"]


def test_shipped_font_covers_rare_name_characters():
    cmap = TTFont(REGULAR_FONT, lazy=True).getBestCmap()
    for char in "喆堃昇张准考证№✓•—（）":
        assert ord(char) in cmap, f"{char} (U+{ord(char):04X}) missing from {REGULAR_FONT.name}"
    # The whole URO up to the last ideograph of Unicode 13 in Noto Sans CJK 2.004.
    missing = [hex(cp) for cp in range(0x4E00, 0x9FF0) if cp not in cmap]
    assert not missing


@needs_poppler
def test_text_layer_has_the_chinese_values(tmp_path):
    pdf = render(make_ticket())

    layout = pdftotext(pdf, tmp_path, "-layout")
    extracted = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for text in (layout, extracted):
        for expected in (NAME, PROGRAM, ID_MASKED, TICKET_NUMBER, SITTING, "2026年12月05日", RULES[0]):
            assert expected in text, f"{expected!r} not in the text layer"
    with translation.override("zh-hans"):
        # "准考证" once the zh-Hans catalogue has the msgid; the English msgid until then.
        assert gettext("Admission ticket") in layout


@needs_poppler
def test_labels_follow_the_active_language(tmp_path):
    pdf = render(make_ticket(), language="en")

    text = pdftotext(pdf, tmp_path, "-layout")
    for expected in ("Admission ticket", "Name", "Ticket number", "Exam date", "2026-12-05", "90 minutes", "Rules"):
        assert expected in text
    assert "2026年12月05日" not in text
    assert "Issued at: 2026-11-20 10:00" in text  # 02:00 UTC is 10:00 in Asia/Shanghai


def test_exam_date_format():
    with translation.override("zh-hans"):
        assert format_exam_date(date(2026, 12, 5)) == "2026年12月05日"
    with translation.override("en"):
        assert format_exam_date(date(2026, 12, 5)) == "2026-12-05"


@needs_poppler
def test_page_is_drawn_and_the_name_has_ink(tmp_path):
    pdf = render(make_ticket())

    page = rasterize(pdf, tmp_path)
    assert dark_share(page) > 0.005, "page 1 is (nearly) blank"

    # pdftotext -bbox gives where the name's glyphs are said to be (in points); the pixels there must be inked,
    # or the text layer is there but the glyphs are not.
    html = pdftotext(pdf, tmp_path, "-bbox", "-f", "1", "-l", "1")
    boxes = [
        tuple(float(v) for v in match.groups())
        for match in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">' + NAME + "</word>", html
        )
    ]
    assert boxes, f"{NAME} not found as a word in pdftotext -bbox output"
    scale = DPI / 72
    x0, y0, x1, y1 = (round(v * scale) for v in boxes[0])
    name_area = page.crop((x0, y0, x1 + 1, y1 + 1))
    assert dark_share(name_area) > 0.05, "the name's area is blank: glyphs were not drawn"


@needs_poppler
def test_rare_characters_render_as_distinct_glyphs(tmp_path):
    # A missing glyph renders as nothing (fpdf2 drops it) or as the same .notdef box for every character;
    # real glyphs have ink and differ from each other.
    images = []
    for index, char in enumerate("张喆堃昇"):
        pdf = cjk_pdf(title=char)
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, size=48)
        pdf.cell(30, 30, char)
        image = rasterize(bytes(pdf.output()), tmp_path, f"char{index}").crop((0, 0, 150, 150))
        assert dark_share(image) > 0.01, f"{char} rendered without ink"
        images.append(image.tobytes())
    assert len(set(images)) == len(images), "different characters rendered identically (.notdef boxes?)"


def test_png_photo_is_embedded():
    pdf = render(make_ticket(photo=png_bytes()))

    images = image_xobjects(pdf)
    assert len(images) == 1
    assert images[0]["/Width"] <= 400


def test_transparent_png_photo_is_embedded():
    assert len(image_xobjects(render(make_ticket(photo=png_bytes(mode="RGBA"))))) == 1


def test_jpeg_photo_is_embedded_downscaled():
    out = io.BytesIO()
    Image.new("RGB", (1200, 1600), (120, 120, 120)).save(out, format="JPEG")

    images = image_xobjects(render(make_ticket(photo=out.getvalue())))

    assert len(images) == 1
    assert (images[0]["/Width"], images[0]["/Height"]) == (400, 533)


@needs_poppler
def test_without_photo_there_is_no_image_but_a_notice(tmp_path):
    pdf = render(make_ticket(photo=None), language="en")

    assert image_xobjects(pdf) == []
    assert "Photo not provided" in pdftotext(pdf, tmp_path, "-layout")


@needs_poppler
def test_unreadable_photo_still_gives_a_ticket(tmp_path):
    pdf = render(make_ticket(photo=b"\x89PNG\r\n\x1a\nthis is not a picture"), language="en")

    assert image_xobjects(pdf) == []
    assert "Photo not provided" in pdftotext(pdf, tmp_path, "-layout")


@needs_poppler
def test_long_values_wrap_inside_the_page(tmp_path):
    name = "欧阳" + "喆堃昇" * 12
    program = "AIGC技能（通用级）人工智能生成内容应用能力等级认证考试——面向内容创作者与设计师的综合实践能力评价"
    pdf = render(make_ticket(candidate_name=name, program_name=program, rules=RULES * 10))

    html = pdftotext(pdf, tmp_path, "-bbox")
    page_width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    right_edges = [float(x) for x in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"', html)]
    assert max(right_edges) <= page_width - 40, "text runs into the right margin"
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert name in text
    assert program in text
    assert "1/2" in text
    assert "2/2" in text
