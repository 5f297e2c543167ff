"""Background work of the exams app: pre-assembling a session's papers (progress on the PaperBatch row)."""

from __future__ import annotations

from django_tasks import task

from aigcert.exams import preassembly


@task()
def paper_batch_run(*, batch_id: int) -> str:
    return preassembly.batch_run(batch_id)
