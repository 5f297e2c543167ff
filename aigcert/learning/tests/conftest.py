"""Learning test helpers: the shipped catalog, the demo item bank and the demo course loaded once per module."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from aigcert.accounts.api import Role
from aigcert.conftest import SHIPPED_CATALOG, UserFactory
from aigcert.itembank import api as itembank
from aigcert.learning import api as learning

GENERAL = "aigc-general"
PROFESSIONAL = "aigc-professional"


@pytest.fixture(scope="module")
def _course_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", str(SHIPPED_CATALOG), stdout=io.StringIO())
        itembank.demo_bank_load(author=UserFactory(roles=[Role.ITEM_AUTHOR]),
                                reviewer=UserFactory(roles=[Role.ITEM_REVIEWER]))
        learning.demo_lessons_load()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def course(_course_once, db):
    """The catalog, the demo item bank (approved) and the demo lesson text."""


@pytest.fixture
def catalog(course):
    """Overrides the root fixture: the module's catalog is already loaded."""


def enrol(user, program_code=GENERAL, state="deposit_paid"):
    """An enrolment row through the app registry (enrolment sits above learning; paying is its own journey)."""
    apps.get_model("enrolment", "Enrolment").objects.create(candidate=user, program_code=program_code, state=state)
    return user


@pytest.fixture
def learner(course, make_user):
    """A candidate who paid the deposit of 通用级."""
    return enrol(make_user(Role.CANDIDATE))


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
