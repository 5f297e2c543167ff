"""Blueprints checked against the exam policy and the real (demo) bank; papers frozen without secrets."""

import json
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import translation

from aigcert.accounts.api import Role
from aigcert.core.api import DomainError, audit_events
from aigcert.exams.blueprints import blueprint_save, paper_freeze
from aigcert.exams.models import Blueprint, Paper
from aigcert.exams.tests.conftest import every_item_for_every_use
from aigcert.itembank import api as itembank

SECTIONS = [{"item_type": "single_choice", "count": 40, "points": "1"},
            {"item_type": "multiple_choice", "count": 20, "points": "2"},
            {"item_type": "true_false", "count": 20, "points": "1"}]
AREAS = [{"area_code": "A1", "min_items": 15}, {"area_code": "A2", "min_items": 15, "max_items": 40},
         {"area_code": "A3", "min_items": 15}]
# Names that must never reach a candidate, in any item type's payload.
SECRET_FIELDS = {"key", "keys", "answer", "answers", "correct", "rubric", "explanation", "tests", "reference_solution",
                 "reference_prompt", "accepted", "blanks_accepted"}


@pytest.fixture
def bank(catalog, make_user):
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    every_item_for_every_use()


@pytest.fixture
def admin(make_user):
    return make_user(Role.EXAM_ADMIN)


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_a_sound_blueprint_is_saved_and_audited(bank, admin):
    blueprint = blueprint_save(program_code="aigc-general", mode="mock", name="通用级模拟卷", sections=SECTIONS,
                               areas=AREAS, difficulty_mix={2: "0.5", 3: "0.3", 1: "0.2"}, exposure_cap="0.5",
                               actor=admin)
    assert Blueprint.objects.get().pk == blueprint.pk
    assert blueprint.exposure_cap == Decimal("0.5")
    [event] = audit_events(action="exams.blueprint_save")
    assert event.actor_id == admin.pk and event.data["sections"] == SECTIONS


def test_totals_and_types_are_refused_with_reasons(bank, admin):
    wrong = [{"item_type": "single_choice", "count": 40, "points": "1"},
             {"item_type": "essay", "count": 1, "points": "20"}]
    with translation.override("en"), pytest.raises(DomainError) as refused:
        blueprint_save(program_code="aigc-general", mode="mock", name="x", sections=wrong, actor=admin)
    assert refused.value.message == ("Essay is not an item type of this program's exam. "
                                     "The sections add up to 60 points; the exam is worth 100.")
    assert not Blueprint.objects.exists()


def test_an_infeasible_blueprint_says_what_the_bank_lacks(bank, admin):
    sections = [{"item_type": "multiple_choice", "count": 100, "points": "1"}]
    with translation.override("en"), pytest.raises(DomainError) as refused:
        blueprint_save(program_code="aigc-general", mode="formal", name="x", sections=sections, actor=admin)
    assert refused.value.message == "Multiple choice: need 100, the bank has 95 approved."
    with translation.override("en"), pytest.raises(DomainError) as refused:
        blueprint_save(program_code="aigc-general", mode="formal", name="x", sections=SECTIONS,
                       areas=[{"area_code": "A1", "min_items": 15}, {"area_code": "A2", "min_items": 70}],
                       actor=admin)
    assert refused.value.message == "Area minimums ask for 85 items; the paper has 80."
    assert not Blueprint.objects.exists()


def test_a_frozen_paper_has_the_blueprint_shape_and_no_secrets(bank, admin):
    blueprint = blueprint_save(program_code="aigc-general", mode="mock", name="模拟", sections=SECTIONS, areas=AREAS,
                               actor=admin)
    paper = paper_freeze(blueprint=blueprint, seed=42)
    assert len(paper.items) == 80 and paper.total_points == 100
    assert Counter(i["item_type"] for i in paper.items) == {"single_choice": 40, "multiple_choice": 20,
                                                            "true_false": 20}
    assert sum(Decimal(i["points"]) for i in paper.items) == 100
    areas = Counter(i["area_code"] for i in paper.items)
    assert areas["A1"] >= 15 and 15 <= areas["A2"] <= 40 and areas["A3"] >= 15
    assert not _keys(paper.items) & SECRET_FIELDS
    assert '"key"' not in json.dumps(paper.items)
    again = paper_freeze(blueprint=blueprint, seed=42)
    assert [i["version_id"] for i in again.items] == [i["version_id"] for i in paper.items]
    with pytest.raises(ValueError, match="frozen"):
        paper.save()
    assert Paper.objects.count() == 2


def test_mock_and_formal_papers_draw_from_separate_pools(make_user):
    """Mock results show keys, so items kept for formal exams never reach a mock paper, and practice-only items
    never reach a formal one. The demo bank splits 通用级 in two."""
    from django.core.management import call_command

    from aigcert.exams.blueprints import bank_for

    call_command("load_catalog", stdout=__import__("io").StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    mock = {item.version_id for item in bank_for("aigc-general", "mock")}
    formal = {item.version_id for item in bank_for("aigc-general", "formal")}
    everything = {v.id for v in itembank.approved_versions("aigc-general")}
    assert mock and formal and not mock & formal
    assert mock | formal == everything
    assert {v.id for v in itembank.approved_versions("aigc-general", usage="formal")} == formal
    kinds = Counter(v.item_type for v in itembank.approved_versions("aigc-general") if v.id in formal)
    assert kinds == {"single_choice": 85, "multiple_choice": 47, "true_false": 37}  # fill-in is practice only
