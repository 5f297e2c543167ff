"""What other apps may ask results (credentials, talent, analytics and the portal, above it)."""

from __future__ import annotations

from aigcert.results import services
from aigcert.results.models import Result, SessionResults

__all__ = ["RESULTS_RELEASED", "released_results_of", "results_release_due"]

RESULTS_RELEASED = services.RESULTS_RELEASED
results_release_due = services.results_release_due


def released_results_of(candidate_id: int) -> list[tuple[str, str, bool, str]]:
    """(program, session, passed, total) of the candidate's released results, newest first."""
    return [(r.program_code, r.session.session_code, r.passed, str(r.total))
            for r in Result.objects.filter(candidate_id=candidate_id, session__state=SessionResults.State.RELEASED)
            .select_related("session").order_by("-session__released_at")]
