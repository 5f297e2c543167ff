"""Computing a session's results is a batch for the worker, after marking commits."""

from __future__ import annotations

from django_tasks import task

from aigcert.results import services


@task()
def session_results_compute_task(*, session_code: str) -> str:
    return services.session_results_compute(session_code=session_code).state
