"""Objective scoring of one response against an item's content, with the rules of ``rules.py``. Pure.

Response values are the ones the exam player sends (docs/delivery.md): an option id for single choice, a list
of option ids for multiple choice, ``true``/``false`` for true/false, a list of strings (one per blank) for
fill-in. Anything else, or a value of the wrong shape, scores 0 rather than failing: a response is evidence
of what the candidate did, and a malformed one earns nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aigcert.itembank import content as c
from aigcert.itembank import rules
from aigcert.itembank.content import ItemContent


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str)]


def objective_score(item: ItemContent, value: Any) -> Decimal | None:
    """Points earned by ``value``; None for item types that humans or the judge score."""
    points = item.points or rules.ZERO
    t = item.item_type
    if t == c.SINGLE_CHOICE:
        if item.scoring == c.MAP and item.choice_map is not None:
            return rules.map_response(item.choice_map, [value] if isinstance(value, str) else [])
        return rules.score_single_choice(item.key[0] if item.key else "", value if isinstance(value, str) else None,
                                         points)
    if t == c.MULTIPLE_CHOICE:
        chosen = _strings(value)
        if item.scoring == c.MAP and item.choice_map is not None:
            return rules.map_response(item.choice_map, chosen)
        partial = item.partial_credit if item.scoring == c.PARTIAL else None
        return rules.score_multiple_choice(item.key, chosen, points, partial_credit=partial)
    if t == c.TRUE_FALSE:
        key = bool(item.key) and item.key[0] == "true"
        return rules.score_true_false(key, value if isinstance(value, bool) else None, points)
    if t == c.FILL_IN:
        responses = value if isinstance(value, list) else []
        texts = [r if isinstance(r, str) else None for r in responses]
        return sum(rules.score_fill_in([b.mapping() for b in item.blanks], texts), rules.ZERO)
    return None


def is_answered(item_type: str, value: Any) -> bool:
    """Whether a response says anything at all (an empty list or blank text is no answer)."""
    if value is None:
        return False
    if item_type == c.TRUE_FALSE:
        return isinstance(value, bool)
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list):
        return any(isinstance(v, str) and v.strip() for v in value)
    if isinstance(value, dict):
        return bool(value.get("upload"))
    return False
