"""Build the Simplified Chinese font that aigcert embeds in its PDFs (admission tickets, certificates).

The platform must not depend on fonts installed on the server, so a subset of Noto Sans CJK SC is shipped
inside the package (aigcert/core/fonts/). This script is how that file is made; re-run it after changing the
character coverage below or when Debian ships a newer fonts-noto-cjk:

    apt-get install fonts-noto-cjk          # provides the .ttc collections read here
    .venv/bin/python tools/make_cjk_font.py  # rewrites aigcert/core/fonts/{*.ttf,OFL.txt,README.txt}

The output is deterministic for a given source font and fontTools version (the timestamps of the source are
kept), so an unchanged rebuild leaves the committed files byte-identical.

Why TrueType outlines: fpdf2 2.8.9 embeds CFF-flavoured OpenType (as CIDFontType0C with a custom encoding
CMap); poppler renders it and pdftotext extracts it, but pypdf 7.1 decodes that encoding one byte at a time and
returns the text interleaved with NULs. Converted to TrueType (CIDFontType2, Identity-H, FontFile2) every tool
we tried extracts the text, at the price of ~35% more bytes. `--cff` keeps the CFF outlines to re-test that.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "aigcert" / "core" / "fonts"
DEFAULT_SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
DEBIAN_DOC = Path("/usr/share/doc/fonts-noto-cjk")

SOURCE_FAMILY = "Noto Sans CJK SC"
# The OFL forbids only the Reserved Font Name ("Source") in derivatives, but a subset should still not pass
# itself off as the upstream font: the family name says it is the aigcert cut.
FAMILY = "Noto Sans SC aigcert"
PS_FAMILY = "NotoSansSCaigcert"
FILE_STEM = "NotoSansSC-aigcert"
# Upstream's LICENSE (googlefonts/noto-cjk, Sans/LICENSE) opens with this line; the font's own name table
# only carries "© 2014-2021 Adobe", so the reserved name is restated here for OFL.txt.
UPSTREAM_COPYRIGHT = "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'."

# Bold is only worth shipping if both files together stay small enough for a wheel and a git checkout.
DEFAULT_BUDGET_MB = 12.0

BLOCKS: tuple[tuple[str, int, int], ...] = (
    ("Basic Latin", 0x0020, 0x007E),
    ("Latin-1 Supplement", 0x00A0, 0x00FF),
    ("General Punctuation", 0x2000, 0x206F),
    ("CJK Symbols and Punctuation", 0x3000, 0x303F),
    ("CJK Unified Ideographs", 0x4E00, 0x9FFF),
    ("Halfwidth and Fullwidth Forms", 0xFF00, 0xFFEF),
)
# Marks that certificates and tickets plausibly print: numero, check marks, bullets and boxes for lists and
# tick boxes, arrows, circled numbers for rules, degree Celsius, trademark.
EXTRA = "№✓✔✗○●□■★☆←↑→↓℃™×÷①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# Name IDs kept: copyright, names, version, trademark, vendor/designer, description, URLs, license (0-14).
NAME_IDS = list(range(15))


@dataclass
class Built:
    style: str
    path: Path
    glyphs: int
    covered: int
    missing: list[int]
    source_version: str


def wanted_codepoints() -> set[int]:
    points = {cp for _name, first, last in BLOCKS for cp in range(first, last + 1)}
    points.update(ord(ch) for ch in EXTRA)
    return points


def load_face(ttc: Path, family: str, subfamily: str) -> TTFont:
    """Pick a face from a collection by its name table: the index of SC differs between Noto releases."""
    collection = TTCollection(str(ttc), lazy=False)
    for font in collection.fonts:
        names = font["name"]
        if names.getDebugName(1) == family and (names.getDebugName(2) or "Regular") == subfamily:
            font.recalcTimestamp = False  # keep head.modified from the source so rebuilds are reproducible
            return font
    found = sorted({f"{f['name'].getDebugName(1)} {f['name'].getDebugName(2)}" for f in collection.fonts})
    raise SystemExit(f"{ttc}: no face named {family!r} {subfamily!r}; faces: {', '.join(found)}")


def subset_face(font: TTFont, codepoints: set[int]) -> tuple[int, list[int]]:
    cmap = font.getBestCmap()
    present = sorted(cp for cp in codepoints if cp in cmap)
    missing = sorted(cp for cp in codepoints if cp not in cmap)
    options = subset.Options()
    # fpdf2 neither hints nor shapes our text (text shaping is off), so hinting, OpenType layout and the
    # vertical-writing tables are dead weight.
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "VORG", "vhea", "vmtx"]
    options.name_IDs = NAME_IDS
    options.name_languages = [0x0409]
    options.name_legacy = False
    options.glyph_names = False
    # Keep the .notdef box so a viewer that meets an unmapped code shows a box rather than nothing.
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=present)
    subsetter.subset(font)
    return len(present), missing


def cff_to_truetype(font: TTFont, max_err: float = 1.0) -> None:
    """Replace CFF cubic outlines by TrueType quadratic ones, as fontTools' otf2ttf snippet does.

    max_err is in font units (1000 per em): invisible at any print size.
    """
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        # PostScript contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyf[name] = pen.glyph()
    del font["CFF "]
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    font["head"].glyphDataFormat = 0
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    # Post format 3 has no glyph names: the CID names ("cid12345") would only cost space.
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont, style: str) -> None:
    names = font["name"]
    version = names.getDebugName(5) or ""
    values = {
        1: FAMILY,
        2: style,
        3: f"{names.getDebugName(3)};{PS_FAMILY}-{style}",
        4: f"{FAMILY} {style}" if style != "Regular" else FAMILY,
        5: f"{version}; aigcert subset",
        6: f"{PS_FAMILY}-{style}",
        10: (
            f"Subset of {SOURCE_FAMILY} {style} for aigcert PDFs: Latin-1, punctuation, CJK symbols, "
            "CJK Unified Ideographs U+4E00-U+9FFF, fullwidth forms; no hinting or layout tables."
        ),
    }
    for name_id, value in values.items():
        names.setName(value, name_id, 3, 1, 0x0409)
    for name_id in (16, 17):  # typographic names would contradict the new family
        names.removeNames(nameID=name_id)


def build(source_dir: Path, out_dir: Path, style: str, cff: bool) -> Built:
    ttc = source_dir / f"NotoSansCJK-{style}.ttc"
    font = load_face(ttc, SOURCE_FAMILY, style)
    source_version = f"{font['head'].fontRevision:.3f}"
    covered, missing = subset_face(font, wanted_codepoints())
    if not cff:
        cff_to_truetype(font)
    rename(font, style)
    path = out_dir / f"{FILE_STEM}-{style}.{'otf' if cff else 'ttf'}"
    font.save(str(path))
    return Built(style, path, len(font.getGlyphOrder()), covered, missing, source_version)


def ofl_text() -> str:
    """The OFL 1.1 text, from the Debian package (standalone file if present, else debian/copyright)."""
    for candidate in ("LICENSE", "OFL.txt", "LICENSE.txt"):
        path = DEBIAN_DOC / candidate
        if path.is_file():
            return path.read_text(encoding="utf-8")
    copyright_file = DEBIAN_DOC / "copyright"
    if not copyright_file.is_file():
        raise SystemExit(f"cannot find the OFL text under {DEBIAN_DOC}; is fonts-noto-cjk installed?")
    # debian/copyright keeps license texts in a paragraph "License: SIL-1.1" followed by indented lines,
    # with " ." standing for an empty line.
    lines = copyright_file.read_text(encoding="utf-8").splitlines()
    for start, line in enumerate(lines):
        if line.strip() == "License: SIL-1.1" and start + 1 < len(lines) and lines[start + 1].startswith(" "):
            body = []
            for text in lines[start + 1 :]:
                if not text.startswith(" "):
                    break
                body.append("" if text.strip() == "." else text[1:])
            return UPSTREAM_COPYRIGHT + "\n\n" + "\n".join(body).strip("\n") + "\n"
    raise SystemExit(f"{copyright_file}: no SIL-1.1 license text")


def debian_version() -> str:
    changelog = DEBIAN_DOC / "changelog.Debian.gz"
    if not changelog.is_file():
        return "unknown"
    with gzip.open(changelog, "rt", encoding="utf-8") as fh:
        first = fh.readline()
    return first.split("(", 1)[-1].split(")", 1)[0] if "(" in first else first.strip()


def as_ranges(points: list[int]) -> list[str]:
    ranges: list[list[int]] = []
    for cp in sorted(points):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return [f"U+{a:04X}" if a == b else f"U+{a:04X}-U+{b:04X}" for a, b in ranges]


def readme(built: list[Built], dropped_bold: str) -> str:
    source = built[0]
    blocks = "\n".join(f"  - {name}: U+{first:04X}-U+{last:04X}" for name, first, last in BLOCKS)
    files = "\n".join(
        f"  {b.path.name}  {b.path.stat().st_size:,} bytes  {b.glyphs:,} glyphs  "
        f"sha256 {hashlib.sha256(b.path.read_bytes()).hexdigest()}"
        for b in built
    )
    missing = textwrap.fill(
        ", ".join(as_ranges(source.missing)) or "none", width=110, initial_indent="    ", subsequent_indent="    "
    )
    outlines = "CFF outlines kept" if source.path.suffix == ".otf" else "outlines converted to TrueType"
    return f"""Fonts embedded in aigcert's PDFs
