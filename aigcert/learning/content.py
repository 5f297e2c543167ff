"""Lesson text: Markdown in, sanitized HTML out, with a stable anchor on every section for the tutor to cite."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

from aigcert.itembank import api as itembank

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


_SECTION = re.compile(r'<h2 id="(s-\d+)">(.*?)</h2>', re.S)
_plain = itembank.plain_text

def sections(text: str) -> list[Section]:
    """A lesson cut at its level-2 headings, from the very HTML the lesson page shows: a citation's anchor is
    always the section its text comes from, whatever Markdown made the heading (``##``, setext, …)."""
    rendered = markdown_render(text)
    found: list[Section] = []
    position, anchor_id, heading = 0, "", ""
    for match in _SECTION.finditer(rendered):
        body = _plain(rendered[position:match.start()])
        if anchor_id or body:
            found.append(Section(anchor_id, heading, body))
        anchor_id, heading, position = match.group(1), _plain(match.group(2)), match.end()
    body = _plain(rendered[position:])
    if anchor_id or body:
        found.append(Section(anchor_id, heading, body))
    return found


def embed_url_allowed(url: str, hosts: set[str]) -> bool:
    """Whether a video embed address is https on an allowed host (a host's subdomains are not implied)."""
    parts = urlsplit(url or "")
    return parts.scheme == "https" and (parts.hostname or "").lower() in {h.lower() for h in hosts}
