"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.models import StaffUser


@pytest.fixture
def login_client() -> Callable[[StaffUser], Client]:
    """A test client signed in as `user`, second factor verified (as after a TOTP step)."""

    def make(user: StaffUser) -> Client:
        client = Client()
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return make


def screenshot_dir() -> Path:
    """Where browser tests save screenshots: var/screenshots, or docs/screenshots (the ones the
    docs show) when UPDATE_SCREENSHOTS=1, so a test run does not rewrite the docs."""
    import os

    root = Path(__file__).resolve().parents[2]
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        return root / "docs" / "screenshots"
    return root / "var" / "screenshots"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def chromium():
    """Headless Debian Chromium driven by Playwright (skipped when not installed)."""
    import os

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def signed_in_page(chromium, live_server, login_client):
    """`open(user, path)` → a Playwright page of `user`'s signed-in session on the live server."""
    from django.conf import settings as django_settings

    pages = []

    def open_page(user: StaffUser, path: str, **context_options):
        client = login_client(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        context = chromium.new_context(locale="nl-NL", **context_options)
        context.add_cookies(
            [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(live_server.url + path)
        pages.append(context)
        return page

    yield open_page
    for context in pages:
        context.close()
