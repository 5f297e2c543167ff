"""The player's items as HTML, written in Python rather than a template include.

A formal session loads thousands of 100-item players in the same minute; a template include per item cost ~0.5 ms
of CPU each (50 ms a page), which two cores cannot serve at that rate. The markup is the same the template made;
stems and options are the item bank's sanitized HTML and go in as they are, everything else is escaped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from html import escape as _escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def escape(value: Any) -> str:
    # The standard library's escape is what Django's does (same entities), without the lazy-string wrapper that
    # cost more than the rest of the page at 100 items.
    return _escape(str(value), quote=True)


@lru_cache(maxsize=16)
def _words(language: str) -> dict[str, str]:
    """The fixed phrases of an item, translated and escaped once per language."""
    return {key: escape(text) for key, text in {
        "choose_all": _("Choose all that apply"), "choose_one": _("Choose one"), "true": _("True"),
        "false": _("False"), "prompt": _("Your prompt"), "answer": _("Your answer"), "words": _("words"),
        "work": _("Your work"), "code": _("Your code"),
        "tab": _("Tab indents; press Esc and then Tab to leave the editor."),
        "flag": _("Flag this question to review later")}.items()}


def _phrases() -> dict[str, str]:
    return _words(get_language() or "")


def _stem(item: dict[str, Any]) -> str:
    payload = item["payload"]
    slot = escape(item["slot"])
    if payload.get("stem_parts"):
        parts = []
        for part in payload["stem_parts"]:
            if part.get("blank"):
                label = escape(_("Blank %(n)s") % {"n": part["blank"]})
                parts.append(f'<input type="text" class="blank-input" data-blank="{escape(part["blank"])}" '
                             f'maxlength="200" aria-label="{label}" autocomplete="off">')
            else:
                parts.append(part.get("html", ""))
        return f'<div class="exam-stem">{"".join(parts)}</div>'
    return f'<div class="exam-stem" id="stem-{slot}">{payload.get("stem_html", "")}</div>'


def _choices(item: dict[str, Any]) -> str:
    payload = item["payload"]
    slot = escape(item["slot"])
    if item["options"]:
        multiple = bool(payload.get("multiple"))
        legend = _phrases()["choose_all" if multiple else "choose_one"]
        kind = "checkbox" if multiple else "radio"
        options = "".join(
            f'<label class="exam-option"><input type="{kind}" name="r-{slot}" value="{escape(option["id"])}"> '
            f'<span class="option-label">{escape(option["label"])}.</span> '
            f'<span class="option-text">{option["html"]}</span></label>'
            for option in item["options"])
        return f'<fieldset class="exam-options"><legend class="muted">{legend}</legend>{options}</fieldset>'
    item_type = item["type"]
    if item_type == "true_false":
        words = _phrases()
        return (f'<fieldset class="exam-options"><legend class="muted">{words["choose_one"]}</legend>'
                f'<label class="exam-option"><input type="radio" name="r-{slot}" value="true"> '
                f'{words["true"]}</label>'
                f'<label class="exam-option"><input type="radio" name="r-{slot}" value="false"> '
                f'{words["false"]}</label></fieldset>')
    if item_type in ("essay", "prompt_task"):
        limits = []
        if payload.get("min_words"):
            limits.append(escape(_("At least %(n)s words.") % {"n": payload["min_words"]}))
        if payload.get("max_words"):
            limits.append(escape(_("At most %(n)s words.") % {"n": payload["max_words"]}))
        hint = f'<p class="muted">{" ".join(limits)}</p>' if limits else ""
        label = _phrases()["prompt" if item_type == "prompt_task" else "answer"]
        longest = 20000 if item_type == "essay" else 10000
        words = (f'<p class="muted"><span data-word-count>0</span> {_phrases()["words"]}</p>'
                 if item_type == "essay" else "")
        return (f'{hint}<textarea class="answer-text" rows="12" maxlength="{longest}" aria-label="{label}" '
                f'aria-describedby="stem-{slot}"></textarea>{words}')
    if item_type == "work_upload":
        types = payload.get("allowed_types") or []
        allowed = escape(_("Allowed file types: %(types)s; up to %(mb)s MB.") % {
            "types": ", ".join(types), "mb": payload.get("max_size_mb")})
        accept = escape(",".join(f".{t}" for t in types))
        return (f'<p class="muted">{allowed}</p><input type="file" class="answer-file" accept="{accept}" '
                f'aria-label="{_phrases()["work"]}"><p class="muted" data-upload-status aria-live="polite"></p>')
    if item_type == "program":
        limits = escape(_("Python 3 · time limit %(ms)s ms · memory limit %(mb)s MB") % {
            "ms": payload.get("time_limit_ms"), "mb": payload.get("memory_limit_mb")})
        return (f'<p class="muted">{limits}</p><textarea class="answer-text code" rows="16" spellcheck="false" '
                f'autocapitalize="off" autocomplete="off" maxlength="64000" '
                f'data-starter="{escape(payload.get("starter_code", ""))}" aria-label="{_phrases()["code"]}" '
                f'aria-describedby="code-help-{slot}"></textarea><p class="muted" id="code-help-{slot}">'
                f'{_phrases()["tab"]}</p>')
    return ""


def _item_parts(item: dict[str, Any]) -> tuple[str, str]:
    """An item's HTML before and after its number: everything but the number is the same for every candidate who
    sees the item with its options in the same order."""
    slot = escape(item["slot"])
    points = escape(_("%(points)s points") % {"points": item["points"]})
    before = (f'<section class="player-item" id="item-{slot}" data-slot="{slot}" data-type="{escape(item["type"])}" '
              f'aria-labelledby="heading-{slot}"><h2 id="heading-{slot}" class="player-item-heading">')
    after = (f' <span class="muted">· {escape(item["type_label"])} · {points}</span></h2>'
             f'{_stem(item)}{_choices(item)}'
             f'<label class="player-flag"><input type="checkbox" class="flag-input"> '
             f'{_phrases()["flag"]}</label></section>')
    return before, after


def item_html(item: dict[str, Any], parts: tuple[str, str] | None = None, heading: str = "") -> str:
    """One item as ``selectors.player_items`` describes it (``heading``: "Question %(n)s", translated)."""
    before, after = parts or _item_parts(item)
    return f'{before}{escape((heading or _("Question %(n)s")) % {"n": item["number"]})}{after}'


# A session's candidates see the same few papers with options in a handful of orders each: the parts of an item are
# kept per (paper, slot, option order, language). Frozen papers never change, and the key holds the paper's public
# code, so an entry can't outlive its paper's content. Bounded: about 20 MB at most.
_PARTS: OrderedDict[tuple, tuple[str, str]] = OrderedDict()
_PARTS_KEPT = 20_000
_PARTS_LOCK = threading.Lock()


def items_html(items: list[dict[str, Any]], paper_key: tuple | None = None) -> SafeString:
    """The items in the candidate's order. With ``paper_key`` (the paper's id and code) their parts are cached."""
    if paper_key is None:
        return mark_safe("\n".join(item_html(item) for item in items))  # noqa: S308 - built from escaped parts
    language = get_language() or ""
    heading = _("Question %(n)s")
    html = []
    for item in items:
        key = (*paper_key, item["slot"], tuple(o["id"] for o in item["options"]), language)
        parts = _PARTS.get(key)
        if parts is None:
            parts = _item_parts(item)
            with _PARTS_LOCK:  # the threads of one worker share the cache
                _PARTS[key] = parts
                while len(_PARTS) > _PARTS_KEPT:
                    _PARTS.popitem(last=False)
        html.append(item_html(item, parts, heading))
    return mark_safe("\n".join(html))  # noqa: S308 - built from escaped parts


def navigator_html(items: list[dict[str, Any]]) -> SafeString:
    return mark_safe("".join(  # noqa: S308 - slots and numbers are escaped
        f'<li><button type="button" class="nav-item" data-goto="{escape(i["slot"])}" id="nav-{escape(i["slot"])}">'
        f'{i["number"]}</button></li>' for i in items))
