"""The demo's exam day (`aigcert demo`): a 通用级 session starting a quarter of an hour after the demo is loaded,
the demo candidate booked into it, its papers queued for the worker, and the demo proctor assigned — so that a
newcomer can check in, watch the proctor console, and sit a formal exam."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from aigcert.core.api import now
from aigcert.delivery.examday import desk_get
from aigcert.enrolment import api as enrolment
from aigcert.exams import api as exams

DEMO_PROGRAM = "aigc-general"
STARTS_IN = timedelta(minutes=15)


def demo_exam_day_load(*, candidate, proctor, exam_admin) -> str | None:
    """Returns the session's start ("YYYY-MM-DD HH:MM") or None when the demo candidate holds a seat already."""
    if any(e.booking is not None for e in enrolment.enrolments_of(candidate)):
        return None
    start = (now() + STARTS_IN).replace(second=0, microsecond=0)
    with transaction.atomic():
        session = exams.demo_session_soon(program_code=DEMO_PROGRAM, start_at=start, actor=exam_admin)
        if enrolment.demo_candidate_book(candidate=candidate, session_code=session.code) is None:
            transaction.set_rollback(True)
            return None
        exams.session_papers_prepare(session_code=session.code, actor=exam_admin)
        desk, _session = desk_get(session.code)
        desk.proctors.add(proctor)
    return timezone.localtime(start).strftime("%Y-%m-%d %H:%M")
