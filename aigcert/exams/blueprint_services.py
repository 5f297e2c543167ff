"""The exam office's blueprint editor: the list of versions, a new version started from an old one, and the check
with its summary (points, items, what the bank holds per type, area and difficulty). Saving is
`blueprints.blueprint_save` (append-only: the new version replaces the active one in one transaction)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from aigcert.catalog import api as catalog
from aigcert.core.api import NotFound
from aigcert.exams import assembly, blueprints
from aigcert.exams.models import Blueprint


def plain(value: Decimal) -> str:
    """A decimal as people write it: 1.5, 100 (not 1.50 or 1E+2)."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class TypeLine:
    item_type: str
    label: str
    count: int
    points: str  # per item
    subtotal: str
    bank: int  # approved versions of this type the mode may use


@dataclass(frozen=True)
class AreaLine:
    area_code: str
    title: str
    min_items: int
    max_items: int | None
    bank: int  # of the blueprint's item types


@dataclass(frozen=True)
class LevelLine:
    level: int
    share: str  # "" when the mix leaves the level out
    target: str  # items per paper the share asks for
    bank: int


@dataclass(frozen=True)
class Summary:
    total_points: str
    item_count: int
    types: tuple[TypeLine, ...]
    areas: tuple[AreaLine, ...]
    levels: tuple[LevelLine, ...]
    bank_size: int


@dataclass(frozen=True)
class Review:
    reasons: list[str]  # empty when the blueprint can be used
    summary: Summary | None  # only when it can


@dataclass(frozen=True)
class Version:
    blueprint: Blueprint
    sections: str  # "Single choice 60 × 1 · Multiple choice 20 × 1.5"


@dataclass(frozen=True)
class Group:
    program_code: str
    program_name: str
    mode: str
    mode_label: str
    versions: list[Version]  # newest first


def program_name(program_code: str) -> str:
    try:
        return catalog.program_get(program_code).name
    except NotFound:
        return program_code


def program_item_types(program_code: str) -> list[tuple[str, str]]:
    """(code, label) of the item types the program's exam policy allows; empty without a policy."""
    try:
        program = catalog.program_get(program_code)
    except NotFound:
        return []
    if program.exam is None:
        return []
    return [(t, str(catalog.ItemType(t).label)) for t in program.exam.item_types]


def program_areas(program_code: str) -> list[tuple[str, str]]:
    """(area code, title) of the program's evaluation-standard areas, in standard order."""
    return list({s.area_code: s.area_title for s in catalog.standard_items(program_code)}.items())


def blueprint_by_code(code: str) -> Blueprint | None:
    try:
        return Blueprint.objects.filter(code=code).first()
    except ValidationError:  # not a uuid
        return None


def blueprint_groups(program_code: str | None = None) -> list[Group]:
    """Every program (and mode) with its blueprint versions, newest first; programs without any are listed too,
    so the office can start their first one."""
    programs = dict(catalog.program_choices())
    versions = Blueprint.objects.select_related("created_by").order_by("program_code", "mode", "-created_at", "-id")
    if program_code:
        versions = versions.filter(program_code=program_code)
    by_key: dict[tuple[str, str], list[Version]] = {}
    for blueprint in versions:
        by_key.setdefault((blueprint.program_code, blueprint.mode), []).append(
            Version(blueprint, sections_text(blueprint.sections)))
    codes = [program_code] if program_code else list(programs)
    codes += sorted({code for code, _mode in by_key} - set(codes))
    return [Group(code, programs.get(code) or program_name(code), mode, str(label), by_key.get((code, mode), []))
            for code in codes for mode, label in Blueprint.Mode.choices]


def sections_text(sections: list[dict]) -> str:
    parts = []
    for section in sections:
        try:
            label = str(catalog.ItemType(section["item_type"]).label)
        except (KeyError, ValueError):
            label = str(section.get("item_type", "?"))
        parts.append(f"{label} {section.get('count')} × {section.get('points')}")
    return " · ".join(parts)


def blueprint_initial(blueprint: Blueprint) -> dict:
    """The editor's fields filled from an existing version (`?from=<code>`)."""
    initial = {
        "program": blueprint.program_code, "mode": blueprint.mode, "name": blueprint.name,
        "layout": blueprint.layout, "paper_mode": blueprint.paper_mode, "forms_count": blueprint.forms_count,
        "shuffle_items": blueprint.shuffle_items, "shuffle_options": blueprint.shuffle_options,
        "exposure_cap": blueprint.exposure_cap,
    }
    for n, section in enumerate(blueprint.sections):
        initial.update({f"section_{n}_type": section.get("item_type"), f"section_{n}_count": section.get("count"),
                        f"section_{n}_points": section.get("points")})
    for n, area in enumerate(blueprint.areas):
        initial.update({f"area_{n}_code": area.get("area_code"), f"area_{n}_min": area.get("min_items"),
                        f"area_{n}_max": area.get("max_items")})
    for level, share in (blueprint.difficulty_mix or {}).items():
        initial[f"difficulty_{level}"] = share
    return initial


def blueprint_review(*, program_code: str, mode: str, spec: assembly.BlueprintSpec) -> Review:
    """Check a blueprint (policy rules, then the bank) and, when it passes, summarize it against the bank."""
    bank = blueprints.bank_for(program_code, mode)
    reasons = blueprints.blueprint_check(program_code=program_code, spec=spec, mode=mode, bank=bank)
    if reasons:
        return Review(reasons, None)
    return Review([], summarize(program_code, spec, bank))


def summarize(program_code: str, spec: assembly.BlueprintSpec, bank: list[assembly.BankItem]) -> Summary:
    by_type = Counter(item.item_type for item in bank)
    types = {s.item_type for s in spec.sections}
    usable = [item for item in bank if item.item_type in types]
    by_area = Counter(item.area_code for item in usable)
    by_level = Counter(item.difficulty for item in usable)
    titles = dict(program_areas(program_code))
    return Summary(
        total_points=plain(spec.total_points), item_count=spec.item_count,
        types=tuple(TypeLine(s.item_type, str(catalog.ItemType(s.item_type).label), s.count, plain(s.points),
                             plain(s.points * s.count), by_type[s.item_type]) for s in spec.sections),
        areas=tuple(AreaLine(a.area_code, titles.get(a.area_code, ""), a.min_items, a.max_items,
                             by_area[a.area_code]) for a in spec.areas),
        levels=tuple(LevelLine(level, plain(spec.difficulty_mix[level]) if level in spec.difficulty_mix else "",
                               plain((spec.difficulty_mix[level] * spec.item_count).quantize(Decimal("0.1")))
                               if level in spec.difficulty_mix else "", by_level[level])
                     for level in range(1, 6)),
        bank_size=len(usable),
    )
