"""Test fixtures for the apps that deliver and score exams (delivery and above): the shipped catalog, the demo
item bank (approved) and the demo blueprints, loaded once per test module; candidates whose program is unlocked;
the player's endpoints as a browser calls them. Import the fixtures into a conftest.

Not in the root conftest because lower apps' tests import that, and they must not depend on exams."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from aigcert.accounts.roles import Role
from aigcert.accounts.tests.factories import UserFactory
from aigcert.conftest import SHIPPED_CATALOG
from aigcert.core.api import now
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank


@pytest.fixture(scope="module")
def _exam_bank_once(django_db_setup, django_db_blocker):
    """Loaded in a transaction rolled back after the module's last test; each test still runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", str(SHIPPED_CATALOG), stdout=io.StringIO())
        itembank.demo_bank_load(author=UserFactory(roles=[Role.ITEM_AUTHOR]),
                                reviewer=UserFactory(roles=[Role.ITEM_REVIEWER]))
        exams.demo_blueprints_load(actor=UserFactory(roles=[Role.EXAM_ADMIN]))
        yield
        transaction.set_rollback(True)


@pytest.fixture
def exam_bank(_exam_bank_once, db):
    """The catalog, the demo item bank and the demo mock/formal blueprints (module-scoped, rolled back)."""


GENERAL = "aigc-general"


def unlock(user, program_code=GENERAL):
    """Enrolment rows through the app registry: their model is not ours to import, and paying a deposit is
    enrolment's own tested journey."""
    apps.get_model("enrolment", "Enrolment").objects.create(candidate=user, program_code=program_code,
                                                            state="deposit_paid")
    return user


@pytest.fixture
def catalog(exam_bank):
    """Overrides the root fixture: the module's catalog is already loaded."""


@pytest.fixture
def examinee(exam_bank, make_user):
    """A candidate who paid the deposit of 通用级: mock exams are open to them."""
    return unlock(make_user(Role.CANDIDATE))


@pytest.fixture
def examinee_client(client, examinee):
    client.force_login(examinee)
    return client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded work goes to a throwaway folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def config_of(page) -> dict:
    """The player's embedded configuration (the JSON in <script id="exam-config">)."""
    found = re.search(r'<script id="exam-config" type="application/json">(.*?)</script>', page.content.decode(), re.S)
    assert found, "the player page has no exam-config"
    return json.loads(found.group(1))


def post_json(client, url: str, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **extra)


def english(client):
    client.cookies["aigcert_language"] = "en"
    return client


def session_make(*, program_code: str, admin, start_in: timedelta, duration_minutes: int = 60, capacity: int = 100,
                 papers: bool = True):
    """A formal session starting ``start_in`` from now (negative: under way), its papers prepared. In a test
    transaction the preparing task runs once the caller's on-commit callbacks do; committed rows (browser tests,
    tests of the worker) get their papers at once."""
    start = now() + start_in
    session = apps.get_model("exams", "Session").objects.create(
        program_code=program_code, sitting_code="am", sitting_label_zh="上午场", sitting_label_en="Morning",
        start_at=start, duration_minutes=duration_minutes, capacity=capacity,
        booking_opens_at=start - timedelta(days=30), booking_closes_at=start - timedelta(days=3))
    if papers:
        exams.session_papers_prepare(session_code=str(session.code), actor=admin)
    return session


def seat_make(session, user, *, ticket: str | None = None):
    """``user`` with a booked enrolment and a confirmed seat in ``session`` (enrolment's journeys are its own)."""
    enrolment = apps.get_model("enrolment", "Enrolment").objects.create(
        candidate=user, program_code=session.program_code, state="booked")
    booking = apps.get_model("enrolment", "Booking")
    count = booking.objects.count()
    booking.objects.create(enrolment=enrolment, session=session, status="confirmed",
                           ticket_number=ticket or f"T{session.pk:04d}{count + 1:05d}")
    return user


@pytest.fixture
def formal_day(exam_bank, make_user, django_capture_on_commit_callbacks):
    """Make a formal 通用级 session with its papers frozen (the demo formal blueprint: 4 forms) and book
    candidates into it:

        session = formal_day.session(start_in=timedelta(minutes=10))
        candidate = formal_day.seat(session)            # a new candidate with a confirmed seat
        formal_day.seat(session, user=someone)          # or an existing user
    Rows of other apps are made through the registry: booking and paying are enrolment's own journeys."""
    admin = make_user(Role.EXAM_ADMIN)

    class FormalDay:
        exam_admin = admin

        @staticmethod
        def session(*, start_in=timedelta(minutes=10), duration_minutes=60, capacity=100, papers=True,
                    program_code=GENERAL):
            with django_capture_on_commit_callbacks(execute=True):
                return session_make(program_code=program_code, admin=admin, start_in=start_in, papers=papers,
                                    duration_minutes=duration_minutes, capacity=capacity)

        @staticmethod
        def seat(session, user=None, *, ticket=None):
            return seat_make(session, user or make_user(Role.CANDIDATE), ticket=ticket)

    return FormalDay()


