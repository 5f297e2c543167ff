"""Scoring of formal sessions: a batch after the session closes, never inside an exam request.

One worker claims a session (a conditional UPDATE, as healthchecks' sendalerts claims checks), scores its
attempts' objective items a thousand at a time with a memoizing paper scorer, and records one machine run per
program (the judge) and, when a language model is configured, per prompt task. Machine runs are claimed one by one
the same way, so several workers can share them and a worker that dies leaves its run to be claimed again. When
nothing is left, the session is scored and ``SESSION_SCORED`` tells the apps above (marking, results).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aigcert.core.api import (
    DomainError,
    LLMError,
    NotFound,
    audit_record,
    llm_configured,
    now,
    outbox_publish,
    rows_insert,
)
from aigcert.delivery import api as delivery
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.scoring import rules
from aigcert.scoring.models import AttemptScore, MachineRun, Rescore, SessionScoring

logger = logging.getLogger(__name__)

SESSION_SCORED = "scoring.session_scored"
SESSION_READY_FOR_MARKING = "scoring.session_ready_for_marking"
SESSION_RESCORED = "scoring.session_rescored"
CHUNK = 1000
CLAIM_STALE = timedelta(minutes=10)  # a claim older than this belongs to a worker that died
PROGRAM, PROMPT_TASK = "program", "prompt_task"


def _attempts(session_code: str) -> list[tuple[int, str, int, int, str]]:
    return delivery.session_attempt_rows(session_code)


@transaction.atomic
def session_scoring_request(*, session_code: str, actor=None) -> SessionScoring:
    """Queue the scoring of a closed session (idempotent: a session queued, running or done stays so)."""
    session = exams.session_get(session_code)
    rows = _attempts(session_code)
    if any(state == "open" for _pk, _code, _cand, _paper, state in rows):
        raise DomainError(_("Some attempts of this session are still open; scoring starts once all are closed."),
                          code="open_attempts")
    scoring, created = SessionScoring.objects.get_or_create(
        session_code=session_code, defaults={"program_code": session.program_code, "attempts_total": len(rows)})
    if created or scoring.state == SessionScoring.State.FAILED:
        SessionScoring.objects.filter(pk=scoring.pk).update(state=SessionScoring.State.QUEUED, error="",
                                                            attempts_total=len(rows))
        audit_record(actor=actor, action="scoring.session_queue", target=scoring,
                     data={"session": session_code, "attempts": len(rows)})
        _enqueue_session(session_code)
    scoring.refresh_from_db()
    return scoring


def _enqueue_session(session_code: str) -> None:
    from aigcert.scoring.tasks import session_score_task

    transaction.on_commit(lambda: session_score_task.enqueue(session_code=session_code))


def _enqueue_machine(session_code: str) -> None:
    from aigcert.scoring.tasks import machine_runs_task

    transaction.on_commit(lambda: machine_runs_task.enqueue(session_code=session_code))


def _claim(session_code: str) -> bool:
    """Take the session for this worker: queued, or running under a claim that went stale."""
    moment = now()
    return SessionScoring.objects.filter(
        Q(state=SessionScoring.State.QUEUED)
        | Q(state=SessionScoring.State.RUNNING, claimed_at__lt=moment - CLAIM_STALE),
        session_code=session_code, frozen_at__isnull=True,
    ).update(state=SessionScoring.State.RUNNING, claimed_at=moment) == 1


def _paper_scorer(paper_id: int, overrides: dict[str, int]) -> tuple[rules.PaperScorer, exams.PaperData]:
    paper = exams.paper_get(paper_id)
    versions = [overrides.get(str(i["version_id"]), i["version_id"]) for i in paper.items]
    scorers = itembank.objective_scorers(versions)
    items = [(i["slot"], v, Decimal(i["points"])) for i, v in zip(paper.items, versions, strict=True)]
    return rules.PaperScorer(items, scorers), paper


def _answers_by_attempt(pks: list[int]) -> dict[int, dict[str, str | None]]:
    return delivery.answers_raw(pks)


def _answers_ahead(chunks: list[list[tuple]]) -> Iterator[tuple[list[tuple], dict[int, dict[str, str | None]]]]:
    """Each chunk of attempts with its answers. On PostgreSQL, outside a transaction (the worker's case), the
    next chunk's answers are read on a second connection while this one is scored and written: the database's
    work then overlaps Python's instead of waiting for it. Elsewhere (SQLite; a caller's transaction, whose
    uncommitted rows a second connection could not see) one after the other."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(chunks) < 2:
        for chunk in chunks:
            yield chunk, _answers_by_attempt([r[0] for r in chunk])
        return

    def read(chunk: list[tuple]) -> dict[int, dict[str, str | None]]:
        return _answers_by_attempt([r[0] for r in chunk])

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring-read") as pool:
        ahead = pool.submit(read, chunks[0])
        try:
            for n, chunk in enumerate(chunks):
                answers = ahead.result()
                if n + 1 < len(chunks):
                    ahead = pool.submit(read, chunks[n + 1])
                yield chunk, answers
        finally:
            pool.submit(connections.close_all).result()


