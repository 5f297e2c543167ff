"""IMS QTI: import 3.0 and 2.1/2.2 items and content packages; export QTI 3.0 packages.

Supported: choice (single and multiple), text entry (one or more blanks), extended text and upload
interactions, scored by the standard ``match_correct`` or ``map_response`` templates (recognized by the last
segment of their URI, with or without ``.xml``), or by a plain sum of ``mapResponse`` over text entries (what
our own export writes for multi-blank items). Anything else is listed with the reason and never half-imported.

What QTI has no place for (difficulty, competencies, explanation, rubric, partial credit, programming tests,
prompt-task notes) travels in the package manifest as an ``aigcert:item`` metadata extension; other
platforms ignore it and we read it back, so our packages re-import to identical items.

XML is parsed with defusedxml: DTDs, entity declarations and external references are refused outright.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring  # building only; parsing is defused
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

from aigcert.itembank import content as c
from aigcert.itembank import rules
from aigcert.itembank.content import Answer, Blank, Criterion, ItemContent, Level, Option, parse_decimal
from aigcert.itembank.sanitize import ASSET_URL_PREFIX, clean_html

QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
AIGCERT_NS = "https://aigcert.example/ns/qti-extension/1"
TEMPLATE_BASE = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
ITEM_RESOURCE_TYPES = ("imsqti_item_xmlv3p0", "imsqti_item_xmlv2p2", "imsqti_item_xmlv2p1", "imsqti_item_xmlv2p0")
MAX_PACKAGE_FILES = 20000
MAX_PACKAGE_BYTES = 500 << 20
MAX_XML_BYTES = 5 << 20

SUPPORTED_INTERACTIONS = {
    "qti-choice-interaction", "qti-text-entry-interaction", "qti-extended-text-interaction",
    "qti-upload-interaction",
}
_HTML_TAGS = {
    "a", "abbr", "address", "b", "bdo", "big", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li",
    "object", "ol", "p", "param", "pre", "q", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "tt", "ul", "var", "math", "figure", "figcaption", "section", "u",
}
_VOID = {"br", "img", "hr", "col", "param"}
_MIME_EXTENSIONS = {
    "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "application/pdf": "pdf",
    "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm", "audio/mpeg": "mp3", "audio/wav": "wav",
    "application/zip": "zip", "text/plain": "txt", "text/markdown": "md", "image/svg+xml": "svg",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
_EXTENSION_MIMES = {ext: mime for mime, ext in _MIME_EXTENSIONS.items()} | {"jpeg": "image/jpeg"}


@dataclass
class QtiItem:
    identifier: str
    content: ItemContent
    images: dict[str, bytes] = field(default_factory=dict)  # package path → bytes, to store as assets


@dataclass
class QtiRejected:
    identifier: str
    reason: str


@dataclass
class QtiResult:
    items: list[QtiItem] = field(default_factory=list)
    rejected: list[QtiRejected] = field(default_factory=list)


class Unsupported(Exception):
    pass


# -- reading sources ----------------------------------------------------------------------------------------

class _Source:
    """Files of a package, from a zip or a folder, read by relative path without ever leaving it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if path.is_file() and zipfile.is_zipfile(path):
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
            if len(infos) > MAX_PACKAGE_FILES or sum(i.file_size for i in infos) > MAX_PACKAGE_BYTES:
                raise Unsupported(_("The package is too large to import."))

    def names(self) -> list[str]:
        if self.zip:
            return [n for n in self.zip.namelist() if not n.endswith("/")]
        return [str(p.relative_to(self.path)).replace("\\", "/") for p in self.path.rglob("*") if p.is_file()]

    def read(self, name: str) -> bytes | None:
        name = posixpath.normpath(name.lstrip("/"))
        if name.startswith("..") or name.startswith("/"):
            return None
        if self.zip:
            try:
                info = self.zip.getinfo(name)
            except KeyError:
                return None
            return self.zip.read(info)
        target = (self.path / name).resolve()
        if not target.is_relative_to(self.path.resolve()) or not target.is_file():
            return None
        return target.read_bytes()


