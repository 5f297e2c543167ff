"""What other apps may ask scoring (analytics, results and the portal, all above it)."""

from __future__ import annotations

from aigcert.scoring.models import AttemptScore, NotebookEntry
from aigcert.scoring.services import scores_requeue_stale

__all__ = ["mock_summary", "scores_requeue_stale"]


def mock_summary(candidate_id: int, program_code: str) -> tuple[int, object | None, int]:
    """(mock exams scored, best objective score, notebook items to retry) for the personal center."""
    scores = AttemptScore.objects.filter(candidate_id=candidate_id, program_code=program_code, kind="mock",
                                         state=AttemptScore.State.SCORED)
    best = max((s.objective_points for s in scores), default=None)
    waiting = NotebookEntry.objects.filter(candidate_id=candidate_id, program_code=program_code,
                                           mastered_at__isnull=True).count()
    return len(scores), best, waiting
