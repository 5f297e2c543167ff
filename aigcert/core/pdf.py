"""One way to start every PDF the platform makes (admission tickets, certificates): fpdf2 with the shipped CJK font.

Servers and CI images differ in which fonts they have, so the font is part of the package (core/fonts/, built by
tools/make_cjk_font.py) and nothing here looks at system fonts. fpdf2 embeds only the glyphs a document uses and
writes a ToUnicode map, so a ticket is a few tens of kilobytes and its text can be searched and copied.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language, to_locale
from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "NotoSansSC"
REGULAR_FONT = FONT_DIR / "NotoSansSC-aigcert-Regular.ttf"
BOLD_FONT = FONT_DIR / "NotoSansSC-aigcert-Bold.ttf"
# The Bold cut is left out when it would make the package too heavy (see fonts/README.txt).
HAS_BOLD = BOLD_FONT.is_file()

DEFAULT_FONT_SIZE = 11
MARGIN_MM = 18
# Room under the last line of body text for a footer drawn in the bottom margin.
BOTTOM_MARGIN_MM = 22


def _pdf_language() -> str:
    # BCP 47 spelling for the PDF's /Lang ("zh-Hans", "en") so screen readers pick the right voice.
    return to_locale(get_language() or settings.LANGUAGE_CODE).replace("_", "-")


class CjkFPDF(FPDF):
    """An FPDF whose footer is a plain attribute, so a document needs no subclass of its own.

    Set `page_footer` to a function drawing into the bottom margin: fpdf2 calls it as each page is finished,
    restores font and colours afterwards, and does not break pages inside it. `{nb}` in its text becomes the
    page count.
    """

    page_footer: Callable[[FPDF], None] | None = None

    def footer(self) -> None:
        if self.page_footer is not None:
            self.page_footer(self)


def cjk_font_subset(text: str, path: Path) -> Path:
    """Write to ``path`` a copy of the shipped font holding only the characters of ``text`` (plus ASCII).

    Opening the full font costs fpdf2 about 0.15 s per document; a batch of documents that share a few hundred
    characters (a session's certificates) opens a subset of them in a few milliseconds instead.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    font = TTFont(REGULAR_FONT)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(chr(c) for c in range(0x20, 0x7F)) + text)
    subsetter.subset(font)
    font.save(path)
    return path


def cjk_pdf(*, orientation: str = "P", title: str = "", font_file: Path | None = None) -> CjkFPDF:
    """An empty A4 document (no page yet) with the shipped font registered and selected.

    Call `add_page()` before drawing. Style "B" exists only when HAS_BOLD (italic never does): without it, fpdf2
    raises on bold text, and tables must be built with `first_row_as_headings=False` or a `headings_style`
    without emphasis. Registering the regular file as a stand-in bold would parse the 7 MB font twice and
    embed an unused copy in every document. ``font_file``: a subset made by `cjk_font_subset` (no bold).
    """
    pdf = CjkFPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font(FONT_FAMILY, "", font_file or REGULAR_FONT)
    if HAS_BOLD and font_file is None:
        pdf.add_font(FONT_FAMILY, "B", BOLD_FONT)
    for font in pdf.fonts.values():
        # The shipped font and its subsets carry correct glyph boxes already; recomputing them when fpdf2 embeds the
        # font expands and recompiles every outline used, half the time of a certificate.
        font.ttfont.recalcBBoxes = False
    # Chinese needs no shaping (no ligatures, no contextual forms); turning it on would require uharfbuzz.
    pdf.set_text_shaping(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=BOTTOM_MARGIN_MM)
    pdf.set_font(FONT_FAMILY, size=DEFAULT_FONT_SIZE)
    pdf.set_creator("aigcert")
    if title:
        pdf.set_title(title)
    pdf.set_lang(_pdf_language())
    return pdf