def _parse_xml(data: bytes) -> Element:
    if len(data) > MAX_XML_BYTES:
        raise Unsupported(_("The XML file is too large."))
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise Unsupported(_("The XML declares a DTD or entities, which are refused for safety.")) from None
    except ParseError as exc:
        raise Unsupported(_("The XML is not well-formed: %(error)s") % {"error": exc}) from None


def qti_read(path: Path) -> QtiResult:
    """Items from a QTI XML file, a content package (zip) or an unpacked package folder."""
    path = Path(path)
    result = QtiResult()
    try:
        if path.is_file() and not zipfile.is_zipfile(path):
            _item_read(result, path.name, path.read_bytes(), _Source(path.parent), "", {})
            return result
        source = _Source(path)
    except Unsupported as exc:
        result.rejected.append(QtiRejected(path.name, str(exc)))
        return result
    manifest = source.read("imsmanifest.xml")
    hrefs: list[tuple[str, dict]] = []
    if manifest is not None:
        try:
            hrefs = _manifest_items(_parse_xml(manifest))
        except Unsupported as exc:
            result.rejected.append(QtiRejected("imsmanifest.xml", str(exc)))
            return result
    else:
        hrefs = [(name, {}) for name in sorted(source.names()) if name.lower().endswith(".xml")]
    for href, extension in hrefs:
        data = source.read(href)
        if data is None:
            result.rejected.append(QtiRejected(href, _("The manifest lists a file the package doesn't contain.")))
            continue
        _item_read(result, href, data, source, posixpath.dirname(href), extension)
    return result


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _manifest_items(root: Element) -> list[tuple[str, dict]]:
    found = []
    for resource in root.iter():
        if _local(resource.tag) != "resource":
            continue
        if resource.get("type", "") not in ITEM_RESOURCE_TYPES:
            continue
        extension = {}
        for node in resource.iter():
            if _local(node.tag) == "item" and node.tag.startswith("{" + AIGCERT_NS):
                try:
                    extension = json.loads(node.text or "{}")
                except ValueError:
                    extension = {}
        found.append((resource.get("href", ""), extension))
    return found


# -- QTI 2.x → 3.0 names --------------------------------------------------------------------------------------

def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


def _to_qti3(element: Element, in_body: bool = False) -> None:
    """Rename a QTI 2.x tree in place to QTI 3.0's element and attribute names."""
    name = _local(element.tag)
    is_html = in_body and name in _HTML_TAGS
    if not is_html:
        element.tag = "qti-" + _kebab(name)
        for key in list(element.attrib):
            local = _local(key)
            value = element.attrib.pop(key)
            element.attrib[_kebab(local) if not key.startswith("{") else local] = value
    else:
        element.tag = name
    inside = in_body or name == "itemBody"
    for child in element:
        _to_qti3(child, inside)


def _normalize(root: Element) -> Element:
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if "imsqti_v2p" in namespace or "imsqti_item_v2p" in namespace or _local(root.tag) == "assessmentItem":
        _to_qti3(root)
    else:
        for element in root.iter():
            element.tag = _local(element.tag)
            for key in list(element.attrib):
                if key.startswith("{"):
                    element.attrib[_local(key)] = element.attrib.pop(key)
    return root


# -- one item ------------------------------------------------------------------------------------------------

def _item_read(result: QtiResult, name: str, data: bytes, source: _Source, base: str, extension: dict) -> None:
    identifier = name
    try:
        root = _normalize(_parse_xml(data))
        if root.tag != "qti-assessment-item":
            raise Unsupported(_("Not a QTI assessment item (root element is <%(tag)s>).") % {"tag": root.tag})
        identifier = root.get("identifier") or name
        item, images = _item_content(root, extension)
        for image_path in images:
            image = source.read(posixpath.join(base, image_path))
            if image is None:
                raise Unsupported(_("The image “%(path)s” is missing from the package.") % {"path": image_path})
            images[image_path] = image
        result.items.append(QtiItem(identifier, item, images))
    except Unsupported as exc:
        result.rejected.append(QtiRejected(identifier, str(exc)))


def _children(element: Element, tag: str) -> list[Element]:
    return [child for child in element if child.tag == tag]


