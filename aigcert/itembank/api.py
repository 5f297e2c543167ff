"""What other apps may ask the item bank."""

from __future__ import annotations

from typing import Any

from aigcert.core.api import NotFound
from aigcert.itembank import services
from aigcert.itembank.data import VersionData
from aigcert.itembank.demo import demo_bank_load
from aigcert.itembank.models import Item, ItemVersion
from aigcert.itembank.payloads import delivery_payload

__all__ = ["VersionData", "approved_versions", "demo_bank_load", "version_delivery_payload"]


def approved_versions(program_code: str, *, item_type: str | None = None) -> list[VersionData]:
    """The approved version of every item of a program that isn't retired: what papers may use."""
    items = (Item.objects.filter(program__code=program_code, live__isnull=False)
             .exclude(status=Item.Status.RETIRED).select_related("live").prefetch_related("live__standards"))
    if item_type:
        items = items.filter(item_type=item_type)
    return [
        VersionData(id=item.live.pk, code=str(item.live.code), item_code=str(item.code), item_type=item.item_type,
                    points=item.live.points, difficulty=item.live.difficulty,
                    standards=tuple(s.code for s in item.live.standards.all()))
        for item in items
    ]


def version_delivery_payload(version_id: int) -> dict[str, Any]:
    """What a candidate's browser may receive for a version: never its key, rubric, explanation or tests."""
    version = ItemVersion.objects.select_related("item").filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    return delivery_payload(services.version_content(version))


