"""The admission ticket (准考证) as an A4 PDF: what a candidate prints or shows at the exam."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from io import BytesIO

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image, ImageOps

from aigcert.core.api import FONT_FAMILY, cjk_pdf
from aigcert.exams.data import TicketData

logger = logging.getLogger(__name__)

# A Chinese exam photo is portrait 3:4; 33 x 44 mm prints at ~300 dpi from 400 x 533 px, so larger uploads are
# scaled down before embedding to keep tickets small enough to e-mail.
PHOTO_W_MM = 33.0
PHOTO_H_MM = 44.0
PHOTO_MAX_PX = (400, 533)
PHOTO_JPEG_QUALITY = 88

TITLE_PT = 22
BODY_PT = 11
SMALL_PT = 9
LINE_MM = 6.5
LABEL_W_MM = 34.0
GAP_MM = 6.0

INK = (30, 30, 30)
MUTED = (100, 100, 100)
RULE_GREY = (170, 170, 170)
LABEL_FILL = (242, 242, 242)


def ticket_pdf(ticket: TicketData) -> bytes:
    """Render the ticket in the active language (labels and date format follow `get_language()`)."""
    title = _("Admission ticket")
    pdf = cjk_pdf(title=f"{title} {ticket.ticket_number}")
    pdf.page_footer = _footer(ticket)
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE_GREY)
    pdf.set_line_width(0.3)

    pdf.set_font(FONT_FAMILY, size=TITLE_PT)
    pdf.cell(0, 12, title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, size=BODY_PT)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, LINE_MM, ticket.program_name, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(6)

    top, first_page = pdf.get_y(), pdf.page
    photo_x = pdf.w - pdf.r_margin - PHOTO_W_MM
    _draw_photo(pdf, ticket.photo, photo_x, top)
    _draw_fields(pdf, ticket, width=photo_x - GAP_MM - pdf.l_margin)
    # A short table ends above the photo's bottom edge; one that ran onto another page is clear of it.
    photo_bottom = top + PHOTO_H_MM if pdf.page == first_page else 0
    pdf.set_y(max(pdf.get_y(), photo_bottom) + 8)

    if ticket.rules:
        _draw_rules(pdf, ticket.rules)
    return bytes(pdf.output())


def format_exam_date(value: date) -> str:
    """2026年12月05日 in Chinese (the form printed on official notices), ISO 8601 otherwise."""
    if (get_language() or "").lower().startswith("zh"):
        return f"{value.year}年{value.month:02d}月{value.day:02d}日"
    return value.isoformat()


def _format_issued(value: datetime) -> str:
    # Stored datetimes are UTC; the candidate reads the time of their own (the site's) zone.
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{format_exam_date(value.date())} {value:%H:%M}"


def _draw_fields(pdf: FPDF, ticket: TicketData, *, width: float) -> None:
    # Online exams are taken at a URL: make it clickable for candidates reading the PDF on screen.
    exam_link = ticket.exam_url if ticket.exam_url.startswith(("https://", "http://")) else None
    rows: list[tuple[str, str, str | None]] = [
        (_("Name"), ticket.candidate_name, None),
        (_("ID number"), ticket.id_number_masked, None),
        (_("Ticket number"), ticket.ticket_number, None),
        (_("Program"), ticket.program_name, None),
        (_("Exam date"), format_exam_date(ticket.session_date), None),
        (_("Sitting"), ticket.sitting_label, None),
        (_("Start time"), ticket.start_time, None),
        (_("Duration"), _("%(minutes)s minutes") % {"minutes": ticket.duration_minutes}, None),
        (_("Exam address"), ticket.exam_url, exam_link),
    ]
    label_style = FontFace(color=MUTED, fill_color=LABEL_FILL)
    # Headings would ask for the bold face, which may not be shipped; every row is data here anyway.
    with pdf.table(
        width=width,
        col_widths=(LABEL_W_MM, width - LABEL_W_MM),
        align=Align.L,
        first_row_as_headings=False,
        text_align=(Align.L, Align.L),
        line_height=LINE_MM,
        padding=(1.5, 2.5),
    ) as table:
        for label, value, link in rows:
            row = table.row()
            row.cell(label, style=label_style)
            row.cell(value, link=link)


def _photo_jpeg(data: bytes) -> BytesIO | None:
    """Normalise an upload to a small upright RGB JPEG, or None when it cannot be read."""
    try:
        with Image.open(BytesIO(data), formats=["JPEG", "PNG"]) as original:
            # Phone photos are often stored sideways with an EXIF rotation flag that PDF viewers ignore.
            image = ImageOps.exif_transpose(original)
            if image.mode in ("RGBA", "LA", "P"):
                image = image.convert("RGBA")
                flattened = Image.new("RGB", image.size, (255, 255, 255))
                flattened.paste(image, mask=image.getchannel("A"))
                image = flattened
            else:
                image = image.convert("RGB")
            image.thumbnail(PHOTO_MAX_PX)
            out = BytesIO()
            image.save(out, format="JPEG", quality=PHOTO_JPEG_QUALITY)
    except (OSError, ValueError, Image.DecompressionBombError):
        # A broken upload must not stop the candidate from getting a ticket; the box then says "no photo".
        logger.warning("admission ticket: unreadable candidate photo", exc_info=True)
        return None
    out.seek(0)
    return out


def _draw_photo(pdf: FPDF, photo: bytes | None, x: float, y: float) -> None:
    jpeg = _photo_jpeg(photo) if photo else None
    if jpeg is not None:
        pdf.image(jpeg, x=x, y=y, w=PHOTO_W_MM, h=PHOTO_H_MM, keep_aspect_ratio=True, alt_text=_("Photo"))
        pdf.rect(x, y, PHOTO_W_MM, PHOTO_H_MM)
        return
    pdf.rect(x, y, PHOTO_W_MM, PHOTO_H_MM)
    saved_x, saved_y = pdf.get_x(), pdf.get_y()
    pdf.set_text_color(*MUTED)
    pdf.set_xy(x, y + PHOTO_H_MM / 2 - 7)
    pdf.cell(PHOTO_W_MM, 7, _("Photo"), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, size=SMALL_PT)
    pdf.multi_cell(PHOTO_W_MM, 4.5, _("Photo not provided"), align=Align.C)
    pdf.set_font(FONT_FAMILY, size=BODY_PT)
    pdf.set_text_color(*INK)
    pdf.set_xy(saved_x, saved_y)


def _draw_rules(pdf: FPDF, rules: tuple[str, ...]) -> None:
    pdf.set_font(FONT_FAMILY, size=13)
    pdf.cell(0, 8, _("Rules"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    pdf.set_font(FONT_FAMILY, size=10)
    number_w = 8.0
    text_w = pdf.epw - number_w
    for number, rule in enumerate(rules, start=1):
        height = pdf.multi_cell(text_w, 5.5, rule, dry_run=True, output="HEIGHT")
        # Keep a rule's number and its first line on the same page.
        if pdf.will_page_break(min(height, 5.5)):
            pdf.add_page()
        pdf.cell(number_w, 5.5, f"{number}.")
        # Hanging indent: wrapped lines start under the text, not under the number.
        pdf.multi_cell(text_w, 5.5, rule, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.set_font(FONT_FAMILY, size=BODY_PT)


def _footer(ticket: TicketData) -> Callable[[FPDF], None]:
    # Chinese typesetting uses the full-width colon; the msgid stays a bare label so it can be reused.
    colon = "：" if (get_language() or "").lower().startswith("zh") else ": "
    issued = f"{_('Issued at')}{colon}{_format_issued(ticket.issued_at)}"

    def draw(pdf: FPDF) -> None:
        y = pdf.h - 16
        pdf.set_draw_color(*RULE_GREY)
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.set_xy(pdf.l_margin, y + 1.5)
        pdf.set_font(FONT_FAMILY, size=SMALL_PT)
        pdf.set_text_color(*MUTED)
        pdf.cell(pdf.epw / 2, 5, issued, align=Align.L)
        # "{nb}" is fpdf2's placeholder for the page count, known only once the document is complete.
        pdf.cell(pdf.epw / 2, 5, f"{ticket.ticket_number} · {pdf.page_no()}/{{nb}}", align=Align.R)

    return draw