def _child(element: Element, tag: str) -> Element | None:
    found = _children(element, tag)
    return found[0] if found else None


def _declarations(root: Element) -> dict[str, dict[str, Any]]:
    declarations = {}
    for decl in _children(root, "qti-response-declaration"):
        correct = _child(decl, "qti-correct-response")
        mapping = _child(decl, "qti-mapping")
        declarations[decl.get("identifier", "")] = {
            "cardinality": decl.get("cardinality", "single"),
            "base_type": decl.get("base-type", ""),
            "correct": [v.text or "" for v in _children(correct, "qti-value")] if correct is not None else [],
            "mapping": _mapping(mapping) if mapping is not None else None,
        }
    return declarations


def _decimal_attr(element: Element, name: str, default: Decimal | None) -> Decimal | None:
    value = element.get(name)
    if value is None:
        return default
    number = parse_decimal(value)
    if number is None:
        raise Unsupported(_("“%(value)s” in %(attr)s is not a number.") % {"value": value, "attr": name})
    return number


def _mapping(element: Element) -> rules.Mapping:
    entries = []
    for entry in _children(element, "qti-map-entry"):
        value = _decimal_attr(entry, "mapped-value", None)
        if value is None or entry.get("map-key") is None:
            raise Unsupported(_("A map entry lacks its key or value."))
        entries.append(rules.MapEntry(entry.get("map-key"), value,
                                      entry.get("case-sensitive", "true").strip().lower() != "false"))
    return rules.Mapping(tuple(entries), _decimal_attr(element, "default-value", rules.ZERO),
                         _decimal_attr(element, "lower-bound", None), _decimal_attr(element, "upper-bound", None))


def _max_score(root: Element) -> Decimal | None:
    for decl in _children(root, "qti-outcome-declaration"):
        if decl.get("identifier") == "MAXSCORE":
            default = _child(decl, "qti-default-value")
            value = _child(default, "qti-value") if default is not None else None
            if value is not None:
                return parse_decimal(value.text)
        if decl.get("identifier") == "SCORE" and decl.get("normal-maximum"):
            return parse_decimal(decl.get("normal-maximum"))
    return None


def _processing(root: Element, response_ids: list[str]) -> str:
    """'match_correct', 'map_response', 'sum_map' or 'none'; raises Unsupported for anything else."""
    rp = _child(root, "qti-response-processing")
    if rp is None:
        return "none"
    template = rp.get("template") or rp.get("template-location") or ""
    if template:
        last = template.rstrip("/").rsplit("/", 1)[-1]
        last = last[:-4] if last.lower().endswith(".xml") else last
        if last in ("match_correct", "map_response"):
            return last
        raise Unsupported(_("Uses the response-processing template “%(name)s”, which isn't supported.")
                          % {"name": last})
    if len(rp) == 0:
        return "none"
    rule = list(rp)
    if (len(rule) == 1 and rule[0].tag == "qti-set-outcome-value" and rule[0].get("identifier") == "SCORE"
            and len(rule[0]) == 1 and rule[0][0].tag == "qti-sum"
            and all(e.tag == "qti-map-response" for e in rule[0][0])
            and sorted(e.get("identifier") for e in rule[0][0]) == sorted(response_ids)):
        return "sum_map"
    raise Unsupported(_("Uses custom response processing, which isn't supported."))


