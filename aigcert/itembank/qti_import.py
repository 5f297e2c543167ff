"""Bringing QTI items into the bank: images stored, items checked, then written together (or not at all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aigcert.catalog import api as catalog_api
from aigcert.itembank import qti, services
from aigcert.itembank.assets import ImageRejected, asset_store, asset_url_for
from aigcert.itembank.importing import duplicates_find


def qti_import(*, path: Path, program_code: str, actor, dry_run: bool = False,
               skip_unsupported: bool = False) -> dict[str, Any]:
    catalog_api.program_pk(program_code)  # NotFound for an unknown program, before reading anything
    result = qti.qti_read(path)
    rejected = [{"where": r.identifier, "reason": r.reason} for r in result.rejected]
    standards_cache: dict[str, dict[str, int]] = {}
    prepared: list[services.PreparedItem] = []
    identifiers: list[str] = []
    for entry in result.items:
        reason = _images_point(entry)
        problems = [] if reason else services.items_prepare(program_code, entry.content, standards_cache)
        if reason or problems:
            rejected.append({"where": entry.identifier,
                             "reason": reason or "; ".join(f"{p.field}: {p.message}" for p in problems)})
            continue
        prepared.append(services.PreparedItem(program_code, entry.content))
        identifiers.append(entry.identifier)
    summary = {"file": str(path), "format": "qti", "dry_run": dry_run, "checked": len(prepared), "imported": 0,
               "rejected": rejected, "duplicates": duplicates_find(prepared, identifiers) if prepared else []}
    if dry_run or not prepared or (rejected and not skip_unsupported):
        return summary
    with transaction.atomic():
        for entry in result.items:
            if entry.identifier in identifiers:
                for package_path, data in entry.images.items():
                    asset_store(name=package_path, data=data, actor=actor)
        items = services.items_import(actor=actor, prepared=prepared, source=path.name,
                                      standards_cache=standards_cache)
    summary["imported"] = len(items)
    return summary


def _images_point(entry: qti.QtiItem) -> str:
    """Check the item's images and point its HTML at the URLs they will have; the reason it can't be imported."""
    urls = {}
    for package_path, data in entry.images.items():
        try:
            urls[package_path] = asset_url_for(package_path, data)
        except ImageRejected as exc:
            return str(exc.message)
    item = entry.content
    item.stem = qti.image_sources_rewrite(item.stem, urls)
    for option in item.options:
        option.html = qti.image_sources_rewrite(option.html, urls)
    if not item.stem.strip():
        return _("The item has an empty stem.")
    return ""
