"""What other apps may ask marking (results and the portal, above it)."""

from __future__ import annotations

from aigcert.marking import selectors, services
from aigcert.marking.data import MarkingStateData, RecheckData
from aigcert.marking.models import Recheck, Script

__all__ = [
    "RECHECK_RESOLVED",
    "SESSION_MARKED",
    "MarkingStateData",
    "RecheckData",
    "locks_expire",
    "recheck_open",
    "rechecks_of",
    "session_finals",
    "session_marking_state",
]

SESSION_MARKED = services.SESSION_MARKED
RECHECK_RESOLVED = services.RECHECK_RESOLVED
locks_expire = services.locks_expire
session_finals = selectors.session_finals


def session_marking_state(session_code: str) -> MarkingStateData:
    scripts = Script.objects.filter(item__session_code=session_code, is_gold=False)
    return MarkingStateData(scripts=scripts.count(), done=scripts.filter(state=Script.State.DONE).count())


def _recheck_data(r: Recheck) -> RecheckData:
    return RecheckData(code=str(r.code), attempt_code=r.attempt_code, state=r.state,
                       state_label=str(Recheck.State(r.state).label), outcome=r.outcome,
                       outcome_label=str(Recheck.Outcome(r.outcome).label) if r.outcome else "",
                       reason=r.reason, resolution=r.resolution, created_at=r.created_at, resolved_at=r.resolved_at,
                       changes=list(r.changes))


def recheck_open(*, session_code: str, attempt_code: str, candidate, reason: str) -> RecheckData:
    return _recheck_data(services.recheck_open(session_code=session_code, attempt_code=attempt_code,
                                               candidate=candidate, reason=reason))


def rechecks_of(attempt_code: str) -> list[RecheckData]:
    return [_recheck_data(r) for r in Recheck.objects.filter(attempt_code=attempt_code).order_by("created_at")]
