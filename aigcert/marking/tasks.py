"""Marking's background work: the AI check of a script (a slow call to a language model, never in a request)."""

from __future__ import annotations

from django_tasks import task

from aigcert.marking import services


@task()
def script_ai_check_task(*, script_pk: int) -> str:
    return services.script_ai_check(script_pk=script_pk)


@task()
def session_scripts_create_task(*, session_code: str) -> int:
    return services.session_scripts_create(session_code=session_code)
