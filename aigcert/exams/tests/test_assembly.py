"""Blueprint validation, feasibility and paper assembly (pure functions, no database)."""

import random
from collections import Counter
from decimal import Decimal

import pytest

from aigcert.exams.assembly import (
    AreaRange,
    AssemblyError,
    BankItem,
    BlueprintSpec,
    Section,
    blueprint_problems,
    feasibility,
    paper_assemble,
    shuffled,
)

GENERAL = BlueprintSpec(
    sections=(Section("single_choice", 40, Decimal(1)), Section("multiple_choice", 20, Decimal(2)),
              Section("true_false", 20, Decimal(1))),
    areas=(AreaRange("A1", 20, 35), AreaRange("A2", 15, 30), AreaRange("A3", 20, None)),
    difficulty_mix={2: Decimal("0.3"), 3: Decimal("0.5"), 4: Decimal("0.2")},
    exposure_cap=Decimal("0.5"),
)
TYPES = ("single_choice", "multiple_choice", "true_false")


def bank(size: int = 600, seed: int = 1) -> list[BankItem]:
    rng = random.Random(seed)
    return [BankItem(n, rng.choice(TYPES), rng.choice(("A1", "A2", "A3")), rng.choice((2, 3, 4)))
            for n in range(1, size + 1)]


def codes(problems):
    return [p.code for p in problems]


def test_a_sound_blueprint_has_no_problems():
    assert GENERAL.total_points == 100 and GENERAL.item_count == 80
    assert blueprint_problems(GENERAL, total_score=100, allowed_types=TYPES, known_areas=("A1", "A2", "A3")) == []


def test_totals_types_areas_and_mix_are_checked():
    spec = BlueprintSpec(
        sections=(Section("single_choice", 10, Decimal(1)), Section("single_choice", 5, Decimal(1)),
                  Section("essay", 1, Decimal(10))),
        areas=(AreaRange("Z9", 1), AreaRange("A1", 5, 2)),
        difficulty_mix={3: Decimal("0.5"), 7: Decimal("0.2")},
        exposure_cap=Decimal("1.5"),
    )
    problems = blueprint_problems(spec, total_score=100, allowed_types=TYPES, known_areas=("A1",))
    assert codes(problems) == ["type_twice", "type_not_allowed", "total", "unknown_area", "area_range",
                               "difficulty_levels", "difficulty_sum", "exposure_cap"]
    total = next(p for p in problems if p.code == "total")
    assert total.params == {"total": Decimal(25), "expected": 100}


def test_feasibility_names_the_shortfall():
    small = [BankItem(n, "multiple_choice", "A2", 3) for n in range(7)] + \
            [BankItem(100 + n, "single_choice", "A1", 3) for n in range(50)]
    spec = BlueprintSpec(sections=(Section("single_choice", 40, Decimal(1)), Section("multiple_choice", 20,
                                                                                     Decimal(3))),
                         areas=(AreaRange("A2", 20),))
    problems = feasibility(spec, small)
    assert [(p.code, p.params) for p in problems] == [
        ("short_type", {"type": "multiple_choice", "need": 20, "have": 7}),
        ("short_area", {"area": "A2", "need": 20, "have": 7}),
    ]


@pytest.mark.parametrize("seed", range(25))
def test_papers_honour_counts_points_coverage_and_mix(seed):
    items = bank(seed=seed)
    paper = paper_assemble(GENERAL, items, seed=seed)
    assert len(paper) == 80 and len({p.version_id for p in paper}) == 80
    assert Counter(p.item_type for p in paper) == {"single_choice": 40, "multiple_choice": 20, "true_false": 20}
    assert sum(p.points for p in paper) == 100
    areas = Counter(p.area_code for p in paper)
    assert 20 <= areas["A1"] <= 35 and 15 <= areas["A2"] <= 30 and areas["A3"] >= 20
    by_id = {i.version_id: i for i in items}
    levels = Counter(by_id[p.version_id].difficulty for p in paper)
    # Within two items of the target mix (the bank is random, the greedy draw keeps close to it).
    assert abs(levels[2] - 24) <= 2 and abs(levels[3] - 40) <= 2 and abs(levels[4] - 16) <= 2
    assert [p.item_type for p in paper] == sorted((p.item_type for p in paper),
                                                  key=("single_choice", "multiple_choice", "true_false").index)


def test_same_seed_same_paper_and_other_seed_other_paper():
    items = bank()
    assert paper_assemble(GENERAL, items, seed=7) == paper_assemble(GENERAL, items, seed=7)
    assert paper_assemble(GENERAL, items, seed=7) != paper_assemble(GENERAL, items, seed=8)


def test_exposure_cap_spreads_items_over_papers():
    items = bank(size=400)
    exposure: Counter[int] = Counter()
    papers = 40
    for n in range(papers):
        for pick in paper_assemble(GENERAL, items, seed=n, exposure=exposure, papers_before=n):
            exposure[pick.version_id] += 1
    # The bank is large enough, so no item is on more than half of the papers.
    assert max(exposure.values()) <= papers * GENERAL.exposure_cap


def test_an_infeasible_bank_raises_with_the_reason():
    with pytest.raises(AssemblyError) as raised:
        paper_assemble(GENERAL, bank(size=60), seed=1)
    assert raised.value.problems[0].code in ("short_area", "short_type")


def test_shuffled_is_a_reproducible_permutation():
    values = list("ABCDEFGH")
    assert shuffled(values, 3) == shuffled(values, 3)
    assert sorted(shuffled(values, 3)) == values
    assert values == list("ABCDEFGH")
