"""The composer (draw a circle, count recipients) and the inbox in Chromium; screenshots."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from burgernet.core import clock
from burgernet.geo.models import Region
from burgernet.mailings.models import Mailing, MailPreference, MailReply
from burgernet.mailings.tests.conftest import World, make_participant
from burgernet.participants.session import SESSION_KEY, SINCE_KEY

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
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
    finally:
        context.close()


def _sign_in(page: Any, live_server: Any, client: Any) -> None:
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def test_compose_by_drawing_a_circle_and_read_replies(
    live_server: Any, world: World, page: Any, login_client: Any
) -> None:
    testdam = Region.objects.get(code="GM9001")
    for n in range(5):
        make_participant(
            name=f"Deelnemer {n}",
            email=f"d{n}@example.nl",
            postcode="1234 AB",
            lat=52.05 + n * 0.002,
            lon=5.05,
            region=testdam,
        )
    _sign_in(page, live_server, login_client(world.comms))
    page.goto(live_server.url + reverse("mailings:compose"))
    page.locator("#id_subject").fill("Inbraak aan de Dorpsstraat")
    page.locator("#id_body").fill(
        "Beste {{ naam }},\n\nAfgelopen nacht is in {{ gemeente }} ingebroken. "
        "Heeft u iets gezien of gehoord?\n\n{{ reactielink }}"
    )
    page.wait_for_function(
        "() => window.BurgernetMap && BurgernetMap.get(document.getElementById('compose-map'))"
    )
    page.locator("#draw-radius").fill("1500")
    page.get_by_role("button", name="Cirkel tekenen").click()
    page.evaluate(
        "() => { const el = document.getElementById('compose-map');"
        " BurgernetMap.get(el).fire('click', {latlng: L.latLng(52.05, 5.05)}); }"
    )
    assert '"radius":1500' in page.locator("#id_area").input_value()
    # The count follows the drawing without a click (live, debounced)...
    page.wait_for_function(
        "() => document.getElementById('reach-count').innerText.includes('5 deelnemers')"
    )
    # ...and switching to postcodes that nobody lives in updates it again.
    page.locator('input[name="target_kind"][value="postcodes"]').check()
    page.locator("#id_postcodes").fill("9999")
    page.wait_for_function(
        "() => document.getElementById('reach-count').innerText.includes('0 deelnemers')"
    )
    page.locator('input[name="target_kind"][value="area"]').check()
    # Without JavaScript the button does the same with a full page.
    page.get_by_role("button", name="Ontvangers tellen").click()
    assert "Deze mailing zou 5 deelnemers bereiken." in page.locator(".reach").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "mailings-composer.png"), full_page=True)
    page.get_by_role("button", name="Opslaan en voorbeeld bekijken").click()
    mailing = Mailing.objects.get()
    assert page.url.endswith(reverse("mailings:detail", args=[mailing.pk]))

    now = clock.now()
    MailReply.objects.create(
        mailing=mailing,
        text="Rond 3 uur zag ik een scooter met twee personen wegrijden richting de A12.",
        may_contact=True,
        participant=make_participant(
            name="Anna de Vries",
            email="anna@example.nl",
            postcode="1234 AB",
            lat=52.05,
            lon=5.05,
            region=testdam,
        ),
        received_at=now,
    )
    MailReply.objects.create(
        mailing=mailing, text="Ik hoorde glasgerinkel om 02:40.", received_at=now
    )
    page.goto(live_server.url + reverse("mailings:inbox"))
    assert page.locator(".reply").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "mailings-inbox.png"), full_page=True)


def test_participant_sets_quiet_hours_on_a_phone(
    live_server: Any, world: World, chromium: Any
) -> None:
    anna = make_participant(
        name="Anna de Vries",
        email="anna@example.nl",
        postcode="1234 AB",
        lat=52.05,
        lon=5.05,
        region=Region.objects.get(code="GM9001"),
    )
    client = Client()
    session = client.session
    session[SESSION_KEY], session[SINCE_KEY] = anna.pk, anna.created_at.isoformat()
    session.save()
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _sign_in(page, live_server, client)
        page.goto(live_server.url + reverse("participants:manage"))
        page.get_by_role("link", name="Instellingen Burgernetmail").click()
        page.get_by_label("Stil vanaf").fill("22:30")
        page.get_by_role("button", name="Opslaan").click()
        # Only one of the two times: the field that is missing is named, nothing is saved.
        assert "Stille uren: geef een begin en een eind." in page.locator("main").inner_text()
        assert not MailPreference.objects.exists()
        page.get_by_label("Stil tot").fill("07:00")
        page.get_by_role("button", name="Opslaan").click()
        assert "zijn opgeslagen" in page.locator("main").inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "mailings-my-settings-phone.png"), full_page=True)
    finally:
        context.close()
    preference = MailPreference.objects.get(participant=anna)
    assert preference.quiet_start.strftime("%H:%M") == "22:30"
    assert preference.unsubscribed_at is None
