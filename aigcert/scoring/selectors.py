"""Reads for the candidate's mock pages: results with keys, the gap report, history and the notebook."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from aigcert.catalog import api as catalog
from aigcert.delivery import api as delivery
from aigcert.delivery.api import AttemptData
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.itembank.api import ReviewData
from aigcert.scoring import rules
from aigcert.scoring.models import AttemptScore, NotebookEntry


def score_of(attempt: AttemptData) -> AttemptScore | None:
    return AttemptScore.objects.filter(attempt_id=attempt.pk, state=AttemptScore.State.SCORED).first()


def answer_text(item_type: str, value: Any, letters: dict[str, str]) -> str:
    """A response as the candidate would recognise it: letters in their own option order, 正确/错误, blanks."""
    if value is None or value == [] or value == "":
        return ""
    if item_type == "single_choice":
        return letters.get(value, "?")
    if item_type == "multiple_choice":
        return "".join(sorted(letters.get(v, "?") for v in value))
    if item_type == "true_false":
        return str(_("True")) if value is True or value == "true" else str(_("False"))
    if item_type == "fill_in":
        return " / ".join(str(v) for v in value)
    if item_type == "work_upload" and isinstance(value, dict):
        return str(value.get("name", ""))
    return str(value)


def key_text(item_type: str, review: ReviewData, letters: dict[str, str]) -> str:
    """The correct answer as the candidate would recognise it (the same form as answer_text)."""
    if item_type in ("single_choice", "multiple_choice"):
        return answer_text("multiple_choice", list(review.key), letters)
    if item_type == "true_false":
        return answer_text("true_false", review.key[0] == "true" if review.key else None, letters)
    return " / ".join(review.key_display)


@dataclass(frozen=True)
class ReviewedItem:
    number: int
    slot: str
    item_type: str
    type_label: str
    payload: dict
    options: list[dict]
    answer: str
    correct: str
    awarded: Decimal | None
    maximum: Decimal
    explanation_html: str
    rubric: tuple
    reference: str
    area_code: str

    @property
    def right(self) -> bool:
        return self.awarded is not None and self.awarded >= self.maximum

    @property
    def partly(self) -> bool:
        return self.awarded is not None and Decimal(0) < self.awarded < self.maximum


@dataclass(frozen=True)
class AreaLine:
    code: str
    title: str
    percent: int
    awarded: Decimal
    maximum: Decimal
    items: int
    wrong: int
    below: bool
    lessons: list


def mock_review(attempt: AttemptData, score: AttemptScore) -> dict[str, Any]:
    program = catalog.program_get(attempt.program_code)
    paper = exams.paper_get(attempt.paper_id)
    responses = delivery.responses_get(attempt.pk)
    by_slot = {item["slot"]: item for item in paper.items}
    reviews = itembank.versions_review(item["version_id"] for item in paper.items)
    awarded = {s.slot: s for s in score.items.all()}
    items = []
    for number, slot in enumerate(attempt.order["slots"], start=1):
        item = by_slot[slot]
        review = reviews[item["version_id"]]
        order = attempt.order["options"].get(slot) or [o["id"] for o in item["payload"].get("options", [])]
        letters = {oid: itembank.option_label(i) for i, oid in enumerate(order)}
        options_by_id = {o["id"]: o for o in item["payload"].get("options", [])}
        options = [{"label": letters[oid], "html": options_by_id[oid]["html"], "key": oid in review.key}
                   for oid in order if oid in options_by_id]
        correct = key_text(item["item_type"], review, letters)
        row = awarded.get(slot)
        items.append(ReviewedItem(
            number=number, slot=slot, item_type=item["item_type"],
            type_label=str(catalog.ItemType(item["item_type"]).label), payload=item["payload"], options=options,
            answer=answer_text(item["item_type"], responses.get(slot, (None, False))[0], letters), correct=correct,
            awarded=row.awarded if row else None, maximum=Decimal(item["points"]),
            explanation_html=review.explanation_html, rubric=review.rubric, reference=review.reference,
            area_code=item.get("area_code") or ""))
    exam = program.exam
    pass_rate = Decimal(exam.pass_mark) / Decimal(exam.total_score) if exam and exam.total_score else Decimal("0.6")
    line = rules.pass_line(pass_mark=exam.pass_mark, total_score=exam.total_score, paper_max=score.paper_max) \
        if exam else Decimal(0)
    gaps = rules.gap_report(((i.area_code, i.maximum, i.awarded) for i in items), pass_rate=pass_rate)
    titles = {s.area_code: s.area_title for s in catalog.standard_items(attempt.program_code)}
    lessons = catalog.lessons_for_areas(attempt.program_code, [g.area_code for g, _below in gaps])
    areas = [AreaLine(code=g.area_code, title=titles.get(g.area_code, g.area_code), percent=g.percent,
                      awarded=g.awarded, maximum=g.maximum, items=g.items, wrong=g.wrong, below=below,
                      lessons=lessons.get(g.area_code, []))
             for g, below in gaps]
    return {"program": program, "paper": paper, "items": items, "areas": areas, "pass_line": line,
            "pass_percent": int(pass_rate * 100),
            # With items left to people the objective points alone can't say pass or fail.
            "passed": None if score.unscored_items else score.objective_points >= line,
            "provisional": score.unscored_items > 0}


def mock_overview(candidate_id: int, program_code: str) -> dict[str, Any]:
    """A program's mock history for the candidate, newest first, with the trend chart's points and pass line."""
    program = catalog.program_get(program_code)
    history = mock_history(candidate_id, program_code)
    scored = [s for _a, s in history if s is not None and s.state == AttemptScore.State.SCORED]
    maximum = max((s.paper_max for s in scored), default=Decimal(100))
    points = rules.trend_points([s.objective_points for s in scored], maximum=maximum)
    line_y = None
    if program.exam and scored:
        line = rules.pass_line(pass_mark=program.exam.pass_mark, total_score=program.exam.total_score,
                               paper_max=maximum)
        line_y = rules.trend_points([line], maximum=maximum)[0][1]
    return {
        "program": program, "available": exams.mock_available(program_code), "history": list(reversed(history)),
        "open": next((a for a, _s in history if not a.closed), None), "points": points,
        "polyline": " ".join(f"{x},{y}" for x, y in points), "line_y": line_y,
        "labels": [(x, y, s.objective_points) for (x, y), s in zip(points, scored, strict=True)],
    }


def mock_history(candidate_id: int, program_code: str) -> list[tuple[AttemptData, AttemptScore | None]]:
    attempts = delivery.attempts_of(candidate_id, program_code=program_code, kind="mock")
    scores = {s.attempt_id: s for s in AttemptScore.objects.filter(attempt_id__in=[a.pk for a in attempts])}
    return [(a, scores.get(a.pk)) for a in attempts]


def notebook_of(candidate_id: int, *, mastered: bool = False) -> list[NotebookEntry]:
    return list(NotebookEntry.objects.filter(candidate_id=candidate_id, mastered_at__isnull=not mastered))


def notebook_entry(candidate_id: int, code) -> NotebookEntry | None:
    return NotebookEntry.objects.filter(candidate_id=candidate_id, code=code).first()
