"""Chromium through Playwright's sync API, against pytest-django's live server."""

import base64
import importlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

# live_server runs Django in a thread while Playwright's sync API keeps an event loop running in
# this one; Django would otherwise refuse ORM calls made from the test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pass-for-tests"  # what tests.factories.user() gives everyone


def _chromium_exists() -> bool:
    return Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is not None


def pytest_collection_modifyitems(config, items):
    if _chromium_exists():
        return
    skip = pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM}; install Debian's chromium to run browser tests"
    )
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _plain_http_server():
    # The live server builds its middleware once, when it starts, before any function-scoped
    # `settings` override: production settings would send Chromium to HTTPS.
    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


@pytest.fixture(scope="session")
def live_server(_plain_http_server, live_server):
    return live_server


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def totp_code(device) -> str:
    """A code `device` has not accepted yet: this time step's, or the next one's (the device
    takes one step of tolerance and refuses a step it has seen), waiting if both are used."""
    import time

    import pyotp

    device.refresh_from_db()
    now = int(time.time() // device.step)
    step = max(now, device.last_t + 1)
    if step > now + 1:
        time.sleep((step - 1) * device.step - time.time() + 0.1)
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).at(step * device.step)


@pytest.fixture
def log_in(page, live_server):
    """Log a person in through the real login form, as they would; an editor or administrator
    also gives a code from their authenticator app (made for them here)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from handbook_review.people.twofactor import second_factor_required

    def log_in(person) -> None:
        device = None
        if second_factor_required(person):
            device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=person, name="app", confirmed=True)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", person.email)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        if device is not None:
            page.fill("#id_code", totp_code(device))
            page.click("main form button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/security/verify/" not in url)

    return log_in


EDITIONS_MIGRATION = "chapters.migrations.0003_review_rounds_workflow_editions"


@pytest.fixture
def removable_editions():
    """Let the test database be flushed after a test that published editions.

    Published editions are protected by triggers that refuse DELETE. PostgreSQL flushes with
    TRUNCATE, which they do not see; SQLite flushes with DELETE, so there the rows go first,
    with the triggers dropped for the moment and put back afterwards."""
    yield
    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module(EDITIONS_MIGRATION)
    with connection.schema_editor() as schema_editor:
        migration.unprotect_editions(None, schema_editor)
        schema_editor.execute("DELETE FROM chapters_exportdownload")
        schema_editor.execute("DELETE FROM chapters_export WHERE edition_id IS NOT NULL")
        schema_editor.execute("DELETE FROM chapters_editionchapter")
        schema_editor.execute("DELETE FROM chapters_edition")
        migration.protect_editions(None, schema_editor)
