"""Blueprint and paper writes: validated against the program's exam policy and the approved bank, then frozen."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, audit_record
from aigcert.exams import assembly
from aigcert.exams.models import Blueprint, Paper, PayloadSnapshot
from aigcert.itembank import api as itembank

PROBLEM_MESSAGES = {
    "no_sections": lambda p: _("Add at least one section."),
    "type_twice": lambda p: _("%(type)s has two sections; use one.") % p,
    "type_not_allowed": lambda p: _("%(type)s is not an item type of this program's exam.") % p,
    "section_empty": lambda p: _("The %(type)s section needs a count and points above zero.") % p,
    "total": lambda p: _("The sections add up to %(total)s points; the exam is worth %(expected)s.") % p,
    "unknown_area": lambda p: _("%(area)s is not an area of this program's evaluation standard.") % p,
    "area_range": lambda p: _("The range for area %(area)s is not valid.") % p,
    "area_minimums": lambda p: _("Area minimums ask for %(minimum)s items; the paper has %(items)s.") % p,
    "difficulty_levels": lambda p: _("Difficulty levels run from 1 to 5, with shares of zero or more."),
    "difficulty_sum": lambda p: _("The difficulty shares add up to %(sum)s, not 1.") % p,
    "exposure_cap": lambda p: _("The exposure cap is a share above 0 and at most 1."),
    "short_type": lambda p: _("%(type)s: need %(need)s, the bank has %(have)s approved.") % p,
    "short_area": lambda p: _("Area %(area)s: need %(need)s items, the bank has %(have)s.") % p,
    "short_type_within_caps": lambda p: _(
        "%(type)s: need %(need)s within the area maximums, the bank allows %(have)s.") % p,
}


class BlueprintInvalid(DomainError):
    """A blueprint refused by `blueprint_check`; `reasons` lists each reason (the message joins them)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons), code="blueprint_invalid")
        self.reasons = reasons


def problem_text(problem: assembly.Problem) -> str:
    params = {k: format(v.normalize(), "f") if isinstance(v, Decimal) else v for k, v in problem.params.items()}
    if "type" in params:
        params["type"] = str(catalog.ItemType(params["type"]).label)
    return PROBLEM_MESSAGES[problem.code](params)


def _spec(sections: list[dict], areas: list[dict], difficulty_mix: dict, exposure_cap) -> assembly.BlueprintSpec:
    try:
        return assembly.BlueprintSpec(
            sections=tuple(assembly.Section(s["item_type"], int(s["count"]), Decimal(str(s["points"])))
                           for s in sections),
            areas=tuple(assembly.AreaRange(a["area_code"], int(a.get("min_items") or 0),
                                           int(a["max_items"]) if a.get("max_items") not in (None, "") else None)
                        for a in areas),
            difficulty_mix={int(level): Decimal(str(share)) for level, share in difficulty_mix.items()},
            exposure_cap=Decimal(str(exposure_cap)) if exposure_cap not in (None, "") else None,
        )
    except (KeyError, ValueError, TypeError, InvalidOperation):
        raise DomainError(_("The blueprint is not filled in correctly.")) from None


def blueprint_spec_from(*, sections: list[dict], areas: list[dict] | None = None, difficulty_mix: dict | None = None,
                        exposure_cap=None) -> assembly.BlueprintSpec:
    """The spec of an unsaved blueprint (the editor's rows), as `blueprint_save` reads them."""
    return _spec(sections, areas or [], difficulty_mix or {}, exposure_cap)


def blueprint_spec(blueprint: Blueprint) -> assembly.BlueprintSpec:
    return _spec(blueprint.sections, blueprint.areas, blueprint.difficulty_mix, blueprint.exposure_cap)


def bank_for(program_code: str, mode: str | None = None) -> list[assembly.BankItem]:
    """The approved, not retired item versions of the program that the mode may use, filed under the area of
    their first standard."""
    areas = {s.code: s.area_code for s in catalog.standard_items(program_code)}
    return [assembly.BankItem(v.id, v.item_type, areas.get(v.standards[0], "") if v.standards else "",
                              v.difficulty)
            for v in itembank.approved_versions(program_code, usage=mode)]


def blueprint_check(*, program_code: str, spec: assembly.BlueprintSpec, mode: str | None = None,
                    bank: list[assembly.BankItem] | None = None) -> list[str]:
    """Every reason the blueprint can't be used, in the user's language: rules first, then the bank (pass
    `bank_for(program_code, mode)` when the caller has loaded it already)."""
    try:
        program = catalog.program_get(program_code)
    except NotFound:
        return [_("Unknown program.")]
    if program.exam is None:
        return [_("This program has no exam policy yet.")]
    known_areas = tuple(dict.fromkeys(s.area_code for s in catalog.standard_items(program_code)))
    problems = assembly.blueprint_problems(spec, total_score=program.exam.total_score,
                                           allowed_types=program.exam.item_types, known_areas=known_areas)
    if not problems:
        problems = assembly.feasibility(spec, bank if bank is not None else bank_for(program_code, mode))
    return [problem_text(p) for p in problems]


