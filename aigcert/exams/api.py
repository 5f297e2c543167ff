"""What other apps may ask the session calendar."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

from django.utils import timezone

from aigcert.core.api import NotFound, now, today
from aigcert.exams import papers, rules, services
from aigcert.exams.data import PaperData, SessionData, TicketData
from aigcert.exams.models import Paper, PayloadSnapshot, Session

__all__ = [
    "PaperData",
    "SessionData",
    "TicketData",
    "default_exam_day",
    "demo_blueprints_load",
    "demo_session_soon",
    "mock_available",
    "paper_for_mock",
    "paper_get",
    "session_cancel",
    "session_get",
    "session_in_horizon",
    "session_lock",
    "session_papers",
    "session_papers_prepare",
    "session_papers_prepare_now",
    "sessions_bookable",
    "sessions_by_pk",
    "sessions_generate",
    "sessions_starting_between",
    "sessions_upcoming",
    "ticket_pdf",
]


default_exam_day = rules.default_exam_day


def session_data(session: Session) -> SessionData:
    state = session.state
    return SessionData(
        pk=session.pk, code=str(session.code), program_code=session.program_code,
        sitting_code=session.sitting_code, sitting_label=session.sitting_label, start_at=session.start_at,
        end_at=session.times.end_at, duration_minutes=session.duration_minutes, capacity=session.capacity,
        booking_opens_at=session.booking_opens_at, booking_closes_at=session.booking_closes_at, state=state,
        state_label=str(Session.State(state).label), cancelled=session.cancelled_at is not None,
    )


def session_get(code: str) -> SessionData:
    session = Session.objects.filter(code=code).first()
    if session is None:
        raise NotFound()
    return session_data(session)


def session_lock(code: str) -> SessionData:
    """Lock the session row for the rest of the caller's transaction: bookings of one session queue up here."""
    session = Session.objects.select_for_update().filter(code=code).first()
    if session is None:
        raise NotFound()
    return session_data(session)


def sessions_by_pk(pks) -> dict[int, SessionData]:
    return {s.pk: session_data(s) for s in Session.objects.filter(pk__in=set(pks))}


def sessions_bookable(program_code: str, *, horizon_months: int) -> list[SessionData]:
    """Sessions a candidate may choose now: open for booking and within the program's horizon."""
    moment = now()
    sessions = Session.objects.filter(program_code=program_code, cancelled_at__isnull=True,
                                      booking_opens_at__lte=moment, booking_closes_at__gt=moment)
    return [session_data(s) for s in sessions
            if rules.within_horizon(timezone.localtime(s.start_at).date(), today(), horizon_months)]


def session_in_horizon(session: SessionData, horizon_months: int) -> bool:
    return rules.within_horizon(timezone.localtime(session.start_at).date(), today(), horizon_months)


def sessions_starting_between(start, end) -> dict[int, SessionData]:
    return {s.pk: session_data(s) for s in Session.objects.filter(cancelled_at__isnull=True, start_at__gt=start,
                                                                   start_at__lte=end)}


def sessions_upcoming(*, program_code: str | None = None, since: date | None = None) -> list[SessionData]:
    sessions = Session.objects.filter(start_at__date__gte=since or today())
    if program_code:
        sessions = sessions.filter(program_code=program_code)
    return [session_data(s) for s in sessions]


def session_cancel(*, code: str, replacement_code: str | None, reason: str, actor) -> SessionData:
    session = Session.objects.select_for_update().filter(code=code).first()
    if session is None:
        raise NotFound()
    replacement = None
    if replacement_code:
        replacement = Session.objects.select_for_update().filter(code=replacement_code).first()
        if replacement is None:
            raise NotFound()
    return session_data(services.session_cancel(session=session, replacement=replacement, reason=reason,
                                                actor=actor))


def sessions_generate(*, program_code: str, days: list[date], actor, capacity: int | None = None,
                      sitting_codes: list[str] | None = None) -> list[SessionData]:
    return [session_data(s) for s in services.sessions_generate(program_code=program_code, days=days, actor=actor,
                                                                capacity=capacity, sitting_codes=sitting_codes)]