def _item_content(root: Element, ext: dict) -> tuple[ItemContent, dict[str, bytes]]:
    body = _child(root, "qti-item-body")
    if body is None:
        raise Unsupported(_("The item has no body."))
    interactions = [e for e in body.iter() if e.tag.endswith("-interaction")]
    if not interactions:
        raise Unsupported(_("The item has no interaction."))
    unsupported = sorted({e.tag for e in interactions} - SUPPORTED_INTERACTIONS)
    if unsupported:
        raise Unsupported(_("Uses %(names)s, which aigcert doesn't support.") % {"names": ", ".join(unsupported)})
    kinds = {e.tag for e in interactions}
    if len(kinds) > 1 or (len(interactions) > 1 and kinds != {"qti-text-entry-interaction"}):
        raise Unsupported(_("Combines several interactions in one item, which isn't supported."))
    kind = interactions[0].tag
    declarations = _declarations(root)
    response_ids = [e.get("response-identifier", "") for e in interactions]
    for rid in response_ids:
        if rid not in declarations:
            raise Unsupported(_("Interaction response “%(id)s” has no declaration.") % {"id": rid})
    processing = _processing(root, response_ids)
    images: dict[str, bytes] = {}
    max_score = _max_score(root)

    if kind == "qti-choice-interaction":
        item = _choice_item(interactions[0], declarations[response_ids[0]], processing, max_score, ext, images)
        stem = _stem_html(body, interactions[0], images, keep_prompt=True)
    elif kind == "qti-text-entry-interaction":
        item = _text_entry_item(interactions, declarations, processing, max_score)
        stem = _stem_html(body, None, images, blanks=interactions)
    else:
        item = _open_item(kind, interactions[0], processing, max_score, ext)
        stem = _stem_html(body, interactions[0], images, keep_prompt=True)
    item.stem = stem
    _apply_extension(item, ext)
    item.settle_points()
    return item, images


def _choice_item(interaction: Element, decl: dict, processing: str, max_score: Decimal | None,
                 ext: dict, images: dict[str, bytes]) -> ItemContent:
    if processing == "none":
        raise Unsupported(_("A choice item without response processing can't be scored."))
    if processing == "sum_map":
        raise Unsupported(_("Uses custom response processing, which isn't supported."))
    max_choices = int(interaction.get("max-choices", "1") or 1)
    multiple = decl["cardinality"] in ("multiple", "ordered") or max_choices != 1
    item_type = c.MULTIPLE_CHOICE if multiple else c.SINGLE_CHOICE
    if ext.get("type") == c.TRUE_FALSE:
        item_type = c.TRUE_FALSE
    options = [Option(choice.get("identifier", ""), _inner_html(choice, images))
               for choice in _children(interaction, "qti-simple-choice")]
    item = ItemContent(item_type=item_type, stem="")
    item.key = list(decl["correct"])
    if item_type == c.TRUE_FALSE:
        item.points = max_score or Decimal(1)
        return item
    item.options = options
    if processing == "map_response":
        if decl["mapping"] is None:
            raise Unsupported(_("Uses map_response but declares no mapping."))
        item.scoring = c.MAP
        item.choice_map = decl["mapping"]
    else:
        if not item.key:
            raise Unsupported(_("Uses match_correct but declares no correct response."))
        item.scoring = c.EXACT
        item.points = max_score or Decimal(1)
    return item


def _text_entry_item(interactions: list[Element], declarations: dict, processing: str,
                     max_score: Decimal | None) -> ItemContent:
    if processing == "none":
        raise Unsupported(_("A text-entry item without response processing can't be scored."))
    if len(interactions) > 1 and processing != "sum_map":
        raise Unsupported(_("The standard templates score only one blank; this item has %(n)s.")
                          % {"n": len(interactions)})
    item = ItemContent(item_type=c.FILL_IN, stem="")
    for interaction in interactions:
        decl = declarations[interaction.get("response-identifier", "")]
        if processing in ("map_response", "sum_map"):
            mapping = decl["mapping"]
            if mapping is None:
                raise Unsupported(_("Uses map_response but declares no mapping."))
            item.blanks.append(Blank([Answer(e.key, e.value, e.case_sensitive) for e in mapping.entries],
                                     mapping.default, mapping.lower, mapping.upper))
        else:
            points = max_score or Decimal(1)
            if not decl["correct"]:
                raise Unsupported(_("Uses match_correct but declares no correct response."))
            item.blanks.append(Blank([Answer(value, points, True) for value in decl["correct"]]))
    return item


