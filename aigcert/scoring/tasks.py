"""Background scoring: a mock is scored by the worker right after it closes, never inside the submit request."""

from __future__ import annotations

from django_tasks import task

from aigcert.scoring import services


@task()
def attempt_score_task(*, attempt_code: str) -> str:
    score = services.attempt_score(attempt_code=attempt_code)
    return f"{score.objective_points}/{score.objective_max}"
