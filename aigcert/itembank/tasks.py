"""Background work for spreadsheet imports: check the whole file (with progress), then write it at once."""

from __future__ import annotations

from pathlib import Path

from django.db import DatabaseError
from django.utils import translation
from django_tasks import task

from aigcert.core.api import now
from aigcert.itembank import importing
from aigcert.itembank.models import ImportJob
from aigcert.itembank.xlsx import SheetProblem


def _progress(job_id: int):
    def report(done: int, total: int) -> None:
        # Autocommit writes, outside any transaction, so the page polling the job sees them at once.
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)
    return report


def _check(job: ImportJob) -> importing.ImportCheck:
    with translation.override(job.language):
        return importing.xlsx_check(Path(job.file.path), default_program=job.program_code,
                                    progress=_progress(job.pk))


@task()
def import_job_check(*, job_id: int) -> str:
    job = ImportJob.objects.get(pk=job_id)
    check = _check(job)
    job.refresh_from_db(fields=["processed_rows", "total_rows"])
    job.problems = [p.as_dict() for p in check.problems]
    job.duplicates = check.duplicates
    job.total_rows = check.total_rows
    job.status = ImportJob.Status.READY if check.ok else ImportJob.Status.INVALID
    job.finished_at = now() if not check.ok else None
    job.save(update_fields=["problems", "duplicates", "total_rows", "status", "finished_at", "updated_at"])
    return job.status


@task()
def import_job_run(*, job_id: int) -> str:
    # Claim the job with a conditional update, so a double click or a second worker can't import it twice.
    if not ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.READY).update(
            status=ImportJob.Status.IMPORTING, processed_rows=0):
        return "skipped"
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    check = _check(job)  # again: the bank may have changed since the first check
    try:
        with translation.override(job.language):
            imported = importing.check_write(actor=job.created_by, check=check, source=job.filename,
                                             skip_duplicates=job.skip_duplicates) if check.ok else 0
    except DatabaseError as exc:
        check.problems.append(SheetProblem("", 0, "", "", str(exc)))
        imported = 0
    job.problems = [p.as_dict() for p in check.problems]
    job.imported = imported
    job.status = ImportJob.Status.DONE if check.ok and not job.problems else ImportJob.Status.FAILED
    job.finished_at = now()
    job.save(update_fields=["problems", "imported", "status", "finished_at", "updated_at"])
    return job.status
