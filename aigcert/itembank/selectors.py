"""Reads of the item bank."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from aigcert.itembank.models import Asset, ImportJob, Item, ItemVersion, ReviewComment


@dataclass(frozen=True)
class ItemFilter:
    program: str = ""
    item_type: str = ""
    status: str = ""
    standard: str = ""
    difficulty: int | None = None
    text: str = ""


def item_search(f: ItemFilter) -> QuerySet[Item]:
    items = Item.objects.select_related("head", "live", "program", "created_by")
    if f.program:
        items = items.filter(program__code=f.program)
    if f.item_type:
        items = items.filter(item_type=f.item_type)
    if f.status:
        items = items.filter(status=f.status)
    if f.standard:
        items = items.filter(head__standards__code=f.standard)
    if f.difficulty:
        items = items.filter(head__difficulty=f.difficulty)
    if f.text:
        for word in f.text.split()[:5]:
            items = items.filter(Q(head__stem_text__icontains=word) | Q(head__explanation__icontains=word))
    return items.distinct().order_by("-id")


def item_by_code(code) -> Item | None:
    return (Item.objects.select_related("head", "live", "program", "created_by")
            .filter(code=code).first())


def item_versions(item: Item) -> list[ItemVersion]:
    return list(item.versions.select_related("created_by", "approved_by").prefetch_related("standards"))


def item_comments(item: Item) -> list[ReviewComment]:
    return list(item.comments.select_related("author", "version"))


def version_by_code(code) -> ItemVersion | None:
    return ItemVersion.objects.select_related("item").filter(code=code).first()


def asset_by_sha(sha256: str, extension: str) -> Asset | None:
    return Asset.objects.filter(sha256=sha256, extension=extension).first()


def import_job_for(user, code) -> ImportJob | None:
    """An import job, only for the person who uploaded it (anyone else gets the same 'not found')."""
    return ImportJob.objects.filter(code=code, created_by=user).first()


def bank_fingerprints(fingerprints: set[str]) -> dict[str, int]:
    """Items (by id) whose current version has one of these stem fingerprints."""
    found = (ItemVersion.objects.filter(fingerprint__in=fingerprints, item__head_id=F("pk"))
             .exclude(item__status=Item.Status.RETIRED).values_list("fingerprint", "item_id"))
    return dict(found)


def bank_stems() -> list[tuple[int, str]]:
    """(item id, stem text) of every item's current version that isn't retired, for near-duplicate checks."""
    return list(Item.objects.exclude(status=Item.Status.RETIRED).filter(head__isnull=False)
                .values_list("pk", "head__stem_text"))
