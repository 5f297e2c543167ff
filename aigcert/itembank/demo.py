"""The demo bank: original items in data files, loaded by ``aigcert demo`` and approved by the demo reviewer."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from aigcert.core.api import DomainError
from aigcert.itembank import content as c
from aigcert.itembank import selectors, services
from aigcert.itembank.content import Answer, Blank, Criterion, ItemContent, Level, Option, TestCase
from aigcert.itembank.duplicates import fingerprint
from aigcert.itembank.models import Item
from aigcert.itembank.sanitize import plain_text, text_to_html

DATA_DIR = Path(__file__).parent / "data"
DEMO_DIR = DATA_DIR / "demo"
EXAMPLES_FILE = DATA_DIR / "template-examples.yaml"
DEFAULT_POINTS = {c.SINGLE_CHOICE: 1, c.TRUE_FALSE: 1, c.MULTIPLE_CHOICE: 2}
DEFAULT_PARTIAL_CREDIT = Decimal("0.5")


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def yaml_item(data: dict[str, Any], default_source: str = "") -> ItemContent:
    """One item of a bank data file (format in docs/itembank.md) as content."""
    t = data["type"]
    item = ItemContent(item_type=t, stem=text_to_html(str(data["stem"])), difficulty=int(data["difficulty"]),
                       explanation=text_to_html(str(data.get("explanation", ""))),
                       standards=[str(s) for s in data.get("standards", [])],
                       source=str(data.get("source", default_source)))
    if "points" in data:
        item.points = _dec(data["points"])
    elif t in DEFAULT_POINTS:
        item.points = Decimal(DEFAULT_POINTS[t])
    if t in c.CHOICE_TYPES:
        item.options = [Option(c.option_label(i), text_to_html(str(text))) for i, text in enumerate(data["options"])]
        key = data["key"]
        item.key = [str(k) for k in (key if isinstance(key, list) else [key])]
        if t == c.MULTIPLE_CHOICE:
            scoring = data.get("scoring", c.PARTIAL)
            item.scoring = scoring
            if scoring == c.PARTIAL:
                item.partial_credit = _dec(data.get("partial_credit", DEFAULT_PARTIAL_CREDIT))
    elif t == c.TRUE_FALSE:
        item.key = ["true" if data["key"] is True or str(data["key"]).lower() == "true" else "false"]
    elif t == c.FILL_IN:
        per_blank = _dec(data.get("blank_points", 1))
        item.blanks = [Blank([Answer(str(a), per_blank, bool(data.get("case_sensitive", False))) for a in answers])
                       for answers in data["blanks"]]
        item.points = None
    elif t == c.ESSAY:
        item.min_words, item.max_words = data.get("min_words"), data.get("max_words")
    elif t == c.WORK_UPLOAD:
        item.allowed_types = [str(x).lower() for x in data.get("allowed_types", [])]
        item.max_size_mb = data.get("max_size_mb")
    elif t == c.PROGRAM:
        item.starter_code = data.get("starter_code", "") or ""
        item.reference_solution = data.get("reference_solution", "") or ""
        item.time_limit_ms, item.memory_limit_mb = data.get("time_limit_ms"), data.get("memory_limit_mb")
        item.tests = [TestCase(str(t_["input"]), str(t_["output"]), _dec(t_["points"])) for t_ in data["tests"]]
    elif t == c.PROMPT_TASK:
        item.reference_prompt = data.get("reference_prompt", "") or ""
        item.qualities = [str(q) for q in data.get("qualities", [])]
    if t in c.RUBRIC_TYPES:
        item.rubric = [Criterion(str(cr["criterion"]),
                                 [Level(str(lv["label"]), _dec(lv["points"]), str(lv.get("description", "")))
                                  for lv in cr["levels"]])
                       for cr in data.get("rubric", [])]
    item.settle_points()
    return item


def bank_file_read(path: Path) -> tuple[str, list[ItemContent]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = data.get("source", "")
    return data["program"], [yaml_item(entry, source) for entry in data["items"]]


def template_examples() -> list[tuple[str, ItemContent]]:
    program, items = bank_file_read(EXAMPLES_FILE)
    return [(program, item) for item in items]


def demo_bank_load(*, author, reviewer) -> int:
    """Load every demo file; items already in the bank (same stem) are left alone. Returns the number added."""
    standards_cache: dict[str, dict[str, int]] = {}
    prepared: list[services.PreparedItem] = []
    problems: list[str] = []
    alternate: set[int] = set()  # positions in `prepared` of the files whose items alternate formal/practice
    for path in sorted(DEMO_DIR.glob("*.yaml")):
        program, items = bank_file_read(path)
        split = yaml.safe_load(path.read_text(encoding="utf-8")).get("usage") == "alternate"
        existing = selectors.bank_fingerprints({fingerprint(plain_text(i.stem)) for i in items})
        for number, item in enumerate(items, start=1):
            if fingerprint(plain_text(item.stem)) in existing:
                continue
            found = services.items_prepare(program, item, standards_cache)
            problems += [f"{path.name} #{number}: {p.field}: {p.message}" for p in found]
            if split:
                alternate.add(len(prepared))
            prepared.append(services.PreparedItem(program, item))
    if problems:
        raise DomainError(_("The demo bank has problems:") + "\n" + "\n".join(problems))
    if not prepared:
        return 0
    items = services.items_import(actor=author, prepared=prepared, source="demo", standards_cache=standards_cache)
    services.items_approve(actor=reviewer, item_codes=[str(item.code) for item in items])
    _usage_alternate([item for n, item in enumerate(items) if n in alternate])
    return len(items)


def _usage_alternate(items) -> None:
    """Every second objective item of each type for formal exams only, the rest for mocks and practice."""
    seen: dict[str, int] = {}
    for item in items:
        if item.item_type not in c.OBJECTIVE_TYPES:
            continue
        n = seen.get(item.item_type, 0)
        seen[item.item_type] = n + 1
        usage = Item.Usage.FORMAL if n % 2 and item.item_type != c.FILL_IN else Item.Usage.PRACTICE
        Item.objects.filter(pk=item.pk).update(usage=usage)
