"""Which frozen paper a candidate sits: one shared paper, one of N parallel forms, or a fresh one of their own."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from aigcert.core.api import DomainError
from aigcert.exams import blueprints
from aigcert.exams.models import Blueprint, Paper

DEMO_BLUEPRINTS = Path(__file__).parent / "data" / "demo_blueprints.yaml"


def blueprint_active(program_code: str, mode: str) -> Blueprint | None:
    return Blueprint.objects.filter(program_code=program_code, mode=mode, active=True).order_by("-created_at").first()


def _forms_ensure(blueprint: Blueprint, session=None) -> list[Paper]:
    """The blueprint's forms, frozen on first use with exposure counted across them; callers lock the blueprint."""
    papers = list(Paper.objects.filter(blueprint=blueprint, session=session, form_number__gte=1)
                  .order_by("form_number"))
    wanted = 1 if blueprint.paper_mode == Blueprint.PaperMode.SHARED else max(1, blueprint.forms_count)
    if len(papers) >= wanted:
        return papers[:wanted]
    bank = blueprints.bank_for(blueprint.program_code, blueprint.mode)
    exposure: dict[int, int] = {}
    for paper in papers:
        for item in paper.items:
            exposure[item["version_id"]] = exposure.get(item["version_id"], 0) + 1
    frozen: set[int] = set()
    for number in range(len(papers) + 1, wanted + 1):
        paper = blueprints.paper_freeze(blueprint=blueprint, session=session, form_number=number, bank=bank,
                                        exposure=exposure, papers_before=len(papers), frozen=frozen)
        for item in paper.items:
            exposure[item["version_id"]] = exposure.get(item["version_id"], 0) + 1
        papers.append(paper)
    return papers


@transaction.atomic
def paper_for_mock(*, program_code: str, candidate_id: int, attempt_number: int) -> Paper:
    """The paper of a candidate's next mock exam. Forms rotate with the attempt number so that a candidate's
    successive mocks differ; per-candidate papers are drawn fresh each time (form number 0)."""
    blueprint = blueprint_active(program_code, Blueprint.Mode.MOCK)
    if blueprint is None:
        raise DomainError(_("No mock exam is set up for this program yet."), code="no_blueprint")
    if blueprint.paper_mode == Blueprint.PaperMode.PER_CANDIDATE:
        return blueprints.paper_freeze(blueprint=blueprint, form_number=0)
    blueprint = Blueprint.objects.select_for_update().get(pk=blueprint.pk)
    forms = _forms_ensure(blueprint)
    return forms[(candidate_id + attempt_number) % len(forms)]


def paper_get(pk: int) -> Paper | None:
    return Paper.objects.select_related("blueprint").filter(pk=pk).first()


def demo_blueprints_load(*, actor) -> int:
    """Save the demo blueprints of programs that have none yet; returns how many were added."""
    data = yaml.safe_load(DEMO_BLUEPRINTS.read_text(encoding="utf-8"))
    added = 0
    language = "en" if (get_language() or "").startswith("en") else "zh"
    for program_code, modes in data.items():
        for mode, spec in modes.items():
            if Blueprint.objects.filter(program_code=program_code, mode=mode).exists():
                continue
            blueprints.blueprint_save(
                program_code=program_code, mode=mode, name=spec["name"][language], sections=spec["sections"],
                areas=spec.get("areas") or [], difficulty_mix=spec.get("difficulty_mix") or {},
                exposure_cap=spec.get("exposure_cap"), layout=spec.get("layout", Blueprint.Layout.ONE_PER_PAGE),
                paper_mode=spec.get("paper_mode", Blueprint.PaperMode.PER_CANDIDATE),
                forms_count=int(spec.get("forms_count", 1)), actor=actor)
            added += 1
    return added

