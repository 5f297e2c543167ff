"""What other apps may ask results (credentials, talent, analytics and the portal, above it)."""

from __future__ import annotations

from aigcert.results import selectors, services
from aigcert.results.data import ResultData

__all__ = ["RESULTS_RELEASED", "ResultData", "results_of", "results_release_due"]

RESULTS_RELEASED = services.RESULTS_RELEASED
results_release_due = services.results_release_due


def results_of(candidate_id: int) -> list[ResultData]:
    """The candidate's results, newest first: the score only of those released."""
    rows = []
    for r in selectors.results_of(candidate_id):
        visible = selectors.result_visible(r)
        rows.append(ResultData(code=str(r.code), program_code=r.program_code, session_code=r.session.session_code,
                               released=visible, release_due=r.session.release_at,
                               total=r.total if visible else None, maximum=r.maximum if visible else None,
                               passed=r.passed if visible else None))
    return rows
