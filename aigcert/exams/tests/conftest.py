"""Fixtures of the exams tests."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from aigcert.accounts import api as accounts
from aigcert.itembank import api as itembank


@pytest.fixture(scope="module")
def _demo_once(django_db_setup, django_db_blocker):
    """The shipped catalog and the demo item bank, loaded once per module inside a transaction rolled back at its
    end (loading the bank for each test would cost seconds)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", stdout=io.StringIO())
        # The demo author and reviewer (accounts' public API; a fast hasher, as the tests' settings use).
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            accounts.demo_accounts_ensure()
        itembank.demo_bank_load(author=accounts.demo_user(accounts.Role.ITEM_AUTHOR),
                                reviewer=accounts.demo_user(accounts.Role.ITEM_REVIEWER))
        every_item_for_every_use()
        yield
        transaction.set_rollback(True)


def every_item_for_every_use():
    """The demo bank keeps half of 通用级 for formal exams only; these tests are about assembly, not pools, and
    count on the whole bank (test_blueprints.py checks the pools themselves)."""
    apps.get_model("itembank", "Item").objects.update(usage="any")


@pytest.fixture
def demo(_demo_once, db):
    """The catalog and the approved demo bank (use instead of `catalog`, not together with it)."""