def _open_item(kind: str, interaction: Element, processing: str, max_score: Decimal | None,
               ext: dict) -> ItemContent:
    if processing != "none":
        raise Unsupported(_("Automatic scoring of open answers isn't supported; they are marked by people."))
    item_type = c.WORK_UPLOAD if kind == "qti-upload-interaction" else c.ESSAY
    if ext.get("type") in (c.PROGRAM, c.PROMPT_TASK) and item_type == c.ESSAY:
        item_type = ext["type"]
    item = ItemContent(item_type=item_type, stem="", points=max_score or Decimal(10))
    if item_type == c.WORK_UPLOAD:
        mime = interaction.get("type", "")
        item.allowed_types = [_MIME_EXTENSIONS[mime]] if mime in _MIME_EXTENSIONS else ["pdf"]
        item.max_size_mb = 20
    if item_type in c.RUBRIC_TYPES:
        # Other platforms send no rubric; a one-line rubric keeps the points until a reviewer writes a real one.
        item.rubric = [Criterion(_("Overall"), [Level(_("Full marks"), item.points), Level(_("None"), rules.ZERO)])]
    return item


def _apply_extension(item: ItemContent, ext: dict) -> None:
    if not ext:
        return
    item.difficulty = int(ext.get("difficulty", item.difficulty))
    item.standards = list(ext.get("standards", []))
    item.source = ext.get("source", "")
    item.explanation = clean_html(ext.get("explanation", ""))
    stored = ext.get("details", {})
    if item.item_type == c.TRUE_FALSE:
        return
    if stored.get("scoring") == c.PARTIAL and item.item_type == c.MULTIPLE_CHOICE:
        item.scoring = c.PARTIAL
        item.partial_credit = parse_decimal(stored.get("partial_credit"))
    template = ItemContent.from_stored(item_type=item.item_type, stem="", points=item.points or rules.ZERO,
                                       difficulty=1, explanation="", standards=[], source="", details=stored)
    if item.item_type in c.RUBRIC_TYPES and template.rubric:
        item.rubric = template.rubric
    for name in ("min_words", "max_words", "allowed_types", "max_size_mb", "language", "starter_code", "tests",
                 "time_limit_ms", "memory_limit_mb", "reference_solution", "reference_prompt", "qualities"):
        if name in stored:
            setattr(item, name, getattr(template, name))


# -- item body ↔ HTML ----------------------------------------------------------------------------------------

def _serialize(element: Element, images: dict[str, bytes],
               special: Callable[[Element], str | None] | None = None) -> str:
    """An element's HTML (QTI bodies are XHTML without namespaces once normalized).

    Relative image sources become ``asset:<path>`` placeholders and are collected in ``images``; QTI elements
    (inline feedback, rubric blocks, …) are not content. ``special`` may render chosen elements itself.
    """
    tail = escape(element.tail or "")
    replaced = special(element) if special else None
    if replaced is not None:
        return replaced + tail
    tag = element.tag
    if tag.startswith("qti-"):
        return tail
    attrs = dict(element.attrib)
    if tag == "img" and attrs.get("src") and not re.match(r"^[a-z]+:", attrs["src"]):
        images.setdefault(attrs["src"], b"")
        attrs["src"] = "asset:" + attrs["src"]
    attr_text = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    if tag in _VOID:
        return f"<{tag}{attr_text}>" + tail
    inner = escape(element.text or "") + "".join(_serialize(child, images, special) for child in element)
    return f"<{tag}{attr_text}>{inner}</{tag}>" + tail


def _inner_html(element: Element, images: dict[str, bytes] | None = None) -> str:
    images = images if images is not None else {}
    return escape(element.text or "") + "".join(_serialize(child, images) for child in element)


def _stem_html(body: Element, interaction: Element | None, images: dict[str, bytes], *,
               keep_prompt: bool = False, blanks: list[Element] | None = None) -> str:
    """The item body without its interaction: blanks become [[n]] markers, a choice's prompt a paragraph."""
    blank_numbers = {id(e): n for n, e in enumerate(blanks or [], start=1)}

    def special(element: Element) -> str | None:
        if id(element) in blank_numbers:
            return f"[[{blank_numbers[id(element)]}]]"
        if element is interaction:
            prompt = _child(element, "qti-prompt") if keep_prompt else None
            return f"<p>{_inner_html(prompt, images)}</p>" if prompt is not None else ""
        return None

    lead = escape(body.text or "") if (body.text or "").strip() else ""
    return lead + "".join(_serialize(child, images, special) for child in body)


