"""Results reads: what a candidate may see of their results (nothing before release, never anyone else's), the
re-check window, and the exam office's list of sessions."""

from __future__ import annotations

from aigcert.core.api import NotFound, now
from aigcert.results import rules
from aigcert.results.models import Result, SessionResults
from aigcert.results.policy import results_policy


def result_visible(result: Result) -> bool:
    session = result.session
    return session.state == SessionResults.State.RELEASED and session.released_at is not None \
        and session.released_at <= now()


def result_of(*, candidate, code) -> Result:
    """The candidate's own released result; anyone else's, or one not released yet, looks missing."""
    result = Result.objects.filter(code=code, candidate=candidate).select_related("session").first() \
        if getattr(candidate, "is_authenticated", False) else None
    if result is None or not result_visible(result):
        raise NotFound()
    return result


def results_of(candidate_id: int) -> list[Result]:
    """Every result of a candidate, released or not, newest first (the caller shows the score only if visible)."""
    return list(Result.objects.filter(candidate_id=candidate_id).select_related("session")
                .order_by("-session__release_at"))


def recheck_window_open(result: Result) -> bool:
    policy = results_policy(result.program_code)
    return rules.recheck_open(result.session.released_at, now(), window_days=policy.recheck_window_days)


def sessions_for_office(limit: int = 200) -> list[SessionResults]:
    return list(SessionResults.objects.order_by("-release_at")[:limit])


def session_results(session_code: str) -> SessionResults | None:
    return SessionResults.objects.filter(session_code=session_code).first()


def results_unreported(results: SessionResults) -> list[Result]:
    """Released results enrolment refused (withdrawn since, or a re-check it can't apply): the office acts."""
    if results.state != SessionResults.State.RELEASED:
        return []
    return list(results.results.filter(reported_at__isnull=True))