def demo_session_soon(*, program_code: str, start_at, actor) -> SessionData:
    """A session starting at ``start_at`` and bookable until then, for the demo's exam day."""
    return session_data(services.session_rehearsal_create(program_code=program_code, start_at=start_at,
                                                          actor=actor))


def ticket_pdf(ticket: TicketData) -> bytes:
    from aigcert.exams.tickets import ticket_pdf as render

    return render(ticket)


def _paper_data(paper: Paper) -> PaperData:
    blueprint = paper.blueprint
    snapshots = PayloadSnapshot.objects.in_bulk([item["version_id"] for item in paper.items])
    # Papers frozen before payload snapshots carry their payloads themselves.
    items = tuple(item if "payload" in item else {**item, "payload": snapshots[item["version_id"]].payload}
                  for item in paper.items)
    return PaperData(pk=paper.pk, code=str(paper.code), program_code=blueprint.program_code, mode=blueprint.mode,
                     blueprint_name=blueprint.name, layout=blueprint.layout, shuffle_items=blueprint.shuffle_items,
                     shuffle_options=blueprint.shuffle_options, seed=paper.seed, items=items,
                     total_points=paper.total_points)


_PAPERS: OrderedDict[tuple[int, str], PaperData] = OrderedDict()
_PAPERS_KEPT = 64
_PAPERS_LOCK = threading.Lock()


def paper_get(pk: int, *, code: str | None = None) -> PaperData:
    """A frozen paper with its payloads. Papers never change once frozen, so each process keeps the last few it
    read (keyed by id and public code, which no other paper shares): a session's thousands of starts and page
    loads read a paper's hundred payloads once. A caller that read the paper's ``code`` with its own row passes it,
    and a cached paper then costs no query at all."""
    if code is None:
        code = Paper.objects.filter(pk=pk).values_list("code", flat=True).first()
    if code is None:
        raise NotFound()
    key = (pk, str(code))
    with _PAPERS_LOCK:  # the threads of one worker share the cache
        cached = _PAPERS.get(key)
        if cached is not None:
            _PAPERS.move_to_end(key)
            return cached
    data = _paper_data(papers.paper_get(pk))
    with _PAPERS_LOCK:
        _PAPERS[key] = data
        while len(_PAPERS) > _PAPERS_KEPT:
            _PAPERS.popitem(last=False)
    return data


def session_papers_prepare(*, session_code: str, actor, count: int | None = None) -> int:
    """Queue the freezing of a session's missing papers (the task runs after commit); returns how many."""
    from aigcert.exams.preassembly import session_papers_prepare as prepare

    return prepare(session_code=session_code, count=count, actor=actor).requested


def session_papers_prepare_now(*, session_code: str, actor) -> int:
    """Freeze a session's papers in this process, without the worker: for the demo, whose sessions must be sat
    before any worker runs. Returns how many papers the session has."""
    from aigcert.exams.preassembly import batch_run
    from aigcert.exams.preassembly import session_papers_prepare as prepare

    batch = prepare(session_code=session_code, actor=actor)
    batch_run(batch.pk)
    return len(session_papers(session_code))


def session_papers(session_code: str) -> list[int]:
    """The ids of a session's frozen papers by form number (empty when none are prepared yet)."""
    return list(Paper.objects.filter(session__code=session_code).order_by("form_number", "pk")
                .values_list("pk", flat=True))


def paper_for_mock(*, program_code: str, candidate_id: int, attempt_number: int) -> PaperData:
    """A frozen paper for a candidate's next mock exam (DomainError "no_blueprint" when none is set up)."""
    paper = papers.paper_for_mock(program_code=program_code, candidate_id=candidate_id,
                                  attempt_number=attempt_number)
    return paper_get(paper.pk)


def mock_available(program_code: str) -> bool:
    return papers.blueprint_active(program_code, "mock") is not None


demo_blueprints_load = papers.demo_blueprints_load
