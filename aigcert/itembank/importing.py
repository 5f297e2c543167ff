"""Checking a whole file before anything is written, then writing all of it at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from aigcert.core.api import DomainError
from aigcert.itembank import selectors, services, xlsx
from aigcert.itembank.duplicates import NearDuplicateIndex, fingerprint
from aigcert.itembank.sanitize import plain_text


@dataclass
class ImportCheck:
    prepared: list[services.PreparedItem] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    problems: list[xlsx.SheetProblem] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    total_rows: int = 0
    standards_cache: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def xlsx_check(path: Path, *, default_program: str = "",
               progress: Callable[[int, int], None] | None = None) -> ImportCheck:
    """Every problem in the file (sheet, row, column, message) and every possible duplicate. Writes nothing."""
    check = ImportCheck()
    try:
        sheet = xlsx.sheet_read(path, default_program=default_program, progress=progress)
    except xlsx.XlsxRejected as rejected:
        check.problems = rejected.problems
        return check
    check.total_rows = sheet.total_rows
    check.problems = sheet.problems
    for row in sheet.rows:
        for problem in services.items_prepare(row.program, row.content, check.standards_cache):
            column, name = sheet.where(problem.field)
            check.problems.append(xlsx.SheetProblem(xlsx.ITEMS_SHEET, row.row, column, name, problem.message))
        check.prepared.append(services.PreparedItem(row.program, row.content))
        check.rows.append(row.row)
    check.problems.sort(key=lambda p: (p.row, p.column))
    check.duplicates = duplicates_find(check.prepared, check.rows)
    return check


def duplicates_find(prepared: list[services.PreparedItem], labels: list[Any]) -> list[dict[str, Any]]:
    """Items whose stem is the same as, or close to, one already in the bank or earlier in the same file."""
    texts = [plain_text(p.content.stem) for p in prepared]
    exact = selectors.bank_fingerprints({fingerprint(t) for t in texts})
    index = NearDuplicateIndex()
    for item_id, stem_text in selectors.bank_stems():
        index.add(("bank", item_id), stem_text)
    found = []
    for label, text in zip(labels, texts, strict=True):
        same = exact.get(fingerprint(text))
        match = None if same else index.best_match(text)
        if same:
            found.append({"row": label, "item_id": same, "similarity": 100, "in_file": False})
        elif match:
            kind, ref = match.ref
            found.append({"row": label, "item_id": ref if kind == "bank" else None,
                          "other_row": ref if kind == "file" else None,
                          "similarity": round(match.similarity * 100), "in_file": kind == "file"})
        index.add(("file", label), text)
    return found


def check_write(*, actor, check: ImportCheck, source: str, skip_duplicates: bool = False) -> int:
    """Write a clean check's items in one transaction; with skip_duplicates, leave flagged rows out."""
    if not check.ok:
        raise DomainError(_("The file has problems; nothing was imported."))
    skip = {d["row"] for d in check.duplicates} if skip_duplicates else set()
    chosen = [p for p, row in zip(check.prepared, check.rows, strict=True) if row not in skip]
    if not chosen:
        return 0
    return len(services.items_import(actor=actor, prepared=chosen, source=source,
                                     standards_cache=check.standards_cache))
