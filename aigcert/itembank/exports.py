"""Exports of the bank (current versions) and the spreadsheet template."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet

from aigcert.itembank import qti, xlsx
from aigcert.itembank.content import ItemContent
from aigcert.itembank.models import Asset, Item, ItemVersion
from aigcert.itembank.services import version_content

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CHUNK = 500


def _contents(items: QuerySet[Item] | Iterable[Item]) -> Iterator[tuple[Item, ItemContent]]:
    """(item, current content), in chunks so that a large bank isn't held in memory twice."""
    ids = list(items.values_list("pk", flat=True)) if isinstance(items, QuerySet) else [i.pk for i in items]
    for start in range(0, len(ids), _CHUNK):
        chunk = (Item.objects.filter(pk__in=ids[start:start + _CHUNK]).select_related("program")
                 .prefetch_related(Prefetch("head", ItemVersion.objects.prefetch_related("standards")))
                 .order_by("pk"))
        for item in chunk:
            if item.head is not None:
                version = item.head
                version.item = item
                yield item, version_content(version)


def xlsx_bytes(items) -> bytes:
    return xlsx.workbook_export((item.program.code, content, str(item.code)) for item, content in _contents(items))


def _asset_bytes(filename: str) -> bytes | None:
    sha, _, extension = filename.partition(".")
    asset = Asset.objects.filter(sha256=sha, extension=extension).first()
    if asset is None:
        return None
    with asset.file.open("rb") as handle:
        return handle.read()


def qti_package(items) -> bytes:
    return qti.package_write(((f"item-{item.code}", content) for item, content in _contents(items)), _asset_bytes)


def template_bytes() -> bytes:
    from aigcert.itembank.demo import template_examples

    return xlsx.template_build(template_examples())
