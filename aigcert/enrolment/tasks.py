from django.utils import translation
from django_tasks import task

from aigcert.enrolment.importing import candidate_import_run
from aigcert.enrolment.models import CandidateImport


@task()
def candidate_import_task(*, job_id: int) -> str:
    job = CandidateImport.objects.get(pk=job_id)
    with translation.override(job.language):
        return candidate_import_run(job).status