def session_score(*, session_code: str) -> SessionScoring:
    """Score every closed formal attempt of a session that isn't scored yet. Safe to run twice or after a crash:
    attempts already scored are skipped, and only one worker holds the claim."""
    if not _claim(session_code):
        return SessionScoring.objects.get(session_code=session_code)
    scoring = SessionScoring.objects.get(session_code=session_code)
    try:
        scored = _score_attempts(scoring)
    except Exception as error:
        logger.exception("scoring of session %s failed", session_code)
        SessionScoring.objects.filter(pk=scoring.pk).update(state=SessionScoring.State.FAILED, error=str(error))
        raise
    SessionScoring.objects.filter(pk=scoring.pk).update(state=SessionScoring.State.JUDGING, attempts_scored=scored)
    machine_runs_drain(session_code=session_code)
    scoring.refresh_from_db()
    return scoring


def _score_attempts(scoring: SessionScoring) -> int:
    rows = [r for r in _attempts(scoring.session_code) if r[4] != "open"]
    done = set(AttemptScore.objects.filter(session_code=scoring.session_code, state=AttemptScore.State.SCORED)
               .values_list("attempt_id", flat=True))
    todo = [r for r in rows if r[0] not in done]
    papers: dict[int, tuple[rules.PaperScorer, exams.PaperData]] = {}
    machine_max: dict[int, Decimal] = {}
    moment = now()
    llm = llm_configured()
    chunks = [todo[start:start + CHUNK] for start in range(0, len(todo), CHUNK)]
    for start, (chunk, answers) in zip(range(0, len(todo), CHUNK), _answers_ahead(chunks), strict=True):
        scores, runs = [], []
        for pk, _code, candidate_id, paper_id, _state in chunk:
            if paper_id not in papers:
                papers[paper_id] = _paper_scorer(paper_id, scoring.overrides)
                # What machines score: the objective items now, the programs once judged.
                machine_max[paper_id] = papers[paper_id][0].objective_max + sum(
                    (Decimal(i["points"]) for i in papers[paper_id][1].items if i["item_type"] == PROGRAM), rules.ZERO)
            scorer, paper = papers[paper_id]
            slots, objective = scorer.score(answers.get(pk, {}))
            score = AttemptScore(attempt_id=pk, candidate_id=candidate_id, program_code=scoring.program_code,
                                 kind="formal", session_code=scoring.session_code, state=AttemptScore.State.SCORED,
                                 objective_points=objective, objective_max=machine_max[paper_id],
                                 paper_max=paper.total_points, slots=slots, scored_at=moment,
                                 unscored_items=sum(1 for v in slots.values() if v is None))
            scores.append(score)
            for item in paper.items:
                if item["item_type"] == PROGRAM or (item["item_type"] == PROMPT_TASK and llm):
                    runs.append((score, item, MachineRun.Kind.JUDGE if item["item_type"] == PROGRAM
                                 else MachineRun.Kind.PROMPT))
        with transaction.atomic():
            # A pending row left by an interrupted run is replaced, not duplicated.
            AttemptScore.objects.filter(attempt_id__in=[s.attempt_id for s in scores]).delete()
            rows_insert(AttemptScore, scores)
            if runs:
                ids = dict(AttemptScore.objects.filter(attempt_id__in=[s.attempt_id for s in scores])
                           .values_list("attempt_id", "pk"))
                for score in scores:
                    score.pk = ids[score.attempt_id]
            MachineRun.objects.bulk_create(
                [MachineRun(score=s, session_code=scoring.session_code, slot=item["slot"],
                            version_id=int(scoring.overrides.get(str(item["version_id"]), item["version_id"])),
                            slot_points=Decimal(item["points"]), kind=kind) for s, item, kind in runs],
                batch_size=500)
            # Progress, and the claim renewed: a session that takes longer than CLAIM_STALE stays this worker's.
            SessionScoring.objects.filter(pk=scoring.pk).update(attempts_scored=len(done) + start + len(chunk),
                                                                claimed_at=now())
    audit_record(actor=None, action="scoring.session_score", target=scoring,
                 data={"session": scoring.session_code, "attempts": len(rows), "scored_now": len(todo)})
    return len(rows)


