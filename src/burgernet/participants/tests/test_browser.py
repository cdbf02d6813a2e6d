"""The public sign-up form and the registry list in Chromium on an emulated phone."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from burgernet.participants.models import Participant
from burgernet.participants.tests.factories import make_participant

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
from burgernet.conftest import screenshot_dir  # noqa: E402

SCREENSHOTS = screenshot_dir()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which("chromium")), reason="chromium not installed"
    ),
]


@pytest.fixture
def phone_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        context = browser.new_context(**p.devices["Pixel 5"], locale="nl-NL")
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _fill_valid(page: Any) -> None:
    page.locator("#id_name").fill("Anna de Vries")
    page.locator("#id_email").fill("anna@example.nl")
    page.locator("#id_postcode").fill("1234 AB")
    page.locator("#id_house_number").fill("12")
    page.locator("#id_city").fill("Testdam")
    page.locator("#id_phone_1").fill("06 12345678")
    page.get_by_label("Ik ben 16 jaar of ouder.").check()
    page.get_by_label("Ik ga ermee akkoord dat Burgernet", exact=False).check()


def test_sign_up_on_a_phone(live_server: Any, regions: Any, phone_page: Any) -> None:
    page = phone_page
    page.goto(live_server.url + reverse("participants:signup"))
    assert page.locator("h1").inner_text() == "Aanmelden voor Burgernet"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "signup-phone.png"), full_page=True)
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    _fill_valid(page)
    page.locator("#id_postcode").fill("12")
    page.locator("#id_phone_1").fill("12")
    page.get_by_role("button", name="Aanmelden").click()
    postcode_field = page.locator(".utrecht-form-field", has=page.locator("#id_postcode"))
    assert "Postcode: vul vier cijfers en twee letters in" in postcode_field.inner_text()
    phone_field = page.locator(".utrecht-form-field", has=page.locator("#id_phone_1"))
    assert "Telefoonnummer: vul een geldig nummer in" in phone_field.inner_text()
    assert page.locator("#id_postcode").get_attribute("aria-invalid") == "true"
    page.locator("#id_postcode").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "signup-errors-phone.png"))
    assert not Participant.objects.exists()

    page.locator("#id_postcode").fill("1234 AB")
    page.locator("#id_phone_1").fill("06 12345678")
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url("**/aanmelden/controleer-uw-mail/")
    assert page.locator("h1").inner_text() == "Controleer uw e-mail"
    assert Participant.objects.get().email == "anna@example.nl"


def test_registry_list_on_a_phone(
    live_server: Any, regions: Any, officer_a: Any, login_client: Any, phone_page: Any
) -> None:
    for i, name in enumerate(["Anna de Vries", "Bram Bakker", "Chantal Çelik", "Dirk Dijkstra"]):
        make_participant(
            region=regions[0], name=name, email=f"p{i}@example.nl", phone=f"+3161234560{i}"
        )
    client = login_client(officer_a)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page = phone_page
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    page.goto(live_server.url + reverse("participants:registry"))
    assert page.locator("h1").inner_text() == "Deelnemers"
    assert page.get_by_role("link", name="Chantal Çelik").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SCREENSHOTS / "registry-list-phone.png"), full_page=True)


def test_self_service_page_on_a_phone(live_server: Any, regions: Any, phone_page: Any) -> None:
    from importlib import import_module

    participant = make_participant(region=regions[0], name="Anna de Vries", email="a@example.nl")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["participant_id"] = participant.pk
    store["participant_since"] = participant.created_at.isoformat()
    store.create()
    page = phone_page
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_server.url}]
    )
    page.goto(live_server.url + reverse("participants:manage"))
    assert page.locator("h1").inner_text() == "Mijn Burgernet"
    assert page.locator("#status").inner_text() == "actief"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SCREENSHOTS / "manage-phone.png"), full_page=True)
