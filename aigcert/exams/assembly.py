"""Blueprints and paper assembly as pure functions (no ORM): validate a blueprint, check it against the bank,
and draw papers that honour section counts and points, area coverage, a difficulty mix and an exposure cap.

Deterministic: the same blueprint, bank, exposure counts and seed give the same paper, so a paper can be
re-derived and audited from its recorded seed.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Section:
    item_type: str
    count: int
    points: Decimal  # per item


@dataclass(frozen=True)
class AreaRange:
    area_code: str
    min_items: int
    max_items: int | None = None


@dataclass(frozen=True)
class BlueprintSpec:
    sections: tuple[Section, ...]
    areas: tuple[AreaRange, ...] = ()
    difficulty_mix: dict[int, Decimal] = field(default_factory=dict)  # difficulty 1–5 → share of items (sum 1)
    exposure_cap: Decimal | None = None  # at most this share of papers may contain any one item

    @property
    def item_count(self) -> int:
        return sum(s.count for s in self.sections)

    @property
    def total_points(self) -> Decimal:
        return sum((s.points * s.count for s in self.sections), Decimal(0))


@dataclass(frozen=True)
class BankItem:
    version_id: int
    item_type: str
    area_code: str  # the evaluation-standard area the item is filed under ("" when none)
    difficulty: int


@dataclass(frozen=True)
class Problem:
    """A reason a blueprint is refused; `code` picks the message, `params` fill it (translated by the caller)."""

    code: str
    params: dict


@dataclass(frozen=True)
class Pick:
    version_id: int
    item_type: str
    area_code: str
    points: Decimal


class AssemblyError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.code} {p.params}" for p in problems))
        self.problems = problems


def blueprint_problems(spec: BlueprintSpec, *, total_score: int, allowed_types: tuple[str, ...],
                       known_areas: tuple[str, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if not spec.sections:
        problems.append(Problem("no_sections", {}))
    seen = Counter(s.item_type for s in spec.sections)
    for item_type, times in seen.items():
        if times > 1:
            problems.append(Problem("type_twice", {"type": item_type}))
    for section in spec.sections:
        if section.item_type not in allowed_types:
            problems.append(Problem("type_not_allowed", {"type": section.item_type}))
        if section.count < 1 or section.points <= 0:
            problems.append(Problem("section_empty", {"type": section.item_type}))
    if spec.sections and spec.total_points != total_score:
        problems.append(Problem("total", {"total": spec.total_points.normalize(), "expected": total_score}))
    for area in spec.areas:
        if area.area_code not in known_areas:
            problems.append(Problem("unknown_area", {"area": area.area_code}))
        if area.min_items < 0 or (area.max_items is not None and area.max_items < area.min_items):
            problems.append(Problem("area_range", {"area": area.area_code}))
    if sum(a.min_items for a in spec.areas) > spec.item_count:
        problems.append(Problem("area_minimums", {"minimum": sum(a.min_items for a in spec.areas),
                                                  "items": spec.item_count}))
    if spec.difficulty_mix:
        if any(level not in range(1, 6) or share < 0 for level, share in spec.difficulty_mix.items()):
            problems.append(Problem("difficulty_levels", {}))
        if sum(spec.difficulty_mix.values()) != 1:
            problems.append(Problem("difficulty_sum", {"sum": sum(spec.difficulty_mix.values())}))
    if spec.exposure_cap is not None and not Decimal(0) < spec.exposure_cap <= 1:
        problems.append(Problem("exposure_cap", {}))
    return problems


def feasibility(spec: BlueprintSpec, bank: list[BankItem]) -> list[Problem]:
    """What the bank lacks for this blueprint, as concrete shortfalls ("多选题: need 20 in area A2, bank has 7")."""
    problems: list[Problem] = []
    by_type = Counter(item.item_type for item in bank)
    for section in spec.sections:
        if by_type[section.item_type] < section.count:
            problems.append(Problem("short_type", {"type": section.item_type, "need": section.count,
                                                   "have": by_type[section.item_type]}))
    types = {s.item_type for s in spec.sections}
    usable = [item for item in bank if item.item_type in types]
    by_area = Counter(item.area_code for item in usable)
    for area in spec.areas:
        if by_area[area.area_code] < area.min_items:
            problems.append(Problem("short_area", {"area": area.area_code, "need": area.min_items,
                                                   "have": by_area[area.area_code]}))
    # Each section must be fillable without breaking an area maximum.
    capped = {a.area_code: a.max_items for a in spec.areas if a.max_items is not None}
    for section in spec.sections:
        of_type = Counter(item.area_code for item in usable if item.item_type == section.item_type)
        reachable = sum(min(n, capped.get(area, n)) for area, n in of_type.items())
        if reachable < section.count and by_type[section.item_type] >= section.count:
            problems.append(Problem("short_type_within_caps", {"type": section.item_type, "need": section.count,
                                                               "have": reachable}))
    return problems


def paper_assemble(spec: BlueprintSpec, bank: list[BankItem], *, seed: int,
                   exposure: dict[int, int] | None = None, papers_before: int = 0) -> list[Pick]:
    """Draw one paper. Area minimums first, then the rest of each section, preferring the difficulty level that
    is furthest below its target share and the items used least so far. Items at the exposure cap are skipped
    while others remain."""
    rng = random.Random(seed)
    exposure = exposure or {}
    limit = None
    if spec.exposure_cap is not None:
        limit = int(spec.exposure_cap * (papers_before + 1))

    need = {s.item_type: s.count for s in spec.sections}
    points = {s.item_type: s.points for s in spec.sections}
    area_min = {a.area_code: a.min_items for a in spec.areas}
    area_max = {a.area_code: a.max_items for a in spec.areas if a.max_items is not None}
    # Buckets by (type, area, difficulty), each ordered least-exposed first (ties in seeded random order): a pick
    # only compares the heads of the buckets, so a paper costs O(items × buckets), not O(items × bank).
    buckets: dict[tuple[str, str, int], list[BankItem]] = defaultdict(list)
    for item in bank:
        if item.item_type in need:
            buckets[(item.item_type, item.area_code, item.difficulty)].append(item)
    for key in sorted(buckets):
        pool = buckets[key]
        rng.shuffle(pool)
        pool.sort(key=lambda item: exposure.get(item.version_id, 0))
    heads = dict.fromkeys(buckets, 0)

    chosen: list[BankItem] = []
    used_area: Counter[str] = Counter()
    used_level: Counter[int] = Counter()

    def score(item: BankItem) -> tuple:
        over_cap = limit is not None and exposure.get(item.version_id, 0) >= limit
        target = spec.difficulty_mix.get(item.difficulty)
        if target is None:
            deficit = Decimal(0) if not spec.difficulty_mix else Decimal(-1)
        else:
            deficit = target * (len(chosen) + 1) - used_level[item.difficulty]
        return (over_cap, -deficit, exposure.get(item.version_id, 0), item.version_id)

    def take(*, item_type: str | None = None, area: str | None = None) -> bool:
        best_key, best = None, None
        for key, position in heads.items():
            kind, item_area, _level = key
            if position >= len(buckets[key]) or need[kind] <= 0:
                continue
            if (item_type is not None and kind != item_type) or (area is not None and item_area != area):
                continue
            if item_area in area_max and used_area[item_area] >= area_max[item_area]:
                continue
            head = buckets[key][position]
            if best is None or score(head) < score(best):
                best_key, best = key, head
        if best is None:
            return False
        heads[best_key] += 1
        chosen.append(best)
        used_area[best.area_code] += 1
        used_level[best.difficulty] += 1
        need[best.item_type] -= 1
        return True

    for area, minimum in sorted(area_min.items()):
        while used_area[area] < minimum:
            if not take(area=area):
                raise AssemblyError([Problem("short_area", {"area": area, "need": minimum,
                                                            "have": used_area[area]})])
    for item_type in [s.item_type for s in spec.sections]:
        while need[item_type] > 0:
            if not take(item_type=item_type):
                raise AssemblyError([Problem("short_type", {"type": item_type, "need": need[item_type],
                                                            "have": 0})])
    order = {s.item_type: n for n, s in enumerate(spec.sections)}
    chosen.sort(key=lambda item: order[item.item_type])
    return [Pick(item.version_id, item.item_type, item.area_code, points[item.item_type]) for item in chosen]


def shuffled(values: list, seed: int) -> list:
    """A per-candidate order of items or options, reproducible from the recorded seed."""
    copy = list(values)
    random.Random(seed).shuffle(copy)
    return copy
