"""What other apps may ask the item bank."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from aigcert.core.api import NotFound
from aigcert.itembank import content as c
from aigcert.itembank import services
from aigcert.itembank.data import CriterionData, ProgramSpecData, ReviewData, VersionData
from aigcert.itembank.demo import demo_bank_load
from aigcert.itembank.models import Item, ItemVersion
from aigcert.itembank.payloads import delivery_payload, posted_value
from aigcert.itembank.sanitize import plain_text
from aigcert.itembank.scoring import is_answered, objective_score

__all__ = [
    "CriterionData",
    "ProgramSpecData",
    "ReviewData",
    "VersionData",
    "approved_versions",
    "demo_bank_load",
    "is_answered",
    "objective_scorers",
    "option_label",
    "plain_text",
    "posted_value",
    "practice_allowed",
    "practice_explanations",
    "practice_versions",
    "program_specs",
    "responses_score",
    "version_delivery_payload",
    "versions_current",
    "versions_delivery_payloads",
    "versions_review",
]

# Which items each kind of use may draw: formal-only items never appear where keys are shown afterwards.
_USAGES = {
    "mock": (Item.Usage.ANY, Item.Usage.PRACTICE),
    "practice": (Item.Usage.ANY, Item.Usage.PRACTICE),
    "formal": (Item.Usage.ANY, Item.Usage.FORMAL),
}


def approved_versions(program_code: str, *, item_type: str | None = None,
                      usage: str | None = None) -> list[VersionData]:
    """The approved version of every item of a program that isn't retired: what papers may use.

    ``usage`` ("mock", "practice" or "formal") keeps only the items the exam office allows there."""
    items = (Item.objects.filter(program__code=program_code, live__isnull=False)
             .exclude(status=Item.Status.RETIRED).select_related("live").prefetch_related("live__standards"))
    if item_type:
        items = items.filter(item_type=item_type)
    if usage:
        items = items.filter(usage__in=_USAGES[usage])
    return [
        VersionData(id=item.live.pk, code=str(item.live.code), item_code=str(item.code), item_type=item.item_type,
                    points=item.live.points, difficulty=item.live.difficulty,
                    standards=tuple(s.code for s in item.live.standards.all()))
        for item in items
    ]


option_label = c.option_label  # A, B, C … by position: the letters candidates see


def version_delivery_payload(version_id: int) -> dict[str, Any]:
    """What a candidate's browser may receive for a version: never its key, rubric, explanation or tests."""
    payloads = versions_delivery_payloads([version_id])
    if version_id not in payloads:
        raise NotFound()
    return payloads[version_id]


def _contents(version_ids: Iterable[int]) -> dict[int, tuple[ItemVersion, c.ItemContent]]:
    versions = (ItemVersion.objects.filter(pk__in=set(version_ids)).select_related("item")
                .prefetch_related("standards"))
    return {v.pk: (v, services.version_content(v)) for v in versions}