PROFESSIONAL = "aigc-professional"


def option_choice(item: dict, index: int):
    """The answer that picks option ``index`` of a choice item (True for index 0 of a true/false item, else
    False); None for items without options."""
    payload = item["payload"]
    if item["item_type"] == "true_false":
        return index == 0
    if "options" not in payload:
        return None
    chosen = payload["options"][index]["id"]
    return [chosen] if payload.get("multiple") else chosen


def key_correct(version_id: int, *, to_option: str) -> int:
    """A corrected, approved version of a choice item whose key is now ``to_option``, made the item's live version
    (the item bank's own edit-and-review flow is tested there). Returns the new version's id."""
    import uuid

    model = apps.get_model("itembank", "ItemVersion")
    old = model.objects.get(pk=version_id)
    fields = {f.attname: getattr(old, f.attname) for f in model._meta.concrete_fields
              if f.attname not in ("id", "code", "number", "content")}
    new = model.objects.create(**fields, code=uuid.uuid4(), number=old.number + 1,
                               content={**old.content, "key": [to_option]})
    new.standards.set(old.standards.all())
    apps.get_model("itembank", "Item").objects.filter(pk=old.item_id).update(live=new)
    return new.pk


def answer_for(item: dict, marker: str = "") -> object:
    """A plausible answer for a paper item of a marked type (None for the others and for uploads)."""
    kind = item["item_type"]
    if kind == "essay":
        return f"我的方案：先分析痛点，再设计流程，最后评估效果。{marker}"
    if kind == "prompt_task":
        return f"请扮演资深文案，为烘焙新品写三条小红书标题，每条不超过20字。{marker}"
    if kind == "program":
        return "import sys\nprint(sys.stdin.read().strip())\n"
    return None


def sit_formal(session, user, *, admin, answer=answer_for, submit=True):
    """``user`` (with a confirmed seat) checks in, is admitted where a proctor must admit, starts, answers
    ``answer(item)`` for each paper item (None leaves it) and submits, through delivery's own services. For tests
    that need sat sessions, including browser tests whose rows must be committed."""
    from aigcert.delivery import examday, services
    from aigcert.delivery.models import Attempt

    checkin = examday.checkin_confirm(candidate=user, session_code=str(session.code), confirmed=True,
                                      ip="127.0.0.1", agent="pytest")
    if checkin.state == "waiting":  # 专业级: a proctor admits each check-in
        examday.checkin_decide(checkin=checkin, actor=admin, approve=True, reason="证件核对无误")
    attempt = examday.formal_start(candidate_id=user.pk, session_code=str(session.code))[0]
    attempt = Attempt.objects.get(pk=attempt.pk)
    paper = exams.paper_get(attempt.paper_id)
    entries = []
    for n, item in enumerate(paper.items, start=1):
        value = answer(item)
        if value is not None:
            entries.append({"slot": item["slot"], "value": value, "seq": n})
    if entries:
        services.responses_save(attempt=attempt, device=attempt.device, entries=entries)
    if submit:
        return attempt_submit(attempt)
    return Attempt.objects.get(pk=attempt.pk)


def attempt_submit(attempt):
    """Submit a formal attempt left open by ``sit_formal(..., submit=False)``, as the player's submit does."""
    from aigcert.delivery import services
    from aigcert.delivery.models import Attempt

    services.attempt_submit(attempt=Attempt.objects.get(pk=attempt.pk), key="k", device=attempt.device)
    return Attempt.objects.get(pk=attempt.pk)


@pytest.fixture
def sitting(formal_day):
    """Candidates who sat a formal session and submitted, through delivery's own services:

        session = sitting.session()                       # a 专业级 session that started 2 minutes ago
        attempt = sitting.sit(session, answer=answer_for) # answer(item) → value, None to leave it
        sitting.sit(session, user=someone)
    """

    class Sitting:
        exam_admin = formal_day.exam_admin

        @staticmethod
        def session(program_code=PROFESSIONAL, **kwargs):
            kwargs.setdefault("start_in", -timedelta(minutes=2))
            return formal_day.session(program_code=program_code, **kwargs)

        @staticmethod
        def sit(session, answer=answer_for, user=None, submit=True):
            return sit_formal(session, formal_day.seat(session, user), admin=formal_day.exam_admin, answer=answer,
                              submit=submit)

    return Sitting()
