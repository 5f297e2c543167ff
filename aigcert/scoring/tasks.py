"""Background scoring: a mock is scored by the worker right after it closes, a formal session as a batch once it
has closed; never inside an exam request."""

from __future__ import annotations

from django_tasks import task

from aigcert.scoring import formal, services


@task()
def attempt_score_task(*, attempt_code: str) -> str:
    score = services.attempt_score(attempt_code=attempt_code)
    return f"{score.objective_points}/{score.objective_max}"


@task()
def session_score_task(*, session_code: str) -> str:
    scoring = formal.session_score(session_code=session_code)
    return f"{scoring.state} {scoring.attempts_scored}/{scoring.attempts_total}"


@task()
def machine_runs_task(*, session_code: str) -> int:
    return formal.machine_runs_drain(session_code=session_code)