def versions_delivery_payloads(version_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The delivery payloads of many versions in a fixed number of queries (papers freeze 100 at a time)."""
    return {pk: delivery_payload(content) for pk, (_v, content) in _contents(version_ids).items()}


def responses_score(responses: Sequence[tuple[int, Any]]) -> list[Decimal | None]:
    """Score (version id, response value) pairs with the item rules; None where people or the judge score."""
    contents = _contents(pk for pk, _value in responses)
    scores: list[Decimal | None] = []
    for pk, value in responses:
        if pk not in contents:
            raise NotFound()
        scores.append(objective_score(contents[pk][1], value))
    return scores


def _key_display(item: c.ItemContent) -> tuple[str, ...]:
    if item.item_type in c.CHOICE_TYPES:
        return tuple(c.key_letters(item))
    if item.item_type == c.FILL_IN:
        return tuple(" / ".join(a.text for a in b.answers if a.score > 0) for b in item.blanks)
    return tuple(item.key)


def versions_review(version_ids: Iterable[int]) -> dict[int, ReviewData]:
    """Keys, explanations and rubrics, for the result page of a finished mock exam only."""
    reviews = {}
    for pk, (version, item) in _contents(version_ids).items():
        key: tuple[str, ...] = tuple(item.key)
        if item.item_type == c.FILL_IN:
            key = tuple(next((a.text for a in b.answers if a.score > 0), "") for b in item.blanks)
        reviews[pk] = ReviewData(
            id=pk, item_code=str(version.item.code), item_type=item.item_type, points=item.points or Decimal(0),
            objective=item.item_type in c.OBJECTIVE_TYPES, key=key, key_display=_key_display(item),
            explanation_html=item.explanation,
            rubric=tuple(CriterionData(cr.name, tuple((lv.label, lv.points, lv.description) for lv in cr.levels))
                         for cr in item.rubric),
            reference=item.reference_prompt or item.reference_solution, stem_text=version.stem_text)
    return reviews




def objective_scorers(version_ids: Iterable[int]) -> dict[int, tuple[Decimal, Callable[[Any], Decimal] | None]]:
    """version → (its points, a function scoring one response value), the function None where people or the
    judge score. For batch scoring: the contents are read once, then each response costs one call."""
    scorers: dict[int, tuple[Decimal, Callable[[Any], Decimal] | None]] = {}
    for pk, (_version, item) in _contents(version_ids).items():
        points = item.points or Decimal(0)
        if item.item_type in c.OBJECTIVE_TYPES:
            scorers[pk] = (points, lambda value, item=item: objective_score(item, value) or Decimal(0))
        else:
            scorers[pk] = (points, None)
    return scorers


def program_specs(version_ids: Iterable[int]) -> dict[int, ProgramSpecData]:
    """The judge's view of programming items (the other types are left out)."""
    return {pk: ProgramSpecData(language=item.language,
                                tests=tuple((t.input, t.output, t.points) for t in item.tests),
                                time_limit_ms=item.time_limit_ms, memory_limit_mb=item.memory_limit_mb)
            for pk, (_version, item) in _contents(version_ids).items() if item.item_type == c.PROGRAM}


def versions_current(version_ids: Iterable[int]) -> dict[int, int]:
    """version → the approved version of its item now, for the versions whose item has a newer approved version
    since (a corrected key). Versions still current are left out."""
    newer = {}
    for version in ItemVersion.objects.filter(pk__in=set(version_ids)).select_related("item"):
        live = version.item.live_id
        if live is not None and live != version.pk:
            newer[version.pk] = live
    return newer


def practice_versions(program_code: str) -> list[VersionData]:
    """The objective items practice may draw (mocks and practice, or any use; never formal-only): scored at once."""
    return [v for v in approved_versions(program_code, usage="practice") if v.item_type in c.OBJECTIVE_TYPES]


def practice_explanations(program_code: str) -> list[tuple[int, str, str, str]]:
    """(version id, standard codes, stem text, explanation text) of the items kept for mocks and practice only.

    What the tutor may index. Items usable in formal exams too ("any") are left out, with the formal-only ones: a
    tutor quoting an explanation must never be quoting an item a candidate can meet in a formal paper."""
    items = (Item.objects.filter(program__code=program_code, live__isnull=False, usage=Item.Usage.PRACTICE)
             .exclude(status=Item.Status.RETIRED).select_related("live").prefetch_related("live__standards"))
    found = []
    for item in items:
        content = services.version_content(item.live)
        explanation = plain_text(content.explanation)
        if explanation:
            found.append((item.live.pk, " ".join(s.code for s in item.live.standards.all()), item.live.stem_text,
                          explanation))
    return found


def practice_allowed(version_ids: Iterable[int], *, only: bool = False) -> set[int]:
    """Of these versions, those whose item may be practised now (usage "practice" or "any"; with ``only``, "practice"
    alone, what the tutor may use) and isn't retired. An item reclassified since a set was drawn drops out."""
    usages = (Item.Usage.PRACTICE,) if only else (Item.Usage.PRACTICE, Item.Usage.ANY)
    return set(ItemVersion.objects.filter(pk__in=set(version_ids), item__usage__in=usages)
               .exclude(item__status=Item.Status.RETIRED).values_list("pk", flat=True))
