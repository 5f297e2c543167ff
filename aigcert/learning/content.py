"""Lesson text: Markdown in, sanitized HTML out, with a stable anchor on every section for the tutor to cite."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

FILE_URL_PREFIX = "/learn/files/"

# Raw HTML in the Markdown is shown as text, not passed through: staff write Markdown, and what they paste from
# elsewhere can carry script. The sanitizer below still runs, as a second wall.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "hr", "h2", "h3", "h4",
    "table", "thead", "tbody", "tr", "th", "td", "a", "img",
}
_ATTRIBUTES = {"h2": {"id"}, "a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"style"},
               "td": {"style"}, "ol": {"start"}}
_ANCHOR = re.compile(r"^s-\d{1,3}$")
_ALIGN = re.compile(r"^text-align:(left|right|center)$")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if _ANCHOR.match(value) else None
    if tag == "img" and attribute == "src":
        # Lesson images come from the lesson's own files: a reader's browser never fetches from elsewhere.
        return value if value.startswith(FILE_URL_PREFIX) else None
    if attribute == "style":
        return value if _ALIGN.match(value) else None
    return value


def anchor(number: int) -> str:
    """The id of a lesson's ``number``-th section (1-based): what citations link to."""
    return f"s-{number}"


def markdown_render(text: str) -> str:
    """Sanitized HTML of a lesson's Markdown; every level-2 heading gets the anchor of its section."""
    tokens = _markdown.parse(text or "")
    number = 0
    for token in tokens:
        if token.type == "heading_open" and token.tag == "h2":
            number += 1
            token.attrSet("id", anchor(number))
    rendered = _markdown.renderer.render(tokens, _markdown.options, {})
    cleaned = nh3.clean(rendered, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                        link_rel="noopener noreferrer nofollow", strip_comments=True,
                        attribute_filter=_attribute_filter)
    return re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned)


@dataclass(frozen=True)
class Section:
    anchor: str  # "" for text before the first heading
    heading: str
    text: str  # plain text: what the tutor indexes and quotes


_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _plain(markdown: str) -> str:
    """Readable text of a Markdown fragment: rendered, tags dropped, entities decoded, blank lines squeezed."""
    rendered = _markdown.render(markdown)
    rendered = re.sub(r"</(p|li|tr|h3|h4|pre|blockquote)>|<br\s*/?>", "\n", rendered)
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def sections(text: str) -> list[Section]:
    """A lesson cut at its level-2 headings, numbered as `markdown_render` numbers them."""
    found: list[Section] = []
    heading, anchor_id, lines = "", "", []
    number = 0
    in_fence = False
    for line in (text or "").splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            if heading or "".join(lines).strip():
                found.append(Section(anchor_id, heading, _plain("\n".join(lines))))
            number += 1
            heading, anchor_id, lines = _plain(match.group(1)), anchor(number), []
        else:
            lines.append(line)
    if heading or "".join(lines).strip():
        found.append(Section(anchor_id, heading, _plain("\n".join(lines))))
    return found


def embed_url_allowed(url: str, hosts: set[str]) -> bool:
    """Whether a video embed address is https on an allowed host (a host's subdomains are not implied)."""
    parts = urlsplit(url or "")
    return parts.scheme == "https" and (parts.hostname or "").lower() in {h.lower() for h in hosts}
