"""Test fixtures for the apps that deliver and score exams (delivery and above): the shipped catalog, the demo
item bank (approved) and the demo blueprints, loaded once per test module. Import the fixtures into a conftest.

Not in the root conftest because lower apps' tests import that, and they must not depend on exams."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from aigcert.accounts.roles import Role
from aigcert.accounts.tests.factories import UserFactory
from aigcert.conftest import SHIPPED_CATALOG
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
