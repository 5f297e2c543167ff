"""Fixtures shared by every app's tests. Lives outside the apps so it may use any app's factories."""

import io
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from aigcert.accounts.roles import Role
from aigcert.accounts.tests.factories import PASSWORD, UserFactory

SHIPPED_CATALOG = Path(django_settings.CATALOG_FILE)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Plain static storage: tests don't run collectstatic. Tasks run inline unless a test asks for the worker.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test gets its own cache namespace (clean login counters) without flushing a shared Redis.
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def catalog(db):
    """The shipped catalog, loaded the way `aigcert load_catalog` loads it."""
    call_command("load_catalog", str(SHIPPED_CATALOG), stdout=io.StringIO())


@pytest.fixture
def candidate(db):
    return UserFactory(roles=[Role.CANDIDATE])


@pytest.fixture
def staff_user(db):
    return UserFactory(roles=[Role.STAFF], is_staff=True, email="staff@example.com", phone=None)


@pytest.fixture
def exam_admin(db):
    return UserFactory(roles=[Role.EXAM_ADMIN])


@pytest.fixture
def candidate_client(client, candidate):
    client.force_login(candidate)
    return client
