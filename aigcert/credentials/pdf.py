"""The certificate as an A4 landscape PDF: Chinese first, an English line under each part, a seal area and a QR code
that opens the public verification page.

The QR code is drawn as vector rectangles (no image library, sharp at any print size). A batch renders with a font
subset holding only the batch's characters (core's `cjk_font_subset`), which makes each document ~10× faster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from django.urls import reverse

from aigcert.catalog import api as catalog
from aigcert.core.api import FONT_FAMILY, cjk_pdf
from aigcert.credentials import documents
from aigcert.credentials.models import Certificate
from aigcert.credentials.policy import credentials_policy

PAGE_W, PAGE_H = 297, 210
INK = (40, 40, 40)
ACCENT = (150, 28, 36)  # the red of a Chinese certificate's border and seal
MUTED = (110, 110, 110)


@dataclass(frozen=True)
class CertificateText:
    """Everything printed on a certificate, resolved once (a batch reuses the catalog facts)."""

    title_zh: str
    title_en: str
    name: str
    program_zh: str
    program_en: str
    level_zh: str
    level_en: str
    issuer_zh: str
    issuer_en: str
    number: str
    issued_on: date
    band_zh: str
    verify_url: str
    verification_code: str

    def lines(self) -> dict[str, str]:
        """Every string the page shows, by role: drawing reads them from here, so a batch's font subset
        (`characters`) can never miss a character the page needs."""
        day = self.issued_on
        result = f"成绩等级：{self.band_zh}" if self.band_zh else "成绩合格"
        return {
            "title": self.title_zh, "title_en": self.title_en, "certify": "兹证明", "name": self.name,
            "body": f"于{day.year}年通过「{self.program_zh}」培训与评测，{result}，特发此证。",
            "body_en": f"has passed the training and assessment of {self.program_en}.",
            "number_label": "证书编号 Certificate No.", "number": self.number,
            "date_label": "发证日期 Date of issue", "date": f"{day.year}年{day.month}月{day.day}日 ({day.isoformat()})",
            "program_label": "认证项目 Program", "program": self.program_zh,
            "level_label": "级别 Level", "level": self.level_zh,
            "seal": "（盖章处 Seal）", "issuer": self.issuer_zh, "issuer_en": self.issuer_en,
            "scan": f"扫码验证 Scan to verify\n验证码 Code {self.verification_code}",
        }

    def characters(self) -> str:
        return "".join(self.lines().values())


def verify_url(certificate: Certificate) -> str:
    return documents.site_url(reverse("credentials:verify_code", args=[certificate.verification_code]))


def certificate_text(certificate: Certificate, facts: catalog.CertificateFactsData | None = None) -> CertificateText:
    facts = facts or catalog.certificate_facts(certificate.program_code)
    band = credentials_policy().band(certificate.score_band) if certificate.score_band else None
    level_zh = facts.level_zh + (f" · {facts.direction_zh}" if facts.direction_zh else "")
    level_en = facts.level_en + (f" · {facts.direction_en}" if facts.direction_en else "")
    return CertificateText(
        title_zh=facts.title_zh, title_en=facts.title_en, name=certificate.legal_name,
        program_zh=facts.program_name_zh, program_en=facts.program_name_en, level_zh=level_zh, level_en=level_en,
        issuer_zh=facts.issuer_zh, issuer_en=facts.issuer_en, number=certificate.number or "",
        issued_on=certificate.issued_on, band_zh=band.name_zh if band else "", verify_url=verify_url(certificate),
        verification_code=certificate.verification_code or "")


def _frame(pdf) -> None:
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(9, 9, PAGE_W - 18, PAGE_H - 18)
    pdf.set_line_width(0.3)
    pdf.rect(12.5, 12.5, PAGE_W - 25, PAGE_H - 25)


def _centered(pdf, y: float, text: str, size: float, colour=INK) -> None:
    pdf.set_text_color(*colour)
    pdf.set_font(FONT_FAMILY, size=size)
    pdf.set_xy(20, y)
    pdf.cell(w=PAGE_W - 40, h=size * 0.45, text=text, align="C")


def _qr(pdf, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m")
    matrix = list(qr.matrix_iter(scale=1, border=0))
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, line in enumerate(matrix):
        start = None
        for col, dark in enumerate([*line, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                # One rectangle per run of dark modules: a few hundred drawing operators instead of thousands.
                pdf.rect(x + start * module, y + row * module, (col - start) * module, module, style="F")
                start = None


def _seal_area(pdf, lines: dict[str, str]) -> None:
    cx, cy, r = 232, 148, 21
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.circle(x=cx, y=cy, radius=r)
    pdf.set_dash_pattern()
    pdf.set_text_color(*ACCENT)
    pdf.set_font(FONT_FAMILY, size=9)
    pdf.set_xy(cx - r, cy - 3)
    pdf.cell(w=2 * r, h=6, text=lines["seal"], align="C")
    pdf.set_text_color(*INK)
    pdf.set_font(FONT_FAMILY, size=11)
    pdf.set_xy(cx - 45, cy + r + 3)
    pdf.cell(w=90, h=6, text=lines["issuer"], align="C")
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT_FAMILY, size=7)
    pdf.set_xy(cx - 45, cy + r + 9)
    pdf.multi_cell(w=90, h=3.2, text=lines["issuer_en"], align="C")


def _details(pdf, lines: dict[str, str]) -> None:
    y = 126
    for part in ("number", "date", "program", "level"):
        label, value = lines[f"{part}_label"], lines[part]
        pdf.set_xy(68, y)
        pdf.set_font(FONT_FAMILY, size=10)
        pdf.set_text_color(*MUTED)
        pdf.cell(w=46, h=6, text=label)
        pdf.set_text_color(*INK)
        pdf.set_font(FONT_FAMILY, size=12)
        pdf.cell(w=90, h=6, text=value)
        y += 9


def certificate_pdf(text: CertificateText, *, font_file: Path | None = None) -> bytes:
    pdf = cjk_pdf(orientation="L", title=f"{text.title_zh} {text.number}", font_file=font_file)
    pdf.set_auto_page_break(auto=False)
    pdf.set_author(text.issuer_zh)
    pdf.set_subject(text.number)
    pdf.page_footer = None
    pdf.add_page()
    _frame(pdf)
    lines = text.lines()
    _centered(pdf, 26, lines["title"], 24, ACCENT)
    _centered(pdf, 41, lines["title_en"], 11, MUTED)
    _centered(pdf, 56, lines["certify"], 13)
    _centered(pdf, 66, lines["name"], 26)
    _centered(pdf, 84, lines["body"], 13)
    _centered(pdf, 93, lines["body_en"], 10, MUTED)
    _details(pdf, lines)
    _qr(pdf, text.verify_url, 25, 128, 34)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT_FAMILY, size=7.5)
    pdf.set_xy(20, 164)
    pdf.multi_cell(w=44, h=3.4, text=lines["scan"], align="C")
    _seal_area(pdf, lines)
    content = bytes(pdf.output())
    if font_file is not None and any(getattr(font, "missing_glyphs", None) for font in pdf.fonts.values()):
        # A subset short of a character would print a blank: never on a certificate.
        return certificate_pdf(text)
    return content
