"""Reads for the player and for other apps."""

from __future__ import annotations

from typing import Any

from aigcert.catalog.api import ItemType
from aigcert.core.api import NotFound
from aigcert.delivery.models import Attempt, Response
from aigcert.exams.api import PaperData
from aigcert.itembank import api as itembank


def responses_of(attempt: Attempt) -> dict[str, Response]:
    return {r.slot: r for r in Response.objects.filter(attempt=attempt)}


def player_items(attempt: Attempt, paper: PaperData) -> list[dict[str, Any]]:
    """The paper in the candidate's order, options in their shuffled order and lettered by position."""
    by_slot = {item["slot"]: item for item in paper.items}
    items = []
    for number, slot in enumerate(attempt.order["slots"], start=1):
        item = by_slot[slot]
        payload = item["payload"]
        options = []
        if payload.get("options"):
            by_id = {o["id"]: o for o in payload["options"]}
            options = [{"id": oid, "label": itembank.option_label(i), "html": by_id[oid]["html"]}
                       for i, oid in enumerate(attempt.order["options"].get(slot, list(by_id)))]
        items.append({"number": number, "slot": slot, "type": item["item_type"],
                      "type_label": str(ItemType(item["item_type"]).label), "points": item["points"],
                      "payload": payload, "options": options})
    return items



def access_attempt(candidate_id: int, code) -> Attempt:
    """The candidate's attempt; someone else's and a missing one look the same."""
    attempt = Attempt.objects.filter(code=code, candidate_id=candidate_id).first()
    if attempt is None:
        raise NotFound()
    return attempt
