"""What other apps may ask scoring (marking, results, analytics and the portal, all above it)."""

from __future__ import annotations

from aigcert.scoring import formal, rules
from aigcert.scoring.ai import AISuggestion, ai_mark, injection_signals
from aigcert.scoring.ai import RubricCriterion as AIRubricCriterion
from aigcert.scoring.data import FormalScoreData, MachineOutputData, SessionScoringData
from aigcert.scoring.models import AttemptScore, MachineRun, NotebookEntry, SessionScoring
from aigcert.scoring.services import scores_requeue_stale

__all__ = [
    "SESSION_READY_FOR_MARKING",
    "SESSION_RESCORED",
    "SESSION_SCORED",
    "AIRubricCriterion",
    "AISuggestion",
    "FormalScoreData",
    "MachineOutputData",
    "SessionScoringData",
    "ai_mark",
    "injection_signals",
    "machine_outputs",
    "machine_runs_requeue_stale",
    "machine_runs_retry",
    "mock_summary",
    "pass_line",
    "rescore_apply",
    "rescore_preview",
    "scaled",
    "scores_requeue_stale",
    "session_freeze",
    "session_scores",
    "session_scoring_get",
    "session_scoring_request",
    "sessions_score_due",
]

SESSION_SCORED = formal.SESSION_SCORED
SESSION_READY_FOR_MARKING = formal.SESSION_READY_FOR_MARKING
SESSION_RESCORED = formal.SESSION_RESCORED
session_scoring_request = formal.session_scoring_request
sessions_score_due = formal.sessions_score_due
machine_runs_requeue_stale = formal.machine_runs_requeue_stale
machine_runs_retry = formal.machine_runs_retry
rescore_preview = formal.rescore_preview
rescore_apply = formal.rescore_apply
session_freeze = formal.session_freeze
pass_line = rules.pass_line
scaled = rules.scaled


def mock_summary(candidate_id: int, program_code: str) -> tuple[int, object | None, int]:
    """(mock exams scored, best objective score, notebook items to retry) for the personal center."""
    scores = AttemptScore.objects.filter(candidate_id=candidate_id, program_code=program_code, kind="mock",
                                         state=AttemptScore.State.SCORED)
    best = max((s.objective_points for s in scores), default=None)
    waiting = NotebookEntry.objects.filter(candidate_id=candidate_id, program_code=program_code,
                                           mastered_at__isnull=True).count()
    return len(scores), best, waiting


def session_scoring_get(session_code: str) -> SessionScoringData | None:
    scoring = SessionScoring.objects.filter(session_code=session_code).first()
    if scoring is None:
        return None
    unavailable = MachineRun.objects.filter(session_code=session_code, state=MachineRun.State.UNAVAILABLE,
                                            kind=MachineRun.Kind.JUDGE).count()
    return SessionScoringData(session_code=session_code, program_code=scoring.program_code, state=scoring.state,
                              state_label=str(SessionScoring.State(scoring.state).label),
                              attempts_total=scoring.attempts_total, attempts_scored=scoring.attempts_scored,
                              error=scoring.error, frozen=scoring.frozen_at is not None,
                              judge_unavailable=unavailable, overrides=dict(scoring.overrides))


def session_scores(session_code: str) -> list[FormalScoreData]:
    """Every scored attempt of a formal session: the objective and judged points per slot."""
    rows = (AttemptScore.objects.filter(session_code=session_code, state=AttemptScore.State.SCORED)
            .order_by("attempt_id").values_list("attempt__code", "attempt_id", "candidate_id", "slots",
                                                "paper_max"))
    return [FormalScoreData(attempt_code=str(code), attempt_pk=pk, candidate_id=candidate, slots=slots,
                            paper_max=paper_max) for code, pk, candidate, slots, paper_max in rows]


def machine_outputs(session_code: str) -> dict[tuple[int, str], MachineOutputData]:
    """(attempt pk, slot) → what a machine made of that response, for a whole session at once."""
    return {(attempt_pk, slot): MachineOutputData(kind=kind, state=state, result=dict(result), message=message)
            for attempt_pk, slot, kind, state, result, message in
            MachineRun.objects.filter(session_code=session_code).values_list(
                "score__attempt_id", "slot", "kind", "state", "result", "message")}
