"""Scoring writes: the objective score of a closed attempt, and the wrong-answer notebook it feeds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from aigcert.core.api import DomainError, audit_record, now
from aigcert.delivery import api as delivery
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.scoring import rules
from aigcert.scoring.models import AttemptScore, ItemScore, NotebookEntry


def score_pending_record(*, attempt_code: str) -> AttemptScore:
    """Note that a closed attempt is waiting to be scored (idempotent)."""
    attempt = delivery.attempt_get(attempt_code)
    score, _created = AttemptScore.objects.get_or_create(
        attempt_id=attempt.pk, defaults={"candidate_id": attempt.candidate_id, "program_code": attempt.program_code,
                                         "kind": attempt.kind})
    return score


def scores_requeue_stale(*, older_than_seconds: int = 120) -> int:
    """Queue again the mock scores still pending after a while (a failed task, a worker that died between the
    close and the queue). Scoring is idempotent, so a duplicate run is harmless. Run by the minute tick."""
    from aigcert.scoring.tasks import attempt_score_task

    stale = AttemptScore.objects.filter(state=AttemptScore.State.PENDING, kind="mock",
                                        updated_at__lt=now() - timedelta(seconds=older_than_seconds))
    codes = [str(code) for code in stale.values_list("attempt__code", flat=True)[:500]]
    stale.filter(attempt__code__in=codes).update(updated_at=now())  # not again before the next interval
    for code in codes:
        attempt_score_task.enqueue(attempt_code=code)
    return len(codes)


@transaction.atomic
def attempt_score(*, attempt_code: str) -> AttemptScore:
    """Score a closed attempt's objective items with the item bank's rules. Idempotent: a scored attempt is
    returned as it is."""
    attempt = delivery.attempt_get(attempt_code)
    if not attempt.closed:
        raise DomainError("the attempt is still open", code="open")
    try:
        with transaction.atomic():
            score, _created = AttemptScore.objects.get_or_create(
                attempt_id=attempt.pk, defaults={"candidate_id": attempt.candidate_id,
                                                 "program_code": attempt.program_code, "kind": attempt.kind})
    except IntegrityError:
        score = AttemptScore.objects.get(attempt_id=attempt.pk)
    score = AttemptScore.objects.select_for_update().get(pk=score.pk)
    if score.state == AttemptScore.State.SCORED:
        return score
    paper = exams.paper_get(attempt.paper_id)
    responses = delivery.responses_get(attempt.pk)
    items = list(paper.items)
    values = [responses.get(item["slot"], (None, False))[0] for item in items]
    raw = itembank.responses_score([(item["version_id"], value) for item, value in zip(items, values, strict=True)])
    item_points = {pk: review.points for pk, review in itembank.versions_review(i["version_id"] for i in items).items()}
    rows = []
    for item, points in zip(items, raw, strict=True):
        slot_points = Decimal(item["points"])
        awarded = None if points is None else rules.scaled(points, item_points=item_points[item["version_id"]],
                                                           slot_points=slot_points)
        rows.append(ItemScore(score=score, slot=item["slot"], version_id=item["version_id"],
                              item_type=item["item_type"], area_code=item.get("area_code") or "",
                              max_points=slot_points, awarded=awarded))
    ItemScore.objects.bulk_create(rows)
    objective = [r for r in rows if r.awarded is not None]
    score.objective_points = sum((r.awarded for r in objective), rules.ZERO)
    score.objective_max = sum((r.max_points for r in objective), rules.ZERO)
    score.paper_max = paper.total_points
    score.unscored_items = len(rows) - len(objective)
    score.state = AttemptScore.State.SCORED
    score.scored_at = now()
    score.save()
    if attempt.kind == "mock":
        _notebook_record(attempt, rows, dict(zip((i["slot"] for i in items), values, strict=True)))
    audit_record(actor=None, action="scoring.attempt_score", target=score,
                 data={"attempt": attempt.code, "objective": str(score.objective_points),
                       "objective_max": str(score.objective_max), "unscored": score.unscored_items})
    return score


def _notebook_record(attempt, rows: list[ItemScore], values: dict[str, Any]) -> None:
    for row in rows:
        if row.awarded is None or row.awarded >= row.max_points:
            continue
        _notebook_wrong(candidate_id=attempt.candidate_id, program_code=attempt.program_code,
                        version_id=row.version_id, area_code=row.area_code, value=values.get(row.slot))


def _notebook_wrong(*, candidate_id: int, program_code: str, version_id: int, area_code: str, value: Any) -> None:
    moment = now()
    entry, created = NotebookEntry.objects.get_or_create(
        candidate_id=candidate_id, version_id=version_id,
        defaults={"program_code": program_code, "area_code": area_code, "last_answer": value, "wrong_count": 1,
                  "last_wrong_at": moment})
    if not created:
        entry.wrong_count += 1
        entry.last_answer = value
        entry.last_wrong_at = moment
        entry.mastered_at = None  # wrong again: back on the list
        entry.save(update_fields=["wrong_count", "last_answer", "last_wrong_at", "mastered_at", "updated_at"])


def notebook_practice_record(*, candidate_id: int, program_code: str, version_id: int, area_code: str, value: Any,
                             right: bool) -> None:
    """A practice answer (learning's event): wrong → into the notebook; right → an item there counts as mastered."""
    if not right:
        _notebook_wrong(candidate_id=candidate_id, program_code=program_code, version_id=version_id,
                        area_code=area_code, value=value)
        return
    NotebookEntry.objects.filter(candidate_id=candidate_id, version_id=version_id, mastered_at__isnull=True).update(
        mastered_at=now(), updated_at=now())


@transaction.atomic
def notebook_retry(*, entry: NotebookEntry, value: Any) -> tuple[bool, Decimal, Decimal]:
    """Answer a notebook item again: (right, points earned, points possible). Right once → mastered."""
    [points] = itembank.responses_score([(entry.version_id, value)])
    review = itembank.versions_review([entry.version_id])[entry.version_id]
    earned = points or rules.ZERO
    right = points is not None and earned >= review.points
    entry.retries += 1
    if right:
        entry.mastered_at = now()
    else:
        entry.last_answer = value
    entry.save(update_fields=["retries", "mastered_at", "last_answer", "updated_at"])
    return right, earned, review.points
