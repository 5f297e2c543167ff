from django_tasks import task

from aigcert.credentials.models import PdfBatch
from aigcert.credentials.printing import pdf_batch_run


@task()
def pdf_batch_task(*, batch_id: int) -> str:
    return pdf_batch_run(PdfBatch.objects.get(pk=batch_id)).status
