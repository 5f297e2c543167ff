"""Results writes: computing a session's results once scoring and marking are done, releasing them on the
program's schedule (or earlier, by an exam admin with a reason), and re-checks after release.

Until a session is released nothing of a result reaches the candidate: the pages, the API and the e-mails all
ask ``result_visible``. The release reports each result to enrolment through its api (a pass issues the balance
order, a fail prices the retake, with the first one free) and tells the apps above (partner dashboards)."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, audit_record, notify, now, outbox_publish, rows_insert
from aigcert.delivery import api as delivery
from aigcert.enrolment import api as enrolment
from aigcert.exams import api as exams
from aigcert.marking import api as marking
from aigcert.results import rules, selectors
from aigcert.results.models import Result, SessionResults
from aigcert.results.policy import results_policy
from aigcert.scoring import api as scoring

logger = logging.getLogger(__name__)

RESULTS_RELEASED = "results.released"


def _session_results(session_code: str) -> SessionResults:
    existing = SessionResults.objects.filter(session_code=session_code).first()
    if existing is not None:
        return existing
    session = exams.session_get(session_code)
    program = catalog.program_get(session.program_code)
    policy = results_policy(session.program_code)
    due = rules.release_at(timezone.localtime(session.start_at).date(), delay_days=program.exam.results_delay_days,
                           at=policy.release_time, tz=timezone.get_current_timezone())
    results, _created = SessionResults.objects.get_or_create(
        session_code=session_code, defaults={"program_code": session.program_code, "release_at": due})
    return results


@transaction.atomic
def session_results_compute(*, session_code: str) -> SessionResults:
    """(Re)compute every result of a session from its scores and final marks, and release them when they are due.
    Results already released change only through a re-check."""
    results = _session_results(session_code)
    results = SessionResults.objects.select_for_update().get(pk=results.pk)
    if results.state == SessionResults.State.RELEASED:
        return results
    _compute(results)
    if results.state == SessionResults.State.READY and results.release_at <= now():
        _release(results, actor=None, reason="")
    return results


def _compute(results: SessionResults) -> None:
    """The batch behind every computation (the caller holds the row's lock): a fixed number of queries for the
    session, then one COPY of the new results. Ready only when every result is complete; otherwise waiting (a
    script reopened by a late check sends a ready session back to waiting)."""
    session_code = results.session_code
    state = scoring.session_scoring_get(session_code)
    if state is None or not state.done or not marking.session_marking_state(session_code).finished:
        if results.state == SessionResults.State.READY:
            results.state = SessionResults.State.WAITING
            results.save(update_fields=["state", "updated_at"])
        return
    batch = _Batch(results)
    scores = scoring.session_scores(session_code)
    finals = marking.session_finals(session_code)
    existing = {r.attempt_code: r for r in Result.objects.filter(session=results)}
    new, changed, incomplete = [], [], 0
    for score in scores:
        fields = batch.fields(score, finals.get(score.attempt_code, {}))
        if fields is None:
            incomplete += 1
            continue
        result = existing.get(score.attempt_code)
        if result is None:
            new.append(Result(attempt_code=score.attempt_code, **fields))
        else:
            for name, value in fields.items():
                setattr(result, name, value)
            changed.append(result)
    rows_insert(Result, new)
    Result.objects.bulk_update(changed, ["total", "maximum", "pass_line", "passed", "sections", "areas",
                                         "enrolment_code", "updated_at"], batch_size=1000)
    sat = enrolment.enrolments_mark_sat(enrolment_codes=[r.enrolment_code for r in new if r.enrolment_code])
    results.computed_at = now()
    results.state = SessionResults.State.READY if incomplete == 0 else SessionResults.State.WAITING
    results.save(update_fields=["computed_at", "state", "updated_at"])
    audit_record(actor=None, action="results.compute", target=results,
                 data={"session": session_code, "results": len(scores) - incomplete, "attempts": len(scores),
                       "sat": sat})


class _Batch:
    """What every result of a session shares, read once: the program, each paper and its pass line, the seats."""

    def __init__(self, results: SessionResults):
        self.results = results
        program = catalog.program_get(results.program_code)
        self.pass_mark, self.total_score = program.exam.pass_mark, program.exam.total_score
        self.papers = {pk: paper for pk, _code, _cand, paper, _state
                       in delivery.session_attempt_rows(results.session_code)}
        self.seats = {seat.candidate_id: seat.enrolment_code
                      for seat in enrolment.seats_of_session(results.session_code)}
        self._paper_cache: dict[int, tuple[list[str], rules.PaperTotals, Decimal]] = {}
        self._decimals: dict[str, Decimal] = {}

    def paper(self, attempt_pk: int) -> tuple[list[str], rules.PaperTotals, Decimal]:
        """The slots of the attempt's paper, its shape and its pass line: worked out once per paper."""
        paper_id = self.papers[attempt_pk]
        if paper_id not in self._paper_cache:
            paper = exams.paper_get(paper_id)
            shape = rules.PaperTotals((i["item_type"], i.get("area_code") or "", Decimal(i["points"]))
                                      for i in paper.items)
            self._paper_cache[paper_id] = ([i["slot"] for i in paper.items], shape, scoring.pass_line(
                pass_mark=self.pass_mark, total_score=self.total_score, paper_max=paper.total_points))
        return self._paper_cache[paper_id]

    def _decimal(self, text: str | None) -> Decimal | None:
        if text is None:
            return None
        value = self._decimals.get(text)
        if value is None:
            value = self._decimals[text] = Decimal(text)
        return value

    def fields(self, score, finals: dict) -> dict | None:
        """A result's fields from the scoring of the attempt and the final marks of its scripts; None while any
        item still has no score."""
        slots_order, shape, pass_line = self.paper(score.attempt_pk)
        slots = score.slots
        awarded = [finals[slot][0] if slot in finals else self._decimal(slots.get(slot)) for slot in slots_order]
        totals = shape.of(awarded, pass_line=pass_line)
        if not totals.complete:
            return None
        fields = {"session": self.results, "candidate_id": score.candidate_id,
                  "program_code": self.results.program_code, "total": totals.total, "maximum": totals.maximum,
                  "pass_line": pass_line, "passed": totals.passed, "sections": [p.as_json() for p in totals.sections],
                  "areas": [p.as_json() for p in totals.areas]}
        # The seat is released once the result is reported: a recomputed result keeps the enrolment it had.
        if score.candidate_id in self.seats:
            fields["enrolment_code"] = self.seats[score.candidate_id]
        return fields


def _result_recompute(result: Result) -> Result | None:
    """One released result again, after a re-check changed a final mark."""
    [score] = [s for s in scoring.session_scores(result.session.session_code) if s.attempt_code == result.attempt_code]
    finals = marking.session_finals(result.session.session_code).get(result.attempt_code, {})
    fields = _Batch(result.session).fields(score, finals)
    if fields is None:
        return None
    for name, value in fields.items():
        setattr(result, name, value)
    result.save()
    return result


def _session_compute_safely(session_code: str) -> None:
    try:
        session_results_compute(session_code=session_code)
    except NotFound:
        logger.warning("results of unknown session %s", session_code)


# ── release ──────────────────────────────────────────────────────────────────────────────────────────────────
def _release(results: SessionResults, *, actor, reason: str) -> bool:
    """Release (the caller holds the row's lock). Scoring is frozen first, so a key correction either committed
    before (and the computation below sees it) or is refused; then the results are computed once more, and only
    released if they are still complete."""
    scoring.session_freeze(session_code=results.session_code)
    _compute(results)
    if results.state != SessionResults.State.READY:
        return False
    results.state, results.released_at = SessionResults.State.RELEASED, now()
    results.released_by, results.release_reason = actor, reason
    results.save(update_fields=["state", "released_at", "released_by", "release_reason", "updated_at"])
    reported = 0
    for result in results.results.all():
        _report(result, actor=actor)
        reported += 1
    audit_record(actor=actor, action="results.release", target=results,
                 data={"session": results.session_code, "results": reported, "early": bool(reason),
                       "reason": reason, "due": results.release_at.isoformat()})
    outbox_publish(topic=RESULTS_RELEASED, payload={"session": results.session_code,
                                                    "program": results.program_code})
    return True


def _report(result: Result, *, actor) -> None:
    """Tell enrolment the outcome (it notifies the candidate and issues the balance or prices the retake)."""
    if result.enrolment_code:
        try:
            enrolment.enrolment_record_result(enrolment_code=result.enrolment_code, passed=result.passed,
                                              score=int(result.total), actor=actor)
        except DomainError as error:
            # The enrolment moved on in a way that refuses this outcome (e.g. withdrawn): the exam office sees it.
            audit_record(actor=actor, action="results.report_refused", target=result,
                         data={"enrolment": result.enrolment_code, "error": str(error)})
            return
    result.reported_at = now()
    result.save(update_fields=["reported_at", "updated_at"])


@transaction.atomic
def session_results_release(*, session_code: str, actor, reason: str = "") -> SessionResults:
    """Release a session's results now. Before the due date only with a reason (audited)."""
    results = SessionResults.objects.select_for_update().filter(session_code=session_code).first()
    if results is None:
        raise NotFound()
    if results.state == SessionResults.State.RELEASED:
        raise DomainError(_("These results are already released."), code="released")
    if results.state != SessionResults.State.READY:
        raise DomainError(_("These results are not complete yet: scoring or marking is still going on."),
                          code="not_ready")
    if results.release_at > now() and not reason.strip():
        raise DomainError(_("Releasing before the due date needs a reason."), code="reason_required")
    if not _release(results, actor=actor, reason=reason.strip()):
        raise DomainError(_("These results are not complete yet: scoring or marking is still going on."),
                          code="not_ready")
    return results


def results_release_due() -> int:
    """Release every ready session whose due moment has passed (run by the minute tick)."""
    released = 0
    for pk in SessionResults.objects.filter(state=SessionResults.State.READY, release_at__lte=now()) \
            .values_list("pk", flat=True):
        with transaction.atomic():
            results = SessionResults.objects.select_for_update().get(pk=pk)
            if results.state == SessionResults.State.READY and _release(results, actor=None, reason=""):
                released += 1
    return released


# ── re-checks ────────────────────────────────────────────────────────────────────────────────────────────────
@transaction.atomic
def recheck_request(*, candidate, result_code, reason: str) -> marking.RecheckData:
    result = selectors.result_of(candidate=candidate, code=result_code)
    if not selectors.recheck_window_open(result):
        raise DomainError(_("The time for asking a re-check of this result has passed."), code="window_closed")
    recheck = marking.recheck_open(session_code=result.session.session_code, attempt_code=result.attempt_code,
                                   candidate=candidate, reason=reason)
    audit_record(actor=candidate, action="results.recheck_request", target=result, data={"recheck": recheck.code})
    return recheck


@transaction.atomic
def on_recheck_resolved(payload: dict) -> None:
    """Apply a re-check's outcome to the released result: recompute, audit, tell the candidate and, when the
    pass changes, enrolment."""
    result = Result.objects.select_for_update().select_related("session", "candidate").filter(
        attempt_code=payload["attempt"]).first()
    if result is None:
        return
    recheck = next((r for r in marking.rechecks_of(result.attempt_code) if r.code == payload["recheck"]), None)
    before_total, before_passed = result.total, result.passed
    updated = _result_recompute(result)
    if updated is None:
        return
    changed = updated.total != before_total
    audit_record(actor=None, action="results.recheck_apply", target=updated,
                 data={"recheck": payload["recheck"], "before": str(before_total), "after": str(updated.total),
                       "passed_before": before_passed, "passed_after": updated.passed})
    user = result.candidate
    if changed:
        body = gettext_lazy("Your re-check is resolved: your score was corrected from %(before)s to %(after)s. "
                            "Reason: %(reason)s")
    else:
        body = gettext_lazy("Your re-check is resolved: your score is unchanged. Reason: %(reason)s")
    notify(user_id=user.pk, language=user.language, email=user.email, kind="result",
           subject=gettext_lazy("Your re-check"), body=body,
           params={"before": before_total, "after": updated.total, "reason": recheck.resolution if recheck else ""},
           link=f"/me/results/{updated.code}/")
    if updated.passed != before_passed:
        # Reported afresh: should enrolment refuse the new outcome, the office's list of unreported results shows it.
        updated.reported_at = None
        updated.save(update_fields=["reported_at", "updated_at"])
        _report(updated, actor=None)
