"""The demo bank: enough original items, every competency and type covered, and programs whose tests hold."""

import subprocess
import sys
from collections import Counter

import pytest

from aigcert.catalog import api as catalog_api
from aigcert.itembank import content as c
from aigcert.itembank import services
from aigcert.itembank.demo import DEMO_DIR, bank_file_read, demo_bank_load
from aigcert.itembank.models import Item
from aigcert.itembank.sanitize import plain_text


def _bank():
    return [(program, item) for path in sorted(DEMO_DIR.glob("*.yaml")) for program, items in [bank_file_read(path)]
            for item in items]


def test_general_level_has_at_least_300_objective_items_covering_every_competency(catalog):
    general = [item for program, item in _bank() if program == "aigc-general"]
    assert len(general) >= 300
    assert {item.item_type for item in general} == c.OBJECTIVE_TYPES
    covered = Counter(code for item in general for code in item.standards)
    codes = [s.code for s in catalog_api.standard_items("aigc-general")]
    assert set(covered) == set(codes)
    assert min(covered[code] for code in codes) >= 20
    assert all(plain_text(item.explanation) for item in general), "every item has an explanation"


def test_at_least_20_subjective_items_for_professional_and_mentor_levels():
    subjective = [(program, item) for program, item in _bank() if item.item_type not in c.OBJECTIVE_TYPES]
    assert len(subjective) >= 20
    assert {program for program, _ in subjective} == {"aigc-professional", "aigc-mentor"}
    assert {item.item_type for _, item in subjective} == {c.ESSAY, c.WORK_UPLOAD, c.PROMPT_TASK, c.PROGRAM}


def test_no_two_demo_stems_are_the_same():
    stems = Counter(plain_text(item.stem) for _, item in _bank())
    assert [stem for stem, n in stems.items() if n > 1] == []


def _output(code: str, stdin: str) -> str:
    run = subprocess.run([sys.executable, "-I", "-c", code], input=stdin, capture_output=True, text=True,
                         timeout=20, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _same(actual: str, expected: str) -> bool:
    def lines(text):
        return [line.rstrip() for line in text.rstrip().splitlines()]
    return lines(actual) == lines(expected)


@pytest.mark.parametrize("item", [item for _, item in _bank() if item.item_type == c.PROGRAM],
                         ids=lambda item: plain_text(item.stem)[:20])
def test_programming_items_reference_solutions_pass_their_tests(item):
    assert item.reference_solution and item.tests
    for case in item.tests:
        assert _same(_output(item.reference_solution, case.input), case.output), case.input


def test_demo_load_is_valid_approved_and_idempotent(catalog, item_author, item_reviewer):
    added = demo_bank_load(author=item_author, reviewer=item_reviewer)
    assert added == len(_bank())
    assert Item.objects.exclude(status=Item.Status.APPROVED).count() == 0
    assert Item.objects.filter(live__isnull=True).count() == 0
    assert demo_bank_load(author=item_author, reviewer=item_reviewer) == 0
    assert Item.objects.count() == added
    sample = Item.objects.filter(item_type=c.FILL_IN).select_related("head").first()
    assert services.version_content(sample.head).blanks
