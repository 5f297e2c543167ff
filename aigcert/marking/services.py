"""Marking writes: scripts from a scored session, taking and submitting marks, third marking, arbitration, gold
scripts, stopping a marker, the AI check and re-checks. Every score change is audited."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from aigcert.core.api import DomainError, LLMError, NotFound, audit_record, llm_configured, now, outbox_publish
from aigcert.delivery import api as delivery
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.marking import rules
from aigcert.marking.models import Mark, MarkerStop, MarkingItem, Recheck, Script
from aigcert.marking.policy import marking_policy
from aigcert.scoring import api as scoring

logger = logging.getLogger(__name__)

SESSION_MARKED = "marking.session_marked"
RECHECK_RESOLVED = "marking.recheck_resolved"
MARKED_TYPES = frozenset({"essay", "work_upload", "prompt_task"})
TEXT_TYPES = frozenset({"essay", "prompt_task"})
_LABEL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def _label() -> str:
    return "S" + "".join(secrets.choice(_LABEL_ALPHABET) for _ in range(10))


def _rubric_json(review) -> list[dict]:
    return [{"name": c.name, "levels": [{"label": label, "points": str(points), "description": description}
                                        for label, points, description in c.levels]}
            for c in review.rubric]


def criterion_maxima(rubric: list[dict]) -> list[Decimal]:
    return [max((Decimal(level["points"]) for level in c["levels"]), default=Decimal(0)) for c in rubric]


# ── scripts from a scored session ────────────────────────────────────────────────────────────────────────────
NO_LLM, PROMPT_FAILED = "no_llm", "failed"  # why a prompt task has no output: the page says it in the reader's language
CHUNK = 500


def _answer_of(item_type: str, value, attempt_pk: int, slot: str, outputs: dict) -> dict:
    if item_type == "work_upload":
        upload = delivery.upload_of(attempt_pk, slot)
        if upload is None:
            return {"upload": None}
        path, name, size, sha256 = upload
        return {"upload": {"path": path, "name": name, "size": size, "sha256": sha256}}
    answer = {"text": value if isinstance(value, str) else ""}
    if item_type == "prompt_task":
        output = outputs.get((attempt_pk, slot))
        if output is not None and output.state == "done":
            answer["prompt_output"] = output.result.get("output", "")
        elif output is not None:
            answer["prompt_note"], answer["prompt_reason"] = PROMPT_FAILED, output.message
        else:
            answer["prompt_note"] = NO_LLM
    return answer


def _item_for(session, policy, paper_item: dict, items: dict[int, MarkingItem]) -> MarkingItem:
    version_id = paper_item["version_id"]
    if version_id not in items:
        review = itembank.versions_review([version_id])[version_id]
        items[version_id] = MarkingItem.objects.create(
            session_code=session.code, program_code=session.program_code, version_id=version_id,
            item_code=review.item_code, item_type=review.item_type,
            stem_html=paper_item["payload"].get("stem_html", ""), stem_text=review.stem_text,
            rubric=_rubric_json(review), max_points=review.points,
            tolerance=rules.tolerance_for(review.points, policy.tolerance_share, policy.step), step=policy.step,
            final_rule=policy.final_rule)
    return items[version_id]


def session_scripts_create(*, session_code: str) -> int:
    """Make a blind script for every answer to an item people mark (idempotent: answers that have one are
    skipped). A batch: the answers are read five hundred attempts at a time and each chunk is its own
    transaction. A session with nothing to mark is marked at once."""
    session = exams.session_get(session_code)
    policy = marking_policy(session.program_code)
    attempts = {pk: paper for pk, _code, _cand, paper, _state in delivery.session_attempt_rows(session_code)}
    marked_of = {paper_id: [i for i in exams.paper_get(paper_id).items if i["item_type"] in MARKED_TYPES]
                 for paper_id in set(attempts.values())}
    if not any(marked_of.values()):  # an objective-only session: nothing for people to mark
        _session_check_done(session_code)
        return 0
    items = {i.version_id: i for i in MarkingItem.objects.filter(session_code=session_code)}
    existing = set(Script.objects.filter(item__session_code=session_code, is_gold=False)
                   .values_list("attempt_code", "item__version_id"))
    outputs = scoring.machine_outputs(session_code)
    ai = policy.ai_check and llm_configured()
    scores = [s for s in scoring.session_scores(session_code) if marked_of[attempts[s.attempt_pk]]]
    created = 0
    for start in range(0, len(scores), CHUNK):
        chunk = scores[start:start + CHUNK]
        answers = delivery.answers_raw([s.attempt_pk for s in chunk])
        with transaction.atomic():
            scripts = []
            for score in chunk:
                for paper_item in marked_of[attempts[score.attempt_pk]]:
                    item = _item_for(session, policy, paper_item, items)
                    if (score.attempt_code, item.version_id) in existing:
                        continue
                    raw = answers.get(score.attempt_pk, {}).get(paper_item["slot"])
                    answer = _answer_of(paper_item["item_type"], json.loads(raw) if raw is not None else None,
                                        score.attempt_pk, paper_item["slot"], outputs)
                    signals = _signals(answer)
                    scripts.append(Script(
                        item=item, label=_label(), attempt_pk=score.attempt_pk, attempt_code=score.attempt_code,
                        candidate_id=score.candidate_id, slot=paper_item["slot"],
                        slot_points=Decimal(paper_item["points"]), answer=answer, injection=bool(signals),
                        injection_signals=list(signals), ai_pending=ai and paper_item["item_type"] in TEXT_TYPES))
            _scripts_insert(scripts)
            created += len(scripts)
            for script in scripts:
                if script.ai_pending:
                    _enqueue_ai(script.pk)
    audit_record(actor=None, action="marking.scripts_create", target_type="exams.session", target_id=session_code,
                 data={"scripts": created})
    _session_check_done(session_code)
    return created


def _scripts_insert(scripts: list[Script]) -> None:
    """Insert with fresh labels until none collides (a label is 50 random bits: a collision is rare, not
    impossible, and must never stop a session's marking)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                Script.objects.bulk_create(scripts, batch_size=500)
            return
        except IntegrityError:
            taken = set(Script.objects.filter(label__in=[s.label for s in scripts]).values_list("label", flat=True))
            if not taken:
                raise
            for script in scripts:
                if script.label in taken:
                    script.label = _label()
    raise IntegrityError("script labels kept colliding")


def _signals(answer: dict) -> tuple[str, ...]:
    from aigcert.scoring.api import injection_signals

    return injection_signals(answer.get("text") or "")


def _enqueue_ai(script_pk: int) -> None:
    from aigcert.marking.tasks import script_ai_check_task

    transaction.on_commit(lambda: script_ai_check_task.enqueue(script_pk=script_pk))


# ── taking, holding and submitting ───────────────────────────────────────────────────────────────────────────
def _stopped(session_code: str, marker) -> bool:
    return MarkerStop.objects.filter(session_code=session_code, marker=marker, lifted_at__isnull=True).exists()


def locks_expire() -> int:
    """Return to the queue every script whose marker held it past the lock (run lazily and by the tick). Each
    mark is released by a conditional update, so two callers never both release (or audit) the same one."""
    expired = list(Mark.objects.filter(state=Mark.State.TAKEN, expires_at__lt=now())
                   .exclude(round=Mark.Round.CHIEF).values_list("pk", "script__label", "marker_id")[:1000])
    released = 0
    for pk, label, marker_id in expired:
        if Mark.objects.filter(pk=pk, state=Mark.State.TAKEN).update(state=Mark.State.RELEASED,
                                                                     updated_at=now()) == 1:
            released += 1
            audit_record(actor=None, action="marking.lock_expire", target_type="marking.mark", target_id=str(pk),
                         data={"script": label, "marker": marker_id})
    return released


_BLIND = [Mark.Round.FIRST, Mark.Round.SECOND, Mark.Round.THIRD]  # in the order they are given
_ACTIVE = [Mark.State.TAKEN, Mark.State.SUBMITTED]


def _marked_by(marker) -> Exists:
    return Exists(Mark.objects.filter(script=OuterRef("pk"), marker=marker, state__in=_ACTIVE))


@transaction.atomic
def script_take(*, item_code, marker) -> Mark | None:
    """The next script of an item for this marker, locked to them: the one they already hold, a gold script
    when one is due, or the oldest script that still wants a mark they haven't given. None when the queue is
    empty for them."""
    item = MarkingItem.objects.filter(code=item_code).first()
    if item is None:
        raise NotFound()
    if _stopped(item.session_code, marker):
        raise DomainError(_("The chief marker has stopped your marking for this session."), code="stopped")
    locks_expire()
    held = (Mark.objects.filter(script__item=item, marker=marker, state=Mark.State.TAKEN)
            .exclude(round__in=[Mark.Round.CHIEF, Mark.Round.RECHECK]).first())
    if held is not None:
        return held
    policy = marking_policy(item.program_code)
    # Gold marks count too: a gold script is one in every N the marker takes, never several in a row.
    given = Mark.objects.filter(script__item=item, marker=marker, state=Mark.State.SUBMITTED,
                                round__in=[*_BLIND, Mark.Round.GOLD]).count()
    if rules.gold_due(given, policy.gold_every):
        gold = (Script.objects.filter(item=item, is_gold=True).exclude(_marked_by(marker))
                .order_by("?").first())
        if gold is not None:
            return _hold(gold, marker, Mark.Round.GOLD, policy.lock_minutes)
    candidates = (Script.objects.filter(item=item, is_gold=False, state__in=[Script.State.DOUBLE, Script.State.THIRD])
                  .exclude(_marked_by(marker))
                  .annotate(active=Count("marks", filter=Q(marks__state__in=_ACTIVE, marks__round__in=_BLIND)))
                  .filter(active__lt=F("wanted")).order_by("pk").values_list("pk", flat=True)[:20])
    for pk in candidates:
        # Lock the row, then count again: two markers racing for the last mark of a script can't both get it.
        script = Script.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if script is None:
            continue
        active = script.marks.filter(state__in=_ACTIVE, round__in=_BLIND).count()
        if active >= script.wanted or script.state not in (Script.State.DOUBLE, Script.State.THIRD):
            continue
        try:
            with transaction.atomic():
                return _hold(script, marker, _BLIND[min(active, 2)], policy.lock_minutes)
        except IntegrityError:
            continue  # this marker already has it (a second tab): try the next
    return None


def _hold(script: Script, marker, round_: str, lock_minutes: int) -> Mark:
    mark = Mark.objects.create(script=script, marker=marker, round=round_,
                               expires_at=now() + timedelta(minutes=lock_minutes))
    audit_record(actor=marker, action="marking.take", target=mark, data={"script": script.label, "round": round_})
    return mark


def mark_of(*, mark_code, marker) -> Mark:
    """A marker's own mark; anyone else's looks missing."""
    mark = (Mark.objects.filter(code=mark_code, marker=marker).exclude(state=Mark.State.RELEASED)
            .select_related("script", "script__item").first() if marker is not None else None)
    if mark is None:
        raise NotFound()
    return mark


def scores_check(item: MarkingItem, scores: list[tuple[str, str]]) -> tuple[list[dict], Decimal]:
    """Criterion scores as typed ((points, comment) per criterion, in rubric order) → stored criteria and total.
    A missing, non-numeric, out-of-range or off-step score is refused, naming the criterion."""
    if len(scores) != len(item.rubric):
        raise DomainError(_("Give a score for every criterion."), code="criteria_missing")
    criteria, total = [], Decimal(0)
    for criterion, maximum, (raw, comment) in zip(item.rubric, criterion_maxima(item.rubric), scores, strict=True):
        try:
            points = Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            raise DomainError(_("%(criterion)s: enter a number.") % {"criterion": criterion["name"]},
                              code="not_a_number") from None
        if not points.is_finite():
            raise DomainError(_("%(criterion)s: enter a number.") % {"criterion": criterion["name"]},
                              code="not_a_number")
        problem = rules.criterion_problem(points, maximum, item.step)
        if problem == "out_of_range":
            raise DomainError(_("%(criterion)s: the score must be between 0 and %(max)s.")
                              % {"criterion": criterion["name"], "max": maximum}, code="out_of_range")
        if problem:
            raise DomainError(_("%(criterion)s: the score must be a multiple of %(step)s.")
                              % {"criterion": criterion["name"], "step": item.step}, code="not_a_step")
        criteria.append({"name": criterion["name"], "points": str(points), "comment": (comment or "").strip()[:2000]})
        total += points
    return criteria, total


@transaction.atomic
def mark_submit(*, mark_code, marker, scores: list[tuple[str, str]]) -> Mark:
    """Submit a held mark. The script then moves on by the double-marking rules."""
    mark = mark_of(mark_code=mark_code, marker=marker)
    mark = Mark.objects.select_for_update().get(pk=mark.pk)
    if mark.state != Mark.State.TAKEN:
        raise DomainError(_("This script was already submitted or has gone back to the queue."), code="not_held")
    if mark.round != Mark.Round.CHIEF and mark.expires_at is not None and mark.expires_at < now():
        # Nothing is written: the next take (or the tick) returns it to the queue, with its audit record.
        raise DomainError(_("You held this script too long, so it went back to the queue. Take the next one."),
                          code="lock_expired")
    script = Script.objects.select_for_update().select_related("item").get(pk=mark.script_id)
    criteria, total = scores_check(script.item, scores)
    mark.criteria, mark.total, mark.state, mark.submitted_at = criteria, total, Mark.State.SUBMITTED, now()
    mark.save(update_fields=["criteria", "total", "state", "submitted_at", "updated_at"])
    audit_record(actor=marker, action="marking.submit", target=mark,
                 data={"script": script.label, "round": mark.round, "total": str(total)})
    if mark.round != Mark.Round.GOLD:
        _advance(script)
    return mark


@transaction.atomic
def mark_release(*, mark_code, marker) -> None:
    """A marker gives a held script back to the queue."""
    mark = mark_of(mark_code=mark_code, marker=marker)
    if Mark.objects.filter(pk=mark.pk, state=Mark.State.TAKEN).update(state=Mark.State.RELEASED,
                                                                      updated_at=now()) == 1:
        audit_record(actor=marker, action="marking.release", target=mark, data={"script": mark.script.label})


def _ai_total(script: Script) -> Decimal | None:
    if not script.ai or script.injection or not script.ai.get("usable", False):
        return None
    try:
        return Decimal(str(script.ai["total"]))
    except (InvalidOperation, KeyError):
        return None


def _advance(script: Script) -> None:
    """Apply the double-marking rules to a script's submitted marks (its row is locked by the caller)."""
    if script.state == Script.State.DONE and script.reason in (rules.ARBITRATED, rules.RECHECKED):
        return
    marks = list(script.marks.filter(state=Mark.State.SUBMITTED).order_by("submitted_at", "pk"))
    blind = [m for m in marks if m.round in _BLIND]
    chief = next((m for m in reversed(marks) if m.round == Mark.Round.CHIEF), None)
    decision = rules.decide(marks=[m.total for m in blind], tolerance=script.item.tolerance,
                            rule=script.item.final_rule, chief=chief.total if chief else None,
                            ai=_ai_total(script), ai_checked=script.ai_checked)
    before = (script.state, script.final_total)
    if decision.state in (rules.THIRD, rules.CHIEF):
        # Reopened (a late AI check) or still open: no final mark stands meanwhile.
        script.final_total = script.final_criteria = script.finalized_at = None
        script.state, script.reason = decision.state, decision.reason
        if decision.state == rules.THIRD:
            script.wanted = 3
            script.ai_checked = script.ai_checked or decision.reason == rules.AI_CHECK
    elif decision.state == rules.DONE:
        script.state, script.reason, script.final_total = Script.State.DONE, decision.reason, decision.final
        script.final_criteria = chief.criteria if chief else _pair_criteria(
            [blind[i] for i in decision.pair or ()], script.item.final_rule)
        script.finalized_at = now()
    script.save()
    if (script.state, script.final_total) != before:
        audit_record(actor=None, action="marking.script_state", target=script,
                     data={"label": script.label, "state": script.state, "reason": script.reason,
                           "final": str(script.final_total) if script.final_total is not None else None})
    if script.state == Script.State.DONE:
        _session_check_done(script.item.session_code)


def _pair_criteria(pair: list[Mark], rule: str) -> list[dict]:
    """Per-criterion marks of the final, from the agreeing pair by the item's rule: the lower or higher mark's own
    criteria, or their mean (for the candidate's standard areas and the re-check)."""
    if len(pair) != 2:
        return []
    a, b = pair
    if rule == rules.LOWER:
        return a.criteria if a.total <= b.total else b.criteria
    if rule == rules.HIGHER:
        return a.criteria if a.total >= b.total else b.criteria
    return [{"name": x["name"], "points": str(rules.combine(Decimal(x["points"]), Decimal(y["points"]), rules.MEAN))}
            for x, y in zip(a.criteria, b.criteria, strict=True)]


def _session_check_done(session_code: str) -> None:
    """Tell results once every script of the session has its final mark (idempotent for the listener)."""
    scripts = Script.objects.filter(item__session_code=session_code, is_gold=False)
    if scripts.exclude(state=Script.State.DONE).exists() or scripts.filter(ai_pending=True).exists():
        return
    outbox_publish(topic=SESSION_MARKED, payload={"session": session_code})


# ── the chief marker ─────────────────────────────────────────────────────────────────────────────────────────
@transaction.atomic
def script_arbitrate(*, script_code, chief, scores: list[tuple[str, str]]) -> Script:
    """The chief marker's mark of a script the markers couldn't agree on: final."""
    script = Script.objects.select_for_update().select_related("item").filter(code=script_code).first()
    if script is None:
        raise NotFound()
    if script.state != Script.State.CHIEF:
        raise DomainError(_("This script is not waiting for arbitration."), code="not_in_arbitration")
    if script.marks.filter(marker=chief, round__in=_BLIND, state=Mark.State.SUBMITTED).exists():
        raise DomainError(_("You marked this script yourself; another chief marker arbitrates it."),
                          code="own_script")
    criteria, total = scores_check(script.item, scores)
    mark = Mark.objects.create(script=script, marker=chief, round=Mark.Round.CHIEF, state=Mark.State.SUBMITTED,
                               criteria=criteria, total=total, submitted_at=now())
    audit_record(actor=chief, action="marking.arbitrate", target=mark, data={"script": script.label,
                                                                           "total": str(total)})
    _advance(script)
    return script


@transaction.atomic
def marker_stop(*, session_code: str, marker_id: int, reason: str, actor) -> MarkerStop:
    """Stop a marker for a session: they take nothing more, and the scripts they hold return to the queue."""
    if not reason.strip():
        raise DomainError(_("Give the reason for stopping this marker."), code="reason_required")
    if not Mark.objects.filter(script__item__session_code=session_code, marker_id=marker_id).exists():
        raise NotFound()  # only someone who marked in this session can be stopped in it
    stop = MarkerStop.objects.filter(session_code=session_code, marker_id=marker_id, lifted_at__isnull=True).first()
    if stop is None:
        stop = MarkerStop.objects.create(session_code=session_code, marker_id=marker_id, reason=reason.strip(),
                                         stopped_by=actor)
    released = Mark.objects.filter(script__item__session_code=session_code, marker_id=marker_id,
                                   state=Mark.State.TAKEN).update(state=Mark.State.RELEASED, updated_at=now())
    audit_record(actor=actor, action="marking.marker_stop", target=stop,
                 data={"session": session_code, "marker": marker_id, "reason": reason, "released": released})
    return stop


@transaction.atomic
def marker_resume(*, session_code: str, marker_id: int, actor) -> int:
    lifted = MarkerStop.objects.filter(session_code=session_code, marker_id=marker_id,
                                       lifted_at__isnull=True).update(lifted_at=now())
    if lifted:
        audit_record(actor=actor, action="marking.marker_resume", target_type="marking.session",
                     target_id=session_code, data={"marker": marker_id})
    return lifted


@transaction.atomic
def gold_create(*, item_code, answer_text: str, scores: list[tuple[str, str]], actor) -> Script:
    """A gold script: an answer with the scores it deserves, mixed into the item's queue to check markers."""
    item = MarkingItem.objects.filter(code=item_code).first()
    if item is None:
        raise NotFound()
    if not answer_text.strip():
        raise DomainError(_("Write the gold answer."), code="answer_required")
    criteria, total = scores_check(item, scores)
    script = Script.objects.create(item=item, label=_label(), answer={"text": answer_text.strip()}, is_gold=True,
                                   gold_criteria=criteria, gold_total=total, state=Script.State.DONE)
    audit_record(actor=actor, action="marking.gold_create", target=script,
                 data={"item": item.item_code, "total": str(total)})
    return script


# ── the AI check ─────────────────────────────────────────────────────────────────────────────────────────────
def script_ai_check(*, script_pk: int) -> str:
    """Ask the language model for an independent mark of a script. Stored hidden from markers; used only to send
    an agreed script to one more human when the two differ by more than the tolerance."""
    from aigcert.scoring.api import AIRubricCriterion, ai_mark

    script = Script.objects.select_related("item").filter(pk=script_pk).first()
    if script is None or script.is_gold:
        return "missing"
    item = script.item
    text = script.answer.get("text") or ""
    if script.answer.get("prompt_output"):
        text = f"{text}\n\n{script.answer['prompt_output']}"
    rubric = [AIRubricCriterion(c["name"], tuple((lv["label"], Decimal(lv["points"]), lv.get("description", ""))
                                                 for lv in c["levels"])) for c in item.rubric]
    try:
        suggestion = ai_mark(stem_text=item.stem_text or item.stem_html, rubric=rubric, answer_text=text,
                             max_points=item.max_points)
    except LLMError as error:
        with transaction.atomic():
            Script.objects.filter(pk=script_pk).update(ai={"error": str(error)}, ai_pending=False)
            _session_check_done(item.session_code)
        return "failed"
    with transaction.atomic():
        script = Script.objects.select_for_update().select_related("item").get(pk=script_pk)
        script.ai = {**suggestion.as_json(), "usable": suggestion.usable_as_check}
        script.ai_pending = False
        if suggestion.injection:
            script.injection = True
            script.injection_signals = sorted(set(script.injection_signals) | set(suggestion.injection_signals)
                                              | {"model_flag"})
        script.save(update_fields=["ai", "ai_pending", "injection", "injection_signals", "updated_at"])
        audit_record(actor=None, action="marking.ai_check", target=script,
                     data={"label": script.label, "total": str(suggestion.total), "injection": suggestion.injection})
        if script.state == Script.State.DONE and script.reason == rules.AGREED and not script.ai_checked:
            # The check arrived after the markers agreed (the session waits for it): apply it now; it can only ask
            # for another human.
            _advance(script)
        elif script.state == Script.State.DONE:
            _session_check_done(item.session_code)
    return "done"


# ── re-checks (复核) ─────────────────────────────────────────────────────────────────────────────────────────
@transaction.atomic
def recheck_open(*, session_code: str, attempt_code: str, candidate, reason: str) -> Recheck:
    """Open a re-check of an attempt's marked items (results checks the window and ownership first)."""
    if not reason.strip():
        raise DomainError(_("Say what you would like re-checked."), code="reason_required")
    if not Script.objects.filter(attempt_code=attempt_code, is_gold=False).exists():
        raise DomainError(_("Only items marked by people can be re-checked, and this exam had none."),
                          code="nothing_to_recheck")
    try:
        with transaction.atomic():
            recheck = Recheck.objects.create(session_code=session_code, attempt_code=attempt_code,
                                             candidate=candidate, reason=reason.strip()[:2000])
    except IntegrityError:
        raise DomainError(_("A re-check of this exam is already under way."), code="already_open") from None
    audit_record(actor=candidate, action="marking.recheck_open", target=recheck, data={"attempt": attempt_code})
    return recheck


@transaction.atomic
def recheck_resolve(*, recheck_code, chief, resolution: str,
                    corrections: dict[str, list[tuple[str, str]]]) -> Recheck:
    """The chief marker's decision on a re-check: scripts left as they are or re-marked (criterion scores), with
    the reason. Audited; results recomputes the result and tells the candidate."""
    recheck = Recheck.objects.select_for_update().filter(code=recheck_code).first()
    if recheck is None:
        raise NotFound()
    if recheck.state != Recheck.State.OPEN:
        raise DomainError(_("This re-check is already resolved."), code="resolved")
    if not resolution.strip():
        raise DomainError(_("Give the reason for the outcome."), code="reason_required")
    scripts = {s.label: s for s in Script.objects.select_for_update().select_related("item")
               .filter(attempt_code=recheck.attempt_code, is_gold=False)}
    unknown = set(corrections) - set(scripts)
    if unknown:
        raise NotFound()
    changes = []
    for label, scores in corrections.items():
        script = scripts[label]
        criteria, total = scores_check(script.item, scores)
        if total == script.final_total:
            continue
        Mark.objects.create(script=script, marker=chief, round=Mark.Round.RECHECK, state=Mark.State.SUBMITTED,
                            criteria=criteria, total=total, submitted_at=now())
        changes.append({"script": label, "before": str(script.final_total), "after": str(total)})
        script.final_total, script.final_criteria, script.reason = total, criteria, rules.RECHECKED
        script.finalized_at = now()
        script.save(update_fields=["final_total", "final_criteria", "reason", "finalized_at", "updated_at"])
    recheck.state = Recheck.State.RESOLVED
    recheck.outcome = Recheck.Outcome.CORRECTED if changes else Recheck.Outcome.UNCHANGED
    recheck.resolution, recheck.resolved_by, recheck.resolved_at = resolution.strip(), chief, now()
    recheck.changes = changes
    recheck.save()
    audit_record(actor=chief, action="marking.recheck_resolve", target=recheck,
                 data={"attempt": recheck.attempt_code, "outcome": recheck.outcome, "changes": changes,
                       "reason": resolution})
    outbox_publish(topic=RECHECK_RESOLVED, payload={"session": recheck.session_code, "recheck": str(recheck.code),
                                                     "attempt": recheck.attempt_code})
    return recheck
