"""The tutor's index is refreshed in the background, never in the staff member's save request."""

from __future__ import annotations

from django_tasks import task

from aigcert.tutor import index


@task()
def lesson_reindex_task(*, program_code: str, lesson_code: str) -> int:
    return index.lesson_reindex(program_code, lesson_code)


@task()
def program_reindex_task(*, program_code: str) -> int:
    return index.program_reindex(program_code)
