"""Pre-assembly of a formal session's papers before it opens, so that starting the exam is a cheap unlock.

`session_papers_prepare` queues a `PaperBatch` (one at a time per session) and the background task
(`exams.tasks.paper_batch_run`) freezes the missing papers one by one with the program's active formal blueprint:
the bank is loaded once, exposure is counted across all of the session's papers, and the batch's done count
moves with each paper so the staff page can show progress. Running again only adds what is missing.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from aigcert.core.api import DomainError, NotFound, audit_record, now
from aigcert.exams import blueprints, papers, rules
from aigcert.exams.models import Blueprint, Paper, PaperBatch, Session

MAX_PAPERS = 5000
# A batch that has not moved for this long is taken as dead (its worker stopped), so the office can start again.
STALE_AFTER = timedelta(minutes=30)
LIVE = (PaperBatch.Status.QUEUED, PaperBatch.Status.RUNNING)


def papers_wanted(blueprint: Blueprint, *, count: int | None, capacity: int) -> int:
    """How many papers a session needs: one shared paper, the blueprint's forms, or `count` fresh papers (one per
    seat by default)."""
    if blueprint.paper_mode == Blueprint.PaperMode.SHARED:
        return 1
    if blueprint.paper_mode == Blueprint.PaperMode.FORMS:
        return max(1, blueprint.forms_count)
    return capacity if count is None else count


def session_by_code(code) -> Session | None:
    try:
        return Session.objects.filter(code=code).first()
    except ValidationError:  # not a uuid
        return None


def batch_latest(session: Session) -> PaperBatch | None:
    return PaperBatch.objects.filter(session=session).select_related("blueprint", "created_by").first()


def _stale_batches_fail(session: Session) -> None:
    PaperBatch.objects.filter(session=session, status__in=LIVE, updated_at__lt=now() - STALE_AFTER).update(
        status=PaperBatch.Status.FAILED, finished_at=now(), updated_at=now(),
        error=_("The batch stopped without finishing; the papers made so far are kept."))


@transaction.atomic
def session_papers_prepare(*, session_code: str, count: int | None = None, actor) -> PaperBatch:
    """Queue the freezing of a session's missing papers; the task starts once this transaction commits.

    Refused (DomainError) for a cancelled or finished session, a program without an active formal blueprint,
    while another batch of the session is queued or running, when the session's papers come from another
    blueprint, and when nothing is missing (code "complete")."""
    session = None
    with contextlib.suppress(ValidationError):  # not a uuid: the same "not found"
        session = Session.objects.select_for_update().filter(code=session_code).first()
    if session is None:
        raise NotFound()
    if session.cancelled_at is not None:
        raise DomainError(_("This session is cancelled."), code="cancelled")
    if session.state == rules.FINISHED:
        raise DomainError(_("This session is over."), code="finished")
    blueprint = papers.blueprint_active(session.program_code, Blueprint.Mode.FORMAL)
    if blueprint is None:
        raise DomainError(_("No formal exam blueprint is set up for this program yet."), code="no_blueprint")
    _stale_batches_fail(session)
    if PaperBatch.objects.filter(session=session, status__in=LIVE).exists():
        raise DomainError(_("Papers for this session are being prepared already; wait until that batch has "
                            "finished."), code="busy")
    if count is not None and not 1 <= count <= MAX_PAPERS:
        raise DomainError(_("Ask for between 1 and %(max)s papers.") % {"max": MAX_PAPERS}, field="count")
    existing = Paper.objects.filter(session=session)
    other = existing.exclude(blueprint=blueprint).select_related("blueprint").first()
    if other is not None:
        raise DomainError(_("This session's papers were made with another blueprint (%(name)s); papers from two "
                            "blueprints can't be mixed in one session.") % {"name": other.blueprint.name},
                          code="other_blueprint")
    have = existing.count()
    wanted = papers_wanted(blueprint, count=count, capacity=session.capacity)
    if have >= wanted:
        raise DomainError(_("The session has its %(count)s papers already; nothing was added.") % {"count": have},
                          code="complete")
    batch = PaperBatch.objects.create(session=session, blueprint=blueprint, papers_before=have,
                                      requested=wanted - have, created_by=actor,
                                      language=translation.get_language() or settings.LANGUAGE_CODE)
    audit_record(actor=actor, action="exams.papers_prepare", target=batch, data={
        "session": str(session.code), "blueprint": str(blueprint.code), "paper_mode": blueprint.paper_mode,
        "papers_before": have, "requested": batch.requested})
    from aigcert.exams.tasks import paper_batch_run  # the task module imports this one

    transaction.on_commit(lambda: paper_batch_run.enqueue(batch_id=batch.pk))
    return batch


def _finish(batch_id: int, status: str, reasons=()) -> None:
    PaperBatch.objects.filter(pk=batch_id).update(status=status, error="\n".join(str(r) for r in reasons),
                                                  finished_at=now(), updated_at=now())


def batch_run(batch_id: int) -> str:
    """The task's body: claim the queued batch, freeze the missing papers, record the outcome. Runs outside any
    transaction; each paper commits together with the batch's new done count."""
    if not PaperBatch.objects.filter(pk=batch_id, status=PaperBatch.Status.QUEUED).update(
            status=PaperBatch.Status.RUNNING, updated_at=now()):
        return "skipped"  # run already, or given up as stale
    batch = PaperBatch.objects.select_related("session", "blueprint").get(pk=batch_id)
    with translation.override(batch.language):
        try:
            reasons = _papers_freeze(batch)
        except DomainError as exc:
            reasons = [str(exc.message)]
        except Exception:
            _finish(batch_id, PaperBatch.Status.FAILED, [_(
                "Preparing the papers stopped on an unexpected error; the papers made so far are kept. Start "
                "again to add the rest.")])
            raise
    status = PaperBatch.Status.FAILED if reasons else PaperBatch.Status.DONE
    _finish(batch_id, status, reasons)
    return status


def _papers_freeze(batch: PaperBatch) -> list[str]:
    blueprint, session = batch.blueprint, batch.session
    bank = blueprints.bank_for(blueprint.program_code, blueprint.mode)
    reasons = blueprints.blueprint_check(program_code=blueprint.program_code, spec=blueprints.blueprint_spec(blueprint),
                                         mode=blueprint.mode, bank=bank)
    if reasons:
        return reasons
    existing = list(Paper.objects.filter(session=session).values_list("blueprint_id", "form_number", "items"))
    if any(blueprint_id != blueprint.pk for blueprint_id, _number, _items in existing):
        return [_("This session's papers were made with another blueprint; papers from two blueprints can't be "
                  "mixed in one session.")]
    exposure: Counter[int] = Counter(item["version_id"] for _b, _n, items in existing for item in items)
    number = max((form_number for _b, form_number, _i in existing), default=0)
    made, target = len(existing), batch.papers_before + batch.requested
    frozen: set[int] = set()  # versions whose payload snapshot this batch has made sure of
    while made < target:
        number += 1
        with transaction.atomic():
            paper = blueprints.paper_freeze(blueprint=blueprint, session=session, form_number=number, bank=bank,
                                            exposure=exposure, papers_before=made, frozen=frozen)
            PaperBatch.objects.filter(pk=batch.pk).update(done=made + 1 - batch.papers_before, updated_at=now())
        made += 1
        exposure.update(item["version_id"] for item in paper.items)
    return []
