"""Certificate PDFs: made once and kept (the paper never changes after issue), one at a time on first download or
a whole session's in a background batch, and merged into one print file for the office's printer."""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext
from pypdf import PdfWriter

from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, audit_record, audit_record_many, cjk_font_subset, now
from aigcert.credentials import pdf as certificate_pdf
from aigcert.credentials import rules
from aigcert.credentials.models import Certificate, PdfBatch

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 25


def _store(certificate: Certificate, content: bytes) -> None:
    certificate.pdf.save(f"{certificate.number}.pdf", ContentFile(content), save=False)
    Certificate.objects.filter(pk=certificate.pk).update(pdf=certificate.pdf.name)


def certificate_pdf_bytes(certificate: Certificate) -> bytes:
    """The certificate's PDF, made now if it has none yet."""
    if certificate.number is None:
        raise DomainError(gettext("The certificate is not issued yet."))
    if certificate.pdf:
        try:
            with certificate.pdf.open("rb") as handle:
                return handle.read()
        except FileNotFoundError:
            logger.warning("PDF of %s missing from storage; making it again", certificate.number)
    content = certificate_pdf.certificate_pdf(certificate_pdf.certificate_text(certificate))
    _store(certificate, content)
    return content


def print_file(certificates: Iterable[Certificate], *, actor) -> bytes:
    """One PDF with every chosen certificate, a page each, in the order given. Who printed which is audited."""
    writer = PdfWriter()
    certificates = list(certificates)
    for certificate in certificates:
        writer.append(io.BytesIO(certificate_pdf_bytes(certificate)))
    audit_record_many(action="credentials.print_file", targets=certificates,
                      data=[{"number": c.number} for c in certificates], actor=actor)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@transaction.atomic
def pdf_batch_start(*, session_code: str, actor) -> PdfBatch:
    from aigcert.credentials.tasks import pdf_batch_task

    session_code = (session_code or "").strip()
    total = Certificate.objects.filter(session_code=session_code, state__in=rules.HELD_STATES).count()
    if not total:
        raise DomainError(gettext("Session %(session)s has no issued certificates.") % {"session": session_code})
    batch = PdfBatch.objects.create(session_code=session_code, requested_by=actor, total=total)
    audit_record(actor=actor, action="credentials.pdf_batch_started", target=batch,
                 data={"session": session_code, "total": total})
    transaction.on_commit(lambda: pdf_batch_task.enqueue(batch_id=batch.pk))
    return batch


def pdf_batch_run(batch: PdfBatch) -> PdfBatch:
    """Make the PDFs of a session's issued certificates that have none, reporting progress as it goes."""
    PdfBatch.objects.filter(pk=batch.pk).update(status=PdfBatch.Status.RUNNING)
    try:
        rows = list(Certificate.objects.filter(session_code=batch.session_code, state__in=rules.HELD_STATES)
                    .order_by("number"))
        PdfBatch.objects.filter(pk=batch.pk).update(total=len(rows), done=sum(1 for c in rows if c.pdf))
        todo = [c for c in rows if not c.pdf]
        facts = {code: catalog.certificate_facts(code) for code in {c.program_code for c in todo}}
        texts = [certificate_pdf.certificate_text(c, facts[c.program_code]) for c in todo]
        with tempfile.TemporaryDirectory() as folder:
            font = cjk_font_subset("".join(sorted({ch for t in texts for ch in t.characters()})),
                                   Path(folder) / "batch.ttf") if texts else None
            for position, (certificate, text) in enumerate(zip(todo, texts, strict=True), start=1):
                _store(certificate, certificate_pdf.certificate_pdf(text, font_file=font))
                if position % PROGRESS_EVERY == 0 or position == len(todo):
                    PdfBatch.objects.filter(pk=batch.pk).update(done=F("done") + (
                        position % PROGRESS_EVERY or PROGRESS_EVERY))
    except Exception as exc:
        logger.exception("certificate PDF batch %s failed", batch.pk)
        PdfBatch.objects.filter(pk=batch.pk).update(status=PdfBatch.Status.FAILED, error=repr(exc)[:2000],
                                                    finished_at=now())
        raise
    PdfBatch.objects.filter(pk=batch.pk).update(status=PdfBatch.Status.DONE, finished_at=now())
    batch.refresh_from_db()
    return batch
