"""Fixtures shared by every app's tests. Lives outside the apps so it may use any app's factories."""

import io
import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connections

from aigcert.accounts.roles import Role
from aigcert.accounts.tests.factories import PASSWORD, ProfileFactory, UserFactory

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
    # No language model unless a test starts its own (llm_server): a developer's LLM_BASE_URL never gets called.
    settings.LLM_BASE_URL = ""


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


@pytest.fixture
def item_author(db):
    return UserFactory(roles=[Role.ITEM_AUTHOR])


@pytest.fixture
def item_reviewer(db):
    return UserFactory(roles=[Role.ITEM_REVIEWER])


@pytest.fixture
def make_user(db):
    """Any number of users with the given roles: make_user(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)."""
    def make(*roles):
        return UserFactory(roles=list(roles))
    return make


@pytest.fixture
def make_profile(db):
    """A real-name profile: make_profile(user, legal_name="张三", id_number="11010519491231002X")."""
    def make(user, **fields):
        return ProfileFactory(user=user, **fields)
    return make


# -- browser journeys (real Debian Chromium through Playwright; screenshots in var/screenshots/) --------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("AIGCERT_SCREENSHOTS", Path(__file__).resolve().parents[1] / "var" / "screenshots"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def browser_page(monkeypatch):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM reads are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # ORM calls made while Playwright's loop runs get their own connection; hand it back, or the
            # test database can't be dropped at the end of the run.
            connections.close_all()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, base: str, login: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill(login)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture
def llm_server(settings):
    """A local OpenAI-compatible endpoint (aigcert/core/llm_testserver.py) with the LLM_* settings pointing at it;
    script it per test with `llm_server.reply = ...` / `llm_server.mode = ...`."""
    from aigcert.core.llm_testserver import LLMTestServer

    with LLMTestServer(api_key="sk-test-0123456789abcdef") as server:
        settings.LLM_BASE_URL = server.url + "/v1"
        settings.LLM_API_KEY = server.api_key
        settings.LLM_MODEL = "test-model"
        settings.LLM_TIMEOUT_SECONDS = 2
        yield server
