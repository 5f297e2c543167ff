"""What a candidate's browser may receive for an item version: never a key, rubric, explanation or test."""

from __future__ import annotations

from typing import Any

from aigcert.itembank import content as c
from aigcert.itembank.content import ItemContent

# The only fields that may leave the server during an exam. Anything else stays behind, whatever is added
# to an item's content later: this is an allow-list, not a deny-list.
_SAFE_DETAILS = {
    c.ESSAY: ("min_words", "max_words"),
    c.WORK_UPLOAD: ("allowed_types", "max_size_mb"),
    c.PROGRAM: ("language", "starter_code", "time_limit_ms", "memory_limit_mb"),
}


def delivery_payload(item: ItemContent) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": item.item_type, "points": format(item.points.normalize(), "f")}
    if item.item_type == c.FILL_IN:
        parts: list[dict[str, Any]] = []
        position = 0
        for match in c.BLANK.finditer(item.stem):
            parts.append({"html": item.stem[position:match.start()]})
            parts.append({"blank": int(match.group(1))})
            position = match.end()
        parts.append({"html": item.stem[position:]})
        payload["stem_parts"] = parts
        payload["blanks"] = len(item.blanks)
    else:
        payload["stem_html"] = item.stem
    if item.item_type in c.CHOICE_TYPES:
        payload["options"] = [{"id": o.id, "label": c.option_label(i), "html": o.html}
                              for i, o in enumerate(item.options)]
        payload["multiple"] = item.item_type == c.MULTIPLE_CHOICE
    details = item.details()
    for name in _SAFE_DETAILS.get(item.item_type, ()):
        payload[name] = details.get(name)
    return payload


def posted_value(item_type: str, post) -> Any:
    """A candidate's answer to an objective item as posted by the answer form (itembank/answer_fields.html)."""
    if item_type == c.SINGLE_CHOICE:
        return post.get("r") or None
    if item_type == c.MULTIPLE_CHOICE:
        return sorted(post.getlist("r")) or None
    if item_type == c.TRUE_FALSE:
        return {"true": True, "false": False}.get(post.get("r", ""))
    if item_type == c.FILL_IN:
        blanks = sorted((k for k in post if k.startswith("blank-") and k[6:].isdecimal()), key=lambda k: int(k[6:]))
        return [post.get(k, "")[:200] for k in blanks]
    return None