def _claim_run(session_code: str) -> MachineRun | None:
    moment = now()
    while True:
        # Prompt runs first: the markers wait for their output, while nobody waits for the judge until results.
        run = (MachineRun.objects.filter(Q(state=MachineRun.State.PENDING)
                                         | Q(state=MachineRun.State.RUNNING, claimed_at__lt=moment - CLAIM_STALE),
                                         session_code=session_code).order_by("-kind", "pk").first())
        if run is None:
            return None
        if MachineRun.objects.filter(pk=run.pk, state=run.state, claimed_at=run.claimed_at).update(
                state=MachineRun.State.RUNNING, claimed_at=moment) == 1:
            run.state, run.claimed_at = MachineRun.State.RUNNING, moment
            return run


def _answer(run: MachineRun):
    return delivery.responses_get(run.score.attempt_id).get(run.slot, (None, False))[0]


def _run_judge(run: MachineRun) -> None:
    from aigcert.scoring.judge import JUDGED, program_judge

    spec = itembank.program_specs([run.version_id]).get(run.version_id)
    code = _answer(run)
    if spec is None:
        run.state, run.message = MachineRun.State.UNAVAILABLE, _("The item is not a programming item.")
        return
    if not isinstance(code, str) or not code.strip():
        earned = rules.ZERO
        run.result = {"status": "empty", "cases": [], "points": "0"}
    else:
        result = program_judge(code=code, tests=list(spec.tests), time_limit_ms=spec.time_limit_ms,
                               memory_limit_mb=spec.memory_limit_mb, language=spec.language)
        run.result = result.as_json()
        if result.status != JUDGED:
            # Never a score from a judge that did not run: the slot stays open and the session unfinished.
            run.state, run.message = MachineRun.State.UNAVAILABLE, result.message
            return
        earned = result.points
    item_points = sum((points for _i, _o, points in spec.tests), rules.ZERO)
    awarded = rules.scaled(earned, item_points=item_points, slot_points=run.slot_points)
    _slot_set(run.score, run.slot, awarded)
    run.state = MachineRun.State.DONE


def _slot_set(score: AttemptScore, slot: str, awarded: Decimal) -> None:
    with transaction.atomic():
        locked = AttemptScore.objects.select_for_update().get(pk=score.pk)
        was_open = locked.slots.get(slot) is None
        locked.slots[slot] = str(awarded)
        locked.objective_points = sum((Decimal(v) for v in locked.slots.values() if v is not None), rules.ZERO)
        if was_open:
            locked.unscored_items = max(0, locked.unscored_items - 1)
        locked.save(update_fields=["slots", "objective_points", "unscored_items", "updated_at"])


def _run_prompt(run: MachineRun) -> None:
    from aigcert.scoring.ai import prompt_task_run

    prompt = _answer(run)
    if not isinstance(prompt, str) or not prompt.strip():
        run.result, run.state = {"output": ""}, MachineRun.State.DONE
        return
    try:
        run.result = {"output": prompt_task_run(prompt=prompt)}
        run.state = MachineRun.State.DONE
    except LLMError as error:
        # The markers then see the prompt alone, with this reason.
        run.result, run.state, run.message = {"output": ""}, MachineRun.State.UNAVAILABLE, str(error)


def machine_runs_drain(*, session_code: str, limit: int | None = None) -> int:
    """Run the session's waiting machine runs one at a time until none is left (or ``limit`` ran)."""
    ran = 0
    while limit is None or ran < limit:
        run = _claim_run(session_code)
        if run is None:
            break
        try:
            (_run_judge if run.kind == MachineRun.Kind.JUDGE else _run_prompt)(run)
        except Exception as error:  # a broken run must not stop the others; it is shown, never counted as passed
            logger.exception("machine run %s failed", run.pk)
            run.state, run.message = MachineRun.State.UNAVAILABLE, str(error)[:2000]
        run.save(update_fields=["state", "result", "message", "updated_at"])
        ran += 1
        if run.kind == MachineRun.Kind.JUDGE:
            _marking_ready_if_done(session_code)
    _marking_ready_if_done(session_code)
    _finish_if_done(session_code)
    return ran


def _marking_ready_if_done(session_code: str) -> None:
    """Tell marking, once, that the answers people mark are ready: every attempt scored and no prompt run waiting."""
    if MachineRun.objects.filter(session_code=session_code, kind=MachineRun.Kind.PROMPT,
                                 state__in=[MachineRun.State.PENDING, MachineRun.State.RUNNING]).exists():
        return
    with transaction.atomic():
        if SessionScoring.objects.filter(session_code=session_code, marking_ready_at__isnull=True,
                                         state__in=[SessionScoring.State.JUDGING, SessionScoring.State.DONE]
                                         ).update(marking_ready_at=now()) == 1:
            outbox_publish(topic=SESSION_READY_FOR_MARKING, payload={"session": session_code})