def image_sources_rewrite(html: str, urls: dict[str, str]) -> str:
    """Point ``asset:<package path>`` placeholders at stored assets."""
    return re.sub(r'src="asset:([^"]+)"', lambda m: f'src="{urls.get(m.group(1), "")}"', html)


class _XhtmlWriter(HTMLParser):
    """Sanitized HTML → well-formed XHTML for a QTI item body."""

    def __init__(self, images: dict[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.images = images

    def handle_starttag(self, tag, attrs):
        rendered = []
        for key, value in attrs:
            value = value or ""
            if tag == "img" and key == "src" and value.startswith(ASSET_URL_PREFIX):
                filename = value[len(ASSET_URL_PREFIX):]
                self.images[filename] = value
                value = f"images/{filename}"
            rendered.append(f" {key}={quoteattr(value)}")
        self.out.append(f"<{tag}{''.join(rendered)}{' /' if tag in _VOID else ''}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(escape(data))


def _xhtml(html: str, images: dict[str, str]) -> str:
    writer = _XhtmlWriter(images)
    writer.feed(html)
    writer.close()
    return "".join(writer.out)


# -- export --------------------------------------------------------------------------------------------------

def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _mapping_xml(mapping: rules.Mapping, *, case: bool = True) -> str:
    attrs = f' default-value="{_num(mapping.default)}"'
    if mapping.lower is not None:
        attrs += f' lower-bound="{_num(mapping.lower)}"'
    if mapping.upper is not None:
        attrs += f' upper-bound="{_num(mapping.upper)}"'
    entries = "".join(
        f"<qti-map-entry map-key={quoteattr(e.key)} mapped-value=\"{_num(e.value)}\""
        + (f' case-sensitive="{"true" if e.case_sensitive else "false"}"' if case else "") + "/>"
        for e in mapping.entries
    )
    return f"<qti-mapping{attrs}>{entries}</qti-mapping>"


def item_xml(identifier: str, item: ItemContent, images: dict[str, str]) -> str:
    """One item as a QTI 3.0 assessment item document."""
    declarations: list[str] = []
    body = ""
    processing = ""
    stem = _xhtml(item.stem, images)
    t = item.item_type
    if t in c.CHOICE_TYPES or t == c.TRUE_FALSE:
        if t == c.TRUE_FALSE:
            options = [Option("true", _("True")), Option("false", _("False"))]
            cardinality, max_choices = "single", 1
        else:
            options = item.options
            cardinality = "multiple" if t == c.MULTIPLE_CHOICE else "single"
            max_choices = 0 if t == c.MULTIPLE_CHOICE else 1
        correct = "".join(f"<qti-value>{escape(k)}</qti-value>" for k in item.key)
        mapping = _mapping_xml(item.choice_map, case=False) if item.scoring == c.MAP and item.choice_map else ""
        declarations.append(
            f'<qti-response-declaration identifier="RESPONSE" cardinality="{cardinality}" base-type="identifier">'
            + (f"<qti-correct-response>{correct}</qti-correct-response>" if correct else "")
            + mapping + "</qti-response-declaration>")
        choices = "".join(f"<qti-simple-choice identifier={quoteattr(o.id)}>{_xhtml(o.html, images)}"
                          "</qti-simple-choice>" for o in options)
        body = (f"{stem}<qti-choice-interaction response-identifier=\"RESPONSE\" max-choices=\"{max_choices}\">"
                f"{choices}</qti-choice-interaction>")
        template = "map_response" if item.scoring == c.MAP else "match_correct"
        processing = f'<qti-response-processing template="{TEMPLATE_BASE}{template}"/>'
    elif t == c.FILL_IN:
        ids = ["RESPONSE"] if len(item.blanks) == 1 else [f"RESPONSE_{n}" for n in range(1, len(item.blanks) + 1)]
        for rid, blank in zip(ids, item.blanks, strict=True):
            best = max(blank.answers, key=lambda a: a.score)
            declarations.append(
                f'<qti-response-declaration identifier="{rid}" cardinality="single" base-type="string">'
                f"<qti-correct-response><qti-value>{escape(best.text)}</qti-value></qti-correct-response>"
                + _mapping_xml(blank.mapping()) + "</qti-response-declaration>")
        body = c.BLANK.sub(lambda m: f'<qti-text-entry-interaction response-identifier="{ids[int(m.group(1)) - 1]}"/>',
                           stem)
        if len(ids) == 1:
            processing = f'<qti-response-processing template="{TEMPLATE_BASE}map_response"/>'
        else:
            maps = "".join(f'<qti-map-response identifier="{rid}"/>' for rid in ids)
            processing = ('<qti-response-processing><qti-set-outcome-value identifier="SCORE">'
                          f"<qti-sum>{maps}</qti-sum></qti-set-outcome-value></qti-response-processing>")
    else:
        declarations.append('<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="'
                            + ("file" if t == c.WORK_UPLOAD else "string") + '"/>')
        if t == c.WORK_UPLOAD:
            mime = _EXTENSION_MIMES.get(item.allowed_types[0] if item.allowed_types else "", "")
            interaction = ('<qti-upload-interaction response-identifier="RESPONSE"'
                           + (f' type="{mime}"' if mime else "") + "/>")
        else:
            interaction = '<qti-extended-text-interaction response-identifier="RESPONSE"/>'
        body = stem + interaction
    outcomes = (f'<qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float" '
                f'normal-maximum="{_num(item.points)}"/>'
                '<qti-outcome-declaration identifier="MAXSCORE" cardinality="single" base-type="float">'
                f"<qti-default-value><qti-value>{_num(item.points)}</qti-value></qti-default-value>"
                "</qti-outcome-declaration>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<qti-assessment-item xmlns="{QTI3_NS}" identifier={quoteattr(identifier)} '
            f'title={quoteattr(identifier)} adaptive="false" time-dependent="false" xml:lang="zh-Hans">'
            + "".join(declarations) + outcomes + f"<qti-item-body>{body}</qti-item-body>" + processing
            + "</qti-assessment-item>\n")


def extension_data(item: ItemContent) -> dict[str, Any]:
    details = item.details()
    for name in ("options", "key", "map", "blanks"):
        details.pop(name, None)  # these live in the QTI itself
    return {"type": item.item_type, "difficulty": item.difficulty, "standards": item.standards,
            "source": item.source, "explanation": item.explanation, "details": details}


def package_write(items: Iterable[tuple[str, ItemContent]], asset_reader) -> bytes:
    """A QTI 3.0 content package (zip): imsmanifest.xml, one XML per item, and the images they use.

    ``asset_reader(filename) -> bytes | None`` returns a stored image.
    """
    manifest = Element("manifest", {"xmlns": CP_NS, "xmlns:aigcert": AIGCERT_NS, "identifier": "aigcert-export"})
    SubElement(manifest, "organizations")
    resources = SubElement(manifest, "resources")
    buffer = io.BytesIO()
    written_images: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for identifier, item in items:
            images: dict[str, str] = {}
            href = f"items/{identifier}.xml"
            archive.writestr(href, item_xml(identifier, item, images))
            resource = SubElement(resources, "resource", {"identifier": identifier, "type": "imsqti_item_xmlv3p0",
                                                          "href": href})
            metadata = SubElement(resource, "metadata")
            SubElement(metadata, "aigcert:item").text = json.dumps(extension_data(item), ensure_ascii=False)
            SubElement(resource, "file", {"href": href})
            for filename in images:
                path = f"items/images/{filename}"
                SubElement(resource, "file", {"href": path})
                if path not in written_images:
                    data = asset_reader(filename)
                    if data is not None:
                        archive.writestr(path, data)
                        written_images.add(path)
        archive.writestr("imsmanifest.xml", b'<?xml version="1.0" encoding="UTF-8"?>\n'
                         + tostring(manifest, encoding="unicode").encode())
    return buffer.getvalue()


__all__ = ["QtiItem", "QtiRejected", "QtiResult", "image_sources_rewrite", "item_xml", "package_write", "qti_read"]