================================

What: a subset of Noto Sans CJK SC {source.source_version} (Simplified Chinese face, by Adobe and Google),
      {outlines}, hinting and OpenType layout tables removed, renamed "{FAMILY}".
From: Debian package fonts-noto-cjk {debian_version()}
      (/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc; upstream https://github.com/notofonts/noto-cjk).
How:  .venv/bin/python tools/make_cjk_font.py   (documented in that script; re-run it to rebuild)
License: SIL Open Font License 1.1, see OFL.txt. The font stays under the OFL; PDFs made with it do not.

Files:
{files}

Coverage ({source.covered:,} characters):
{blocks}
  - extra symbols: {EXTRA}
  Requested but not in the source font (mostly invisible format characters and unassigned code points):
{missing}
  Not covered: CJK Extension A/B and later (U+3400-U+4DBF, U+20000+), Greek, Cyrillic, kana, hangul.
  fpdf2 leaves out a character outside this set and logs "Font ... is missing the following glyphs".
{dropped_bold}
Used by aigcert/core/pdf.py (cjk_pdf); do not reference these files from anywhere else.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--source-dir", type=Path, default=DEFAULT_SOURCE_DIR, help="where the .ttc files are")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--budget-mb", type=float, default=DEFAULT_BUDGET_MB, help="ship Bold only below this")
    parser.add_argument("--cff", action="store_true", help="keep CFF outlines (.otf) instead of TrueType")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    built = [build(args.source_dir, args.out, "Regular", args.cff)]
    print(f"Regular: {built[0].path} {built[0].path.stat().st_size:,} bytes", file=sys.stderr)
    bold = build(args.source_dir, args.out, "Bold", args.cff)
    total = sum(b.path.stat().st_size for b in (*built, bold))
    if total <= args.budget_mb * 1_000_000:
        built.append(bold)
        dropped = ""
    else:
        # Regular + Bold would make the package too heavy; pdf.py registers Bold only when the file exists.
        bold.path.unlink()
        dropped = (
            f"\nBold is not shipped: Regular + Bold would be {total / 1e6:.1f} MB, over the {args.budget_mb:g} MB\n"
            "budget. Emphasis in PDFs uses size, colour or rules instead.\n"
        )
    for stale in args.out.glob(f"{FILE_STEM}-*"):
        if stale not in {b.path for b in built}:
            stale.unlink()

    (args.out / "OFL.txt").write_text(ofl_text(), encoding="utf-8")
    (args.out / "README.txt").write_text(readme(built, dropped), encoding="utf-8")
    for b in built:
        print(f"{b.style}: {b.path.name} {b.path.stat().st_size:,} bytes, {b.covered:,} characters", file=sys.stderr)
    if dropped:
        print(dropped.strip(), file=sys.stderr)
    print(f"done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