def _finish_if_done(session_code: str) -> None:
    runs = MachineRun.objects.filter(session_code=session_code)
    if runs.filter(state__in=[MachineRun.State.PENDING, MachineRun.State.RUNNING]).exists():
        return
    broken = runs.filter(state=MachineRun.State.UNAVAILABLE, kind=MachineRun.Kind.JUDGE)
    if broken.exists():
        # Never finished with programs nobody judged: the exam office sees why and runs them again once fixed.
        message = broken.values_list("message", flat=True).first()
        count = broken.count()
        SessionScoring.objects.filter(session_code=session_code).update(
            error=ngettext("%(count)d program could not be judged: %(reason)s",
                           "%(count)d programs could not be judged: %(reason)s", count)
            % {"count": count, "reason": message})
        return
    with transaction.atomic():
        if SessionScoring.objects.filter(session_code=session_code, state=SessionScoring.State.JUDGING).update(
                state=SessionScoring.State.DONE, finished_at=now(), error="") == 1:
            outbox_publish(topic=SESSION_SCORED, payload={"session": session_code})


def machine_runs_retry(*, session_code: str, actor) -> int:
    """Run again the judge runs that could not run (the judge was unavailable), once it is fixed."""
    with transaction.atomic():
        count = MachineRun.objects.filter(session_code=session_code, state=MachineRun.State.UNAVAILABLE,
                                          kind=MachineRun.Kind.JUDGE).update(state=MachineRun.State.PENDING,
                                                                            message="")
        if count:
            SessionScoring.objects.filter(session_code=session_code, state=SessionScoring.State.DONE).update(
                state=SessionScoring.State.JUDGING, finished_at=None)
            audit_record(actor=actor, action="scoring.machine_retry", target_type="scoring.session",
                         target_id=session_code, data={"runs": count})
            _enqueue_machine(session_code)
    return count


# ── key corrections ──────────────────────────────────────────────────────────────────────────────────────────
def rescore_preview(*, session_code: str) -> tuple[dict[str, int], list[dict]]:
    """The corrected versions a re-scoring would use (items whose key was corrected and approved again since the
    papers were frozen) and the attempts whose objective score would change: (versions, changes)."""
    scoring = SessionScoring.objects.filter(session_code=session_code).first()
    if scoring is None or scoring.state != SessionScoring.State.DONE:
        raise DomainError(_("The session is not scored yet."), code="not_scored")
    scores = list(AttemptScore.objects.filter(session_code=session_code).order_by("attempt_id"))
    paper_ids = {pk: paper for pk, _c, _cand, paper, _s in _attempts(session_code)}
    used = {int(k): v for k, v in scoring.overrides.items()}
    originals = {i["version_id"] for pid in set(paper_ids.values()) for i in exams.paper_get(pid).items}
    newer = itembank.versions_current(originals)
    replacements = {str(old): new for old, new in newer.items() if used.get(old) != new}
    if not replacements:
        return {}, []
    overrides = {**scoring.overrides, **replacements}
    papers: dict[int, tuple[rules.PaperScorer, exams.PaperData]] = {}
    answers = {}
    for start in range(0, len(scores), CHUNK):
        answers.update(_answers_by_attempt([s.attempt_id for s in scores[start:start + CHUNK]]))
    # Programs whose tests were corrected are judged again (by the worker, after the re-scoring is applied): the
    # preview lists who holds one, with "after" left empty until the judge has run.
    rejudge = set(MachineRun.objects.filter(session_code=session_code, kind=MachineRun.Kind.JUDGE,
                                            version_id__in=[int(v) for v in replacements])
                  .values_list("score_id", flat=True))
    changes = []
    for score in scores:
        paper_id = paper_ids[score.attempt_id]
        if paper_id not in papers:
            papers[paper_id] = _paper_scorer(paper_id, overrides)
        slots, _total = papers[paper_id][0].score(answers.get(score.attempt_id, {}))
        new_slots = {**score.slots, **{k: v for k, v in slots.items() if v is not None}}
        before = sum((Decimal(v) for v in score.slots.values() if v is not None), rules.ZERO)
        if new_slots != score.slots:
            after = sum((Decimal(v) for v in new_slots.values() if v is not None), rules.ZERO)
            changes.append({"score": score.pk, "attempt": score.attempt_id, "candidate": score.candidate_id,
                            "before": str(before), "after": str(after), "slots": new_slots,
                            "rejudge": score.pk in rejudge})
        elif score.pk in rejudge:
            changes.append({"score": score.pk, "attempt": score.attempt_id, "candidate": score.candidate_id,
                            "before": str(before), "after": None, "slots": new_slots, "rejudge": True})
    return replacements, changes