@transaction.atomic
def blueprint_save(*, program_code: str, mode: str, name: str, sections: list[dict], areas: list[dict] | None = None,
                   difficulty_mix: dict | None = None, exposure_cap=None, layout: str = Blueprint.Layout.ONE_PER_PAGE,
                   paper_mode: str = Blueprint.PaperMode.PER_CANDIDATE, forms_count: int = 1,
                   shuffle_items: bool = True, shuffle_options: bool = True, actor) -> Blueprint:
    """Append a new version: blueprints are never edited. The program's active blueprint of this mode is switched
    off and the new one switched on in the same transaction; a refused blueprint changes nothing
    (`BlueprintInvalid` lists the reasons)."""
    spec = _spec(sections, areas or [], difficulty_mix or {}, exposure_cap)
    reasons = blueprint_check(program_code=program_code, spec=spec, mode=mode)
    if reasons:
        raise BlueprintInvalid(reasons)
    previous = list(Blueprint.objects.select_for_update().filter(program_code=program_code, mode=mode, active=True)
                    .values_list("pk", "code"))
    Blueprint.objects.filter(pk__in=[pk for pk, _code in previous]).update(active=False)
    try:
        with transaction.atomic():
            blueprint = Blueprint.objects.create(
                program_code=program_code, mode=mode, name=name.strip() or program_code, layout=layout,
                paper_mode=paper_mode, forms_count=forms_count, sections=sections, areas=areas or [],
                difficulty_mix={str(k): str(v) for k, v in (difficulty_mix or {}).items()},
                exposure_cap=spec.exposure_cap, shuffle_items=shuffle_items, shuffle_options=shuffle_options,
                created_by=actor)
    except IntegrityError:
        # Another save of this program and mode committed between our lock and insert (one active per pair).
        raise DomainError(_("Someone else saved a blueprint for this program and mode at the same time. "
                            "Look at the list and try again."), code="conflict") from None
    audit_record(actor=actor, action="exams.blueprint_save", target=blueprint,
                 data={"program": program_code, "mode": mode, "sections": sections, "areas": areas or [],
                       "replaces": [str(code) for _pk, code in previous]})
    return blueprint


def payloads_freeze(version_ids: list[int], frozen: set[int] | None = None) -> None:
    """Make sure each version's delivery payload is frozen (once per version, shared by every paper)."""
    wanted = set(version_ids) - (frozen or set())
    if not wanted:
        return
    missing = wanted - set(PayloadSnapshot.objects.filter(version_id__in=wanted).values_list("version_id", flat=True))
    if missing:
        payloads = itembank.versions_delivery_payloads(missing)
        PayloadSnapshot.objects.bulk_create([PayloadSnapshot(version_id=pk, payload=payloads[pk]) for pk in missing],
                                            ignore_conflicts=True)  # a concurrent freeze made the same snapshot
    if frozen is not None:
        frozen |= wanted


@transaction.atomic
def paper_freeze(*, blueprint: Blueprint, session=None, form_number: int = 1, seed: int | None = None,
                 exposure: dict[int, int] | None = None, papers_before: int = 0,
                 bank: list[assembly.BankItem] | None = None, frozen: set[int] | None = None) -> Paper:
    """Draw and freeze one paper: the payloads come from the item bank's delivery allow-list, never the keys.

    ``frozen`` is the caller's record, across a batch of papers, of versions whose payload snapshot exists."""
    seed = secrets.randbelow(2**62) if seed is None else seed
    spec = blueprint_spec(blueprint)
    try:
        picks = assembly.paper_assemble(spec, bank if bank is not None else bank_for(blueprint.program_code,
                                                                                      blueprint.mode),
                                        seed=seed, exposure=exposure, papers_before=papers_before)
    except assembly.AssemblyError as exc:
        raise DomainError(" ".join(problem_text(p) for p in exc.problems), code="infeasible") from None
    payloads_freeze([pick.version_id for pick in picks], frozen)
    items = [{"slot": f"q{n}", "version_id": pick.version_id, "item_type": pick.item_type,
              "area_code": pick.area_code, "points": format(pick.points.normalize(), "f")}
             for n, pick in enumerate(picks, start=1)]
    return Paper.objects.create(blueprint=blueprint, session=session, form_number=form_number, seed=seed,
                                items=items, total_points=spec.total_points)
