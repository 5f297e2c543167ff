"""Rich text for stems, options and explanations: a small allow-list, images only from the bank's own store."""

from __future__ import annotations

import html
import re

import nh3

ASSET_URL_PREFIX = "/itembank/assets/"

_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "sub", "sup", "code", "pre", "blockquote", "span",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "img", "a", "h3", "h4",
}
_ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # Images come only from the bank's asset store: a candidate's browser never fetches anything from elsewhere.
    if tag == "img" and attribute == "src" and not value.startswith(ASSET_URL_PREFIX):
        return None
    return value


def clean_html(text: str | None) -> str:
    """Strip scripts, frames, event handlers, javascript: URLs and anything not on the allow-list."""
    if not text:
        return ""
    cleaned = nh3.clean(
        text,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_attribute_filter,
    )
    # An <img> whose src was dropped is useless; remove it rather than leave a broken box.
    return re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned).strip()


_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|tr|h3|h4|pre|blockquote)>|<br\s*/?>", re.IGNORECASE)


def plain_text(rich: str | None) -> str:
    """The readable text of sanitized HTML, for search, duplicates and spreadsheets."""
    if not rich:
        return ""
    text = _BLOCK_END.sub("\n", rich)
    text = html.unescape(_TAG.sub("", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def has_image(rich: str | None) -> bool:
    return bool(rich) and "<img" in rich


def text_to_html(text: str) -> str:
    """Plain text typed into a spreadsheet cell or YAML becomes paragraphs; HTML is kept (then cleaned)."""
    if "<" in text and re.search(r"</?[a-zA-Z][^>]*>", text):
        return clean_html(text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{html.escape(p.strip()).replace(chr(10), '<br>')}</p>" for p in paragraphs)