@transaction.atomic
def rescore_apply(*, session_code: str, reason: str, actor) -> Rescore:
    """Apply a key correction to a scored session before its results are released. Audited, with the list of
    candidates whose score changes."""
    if not reason.strip():
        raise DomainError(_("Give the reason for re-scoring."), code="reason_required")
    scoring = SessionScoring.objects.select_for_update().filter(session_code=session_code).first()
    if scoring is None:
        raise NotFound()
    if scoring.frozen_at is not None:
        raise DomainError(_("The results of this session are released; only a re-check can change a score now."),
                          code="frozen")
    versions, changes = rescore_preview(session_code=session_code)
    if not versions:
        raise DomainError(_("No item of this session has a corrected key."), code="nothing_to_rescore")
    for change in changes:
        if change["after"] is not None:
            AttemptScore.objects.filter(pk=change["score"]).update(
                slots=change["slots"], objective_points=Decimal(change["after"]), updated_at=now())
    rejudged = _rejudge(session_code, {int(old): new for old, new in versions.items()})
    scoring.overrides = {**scoring.overrides, **versions}
    scoring.save(update_fields=["overrides", "updated_at"])
    public = [{k: c[k] for k in ("attempt", "candidate", "before", "after", "rejudge")} for c in changes]
    rescore = Rescore.objects.create(session_code=session_code, versions=versions, reason=reason.strip(),
                                     changes=public, actor=actor)
    audit_record(actor=actor, action="scoring.session_rescore", target=rescore,
                 data={"session": session_code, "versions": versions, "changed": len(public), "reason": reason,
                       "rejudged": rejudged, "changes": public[:200]})
    outbox_publish(topic=SESSION_RESCORED, payload={"session": session_code})
    return rescore


def _rejudge(session_code: str, versions: dict[int, int]) -> int:
    """Send the programs of corrected programming items back to the judge with the corrected tests: their slots
    open again (results wait for them) and the session is judging until the worker is through."""
    runs = list(MachineRun.objects.select_for_update().filter(session_code=session_code, kind=MachineRun.Kind.JUDGE,
                                                              version_id__in=list(versions)))
    for run in runs:
        score = AttemptScore.objects.select_for_update().get(pk=run.score_id)
        previous = score.slots.get(run.slot)
        if previous is not None:
            score.slots[run.slot] = None
            score.objective_points -= Decimal(previous)
            score.unscored_items += 1
            score.save(update_fields=["slots", "objective_points", "unscored_items", "updated_at"])
        MachineRun.objects.filter(pk=run.pk).update(version_id=versions[run.version_id], state=MachineRun.State.PENDING,
                                                    result={"previous": previous}, message="", updated_at=now())
    if runs:
        SessionScoring.objects.filter(session_code=session_code).update(state=SessionScoring.State.JUDGING,
                                                                        finished_at=None)
        _enqueue_machine(session_code)
    return len(runs)


def session_freeze(*, session_code: str) -> None:
    SessionScoring.objects.filter(session_code=session_code, frozen_at__isnull=True).update(frozen_at=now())


def sessions_score_due() -> int:
    """Queue the scoring of formal sessions that ended (with every attempt closed) in the last two weeks and
    aren't queued yet. Run by the minute tick; a session with an attempt still open is left for the next tick."""
    moment = now()
    queued = 0
    known = set(SessionScoring.objects.values_list("session_code", flat=True))
    for session in exams.sessions_starting_between(moment - timedelta(days=14), moment).values():
        if session.code in known or session.end_at > moment or not _attempts(session.code):
            continue
        try:
            session_scoring_request(session_code=session.code)
            queued += 1
        except DomainError:
            continue
    return queued


def machine_runs_requeue_stale() -> int:
    """Queue again the sessions whose machine runs wait with no worker on them (a task lost, a worker that died)."""
    stale = now() - CLAIM_STALE
    sessions = set(MachineRun.objects.filter(Q(state=MachineRun.State.PENDING, updated_at__lt=stale)
                                             | Q(state=MachineRun.State.RUNNING, claimed_at__lt=stale))
                   .values_list("session_code", flat=True)[:100])
    for code in sessions:
        _enqueue_machine(code)
    return len(sessions)
