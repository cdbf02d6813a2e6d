"""The dispatcher console in Chromium: preview while drawing, start, live progress, and a
participant's call visible within 2 seconds without reloading."""

from __future__ import annotations

import math
import random
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from burgernet.accounts.models import Role
from burgernet.accounts.tests.factories import DispatchCentreFactory, StaffUserFactory
from burgernet.actions.models import Action, ActionStatus
from burgernet.dispatch import services as dispatch
from burgernet.dispatch.tests.conftest import TWILIO_TOKEN, gateway_account, twilio_account
from burgernet.participants.tests.factories import make_participant

expect = pytest.importorskip("playwright.sync_api").expect
from burgernet.conftest import screenshot_dir  # noqa: E402

SCREENSHOTS = screenshot_dir()
DAM = (52.3731, 4.8926)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dispatcher_starts_an_action_and_sees_a_call_come_in(
    signed_in_page, live_server, mock_provider, configure_accounts, settings
) -> None:
    configure_accounts(
        gateway_account("gw", mock_provider.url),
        twilio_account("tv", mock_provider.url, channel="voice"),
    )
    rng = random.Random(3)
    for i in range(30):
        d, b = rng.uniform(0, 3000), rng.uniform(0, 2 * math.pi)
        make_participant(
            region=None,
            name=f"P{i}",
            email=f"p{i}@example.nl",
            phone=f"+3163000{i:04d}",
            lat=DAM[0] + d * math.cos(b) / 111_195,
            lon=DAM[1] + d * math.sin(b) / (111_195 * math.cos(math.radians(DAM[0]))),
        )
    centre = DispatchCentreFactory(phone_number="+31205550000")
    dispatcher = StaffUserFactory(organisation=centre, roles=[Role.DISPATCHER])

    page = signed_in_page(
        dispatcher, reverse("actions:new"), viewport={"width": 1280, "height": 720}
    )
    page.select_option("#id_type", "missing_child")
    page.fill("#id_description", "Jongen, 8 jaar, blauwe pet, rode fiets.")
    page.uncheck("input[name=channels][value=voice]")
    # Find the place like a dispatcher would, and pick the first result: it sets the incident.
    page.fill("#address-q", "Amsterdam")
    page.locator("#address-results button").first.click()
    # The preview counts arrive while drawing (default radius 2 km for a missing child).
    expect(page.locator("#reach-sms")).not_to_have_text("–")
    preview = int(page.text_content("#reach-sms"))
    assert preview > 0
    assert "Vermist kind." in page.text_content("#sms-preview")
    page.click("text=Opslaan als concept")

    page.wait_for_selector("#start-confirmation")
    assert str(preview) in page.text_content("#start-confirmation")
    page.click("#start-button")
    page.wait_for_selector("#action-status:has-text('actief')")
    action = Action.objects.get()
    assert action.status == ActionStatus.ACTIVE

    dispatch.deliveries_drain(channel="sms")
    expect(page.locator("#progress-table tbody")).to_contain_text(str(preview), timeout=3000)

    # A reached participant calls back: the console shows it within 2 s, without reloading.
    caller = action.recipients.order_by("distance_m").first().address
    settings.DISPATCH_WEBHOOK_BASE_URL = "http://testserver"
    params = {"CallSid": "CA-console-1", "From": caller}
    url = "http://testserver/dispatch/webhooks/twilio/tv/voice"
    Client().post(
        "/dispatch/webhooks/twilio/tv/voice",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        },
    )
    expect(page.locator(".response--call")).to_be_visible(timeout=2000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-action.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dispatcher_attaches_a_photo_in_the_console(
    signed_in_page, live_server, settings, tmp_path, monkeypatch
) -> None:
    from PIL import Image

    from burgernet.actions import outbox, services
    from burgernet.core.tests.test_images import jpeg_with_gps
    from burgernet.geo.area import Circle

    settings.MEDIA_ROOT = tmp_path / "media"
    # The registry's count is not what this test is about (see the test above for that).
    monkeypatch.setattr(outbox, "reach_counts", lambda *, area, at, category: {"sms": 12})
    centre = DispatchCentreFactory()
    dispatcher = StaffUserFactory(organisation=centre, roles=[Role.DISPATCHER])
    action = services.action_create(
        by=dispatcher,
        type="missing_elderly",
        title="Vermiste man",
        description="Man, 82 jaar, grijze jas.",
        area=Circle(lat=DAM[0], lon=DAM[1], radius_m=1500),
        channels=["sms"],
    )
    page = signed_in_page(
        dispatcher,
        reverse("actions:detail", args=[action.pk]),
        viewport={"width": 1280, "height": 720},
    )
    page.click("text=Foto toevoegen")
    page.set_input_files(
        "#id_photo",
        {"name": "man.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps((320, 240))},
    )
    page.click("#photo-form button[type=submit]")
    photo = page.locator("#action-photo")
    expect(photo).to_be_visible()
    # The browser really loads the stored (cleaned) image from its media URL.
    assert page.evaluate("document.querySelector('#action-photo').naturalWidth") == 320
    action.refresh_from_db()
    with Image.open(action.photo.path) as stored:
        assert not stored.getexif()
    assert action.events.filter(kind="photo_attached").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-photo.png"), full_page=True)

    # A text file is refused with a Dutch message under the field.
    page.click("text=Foto vervangen of verwijderen")
    page.set_input_files(
        "#id_photo", {"name": "x.jpg", "mimeType": "image/jpeg", "buffer": b"geen foto" * 20}
    )
    page.click("#photo-form button[type=submit]:not([name])")
    expect(page.locator("#id_photo_error")).to_contain_text("Dit is geen foto")


def test_dragging_the_radius_keeps_one_preview_in_flight_and_shows_the_last_area(
    signed_in_page, live_server
) -> None:
    # Participants 1, 2, 3 and 4 km from the Dam (due east): the count tells the radius.
    for i, km in enumerate((1, 2, 3, 4)):
        make_participant(
            region=None,
            name=f"R{i}",
            email=f"r{i}@example.nl",
            phone=f"+3163100{i:04d}",
            lat=DAM[0],
            lon=DAM[1] + (km - 0.2) * 1000 / (111_195 * math.cos(math.radians(DAM[0]))),
        )
    dispatcher = StaffUserFactory(organisation=DispatchCentreFactory(), roles=[Role.DISPATCHER])
    page = signed_in_page(dispatcher, reverse("actions:new"))
    preview_path = reverse("actions:reach_preview")
    in_flight, most, sent = [0], [0], [0]

    def started(request: object) -> None:
        if preview_path in getattr(request, "url", ""):
            sent[0] += 1
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])

    def ended(request: object) -> None:
        if preview_path in getattr(request, "url", ""):
            in_flight[0] -= 1

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)

    def slow_preview(route: Any) -> None:
        time.sleep(0.4)  # a preview at national scale takes a while: dragging outpaces it
        route.continue_()

    page.route(f"**{preview_path}*", slow_preview)
    page.select_option("#id_type", "missing_child")
    page.fill("#address-q", "Amsterdam")
    page.locator("#address-results button").first.click()
    page.evaluate(
        """async () => {
            const radius = document.getElementById("radius");
            for (const value of [500, 1500, 2500, 3500, 1500, 2500]) {
                radius.value = value;
                radius.dispatchEvent(new Event("input"));
                await new Promise((done) => setTimeout(done, 150));
            }
        }"""
    )
    # The last area is 2.5 km around the found place: the count settles on its answer.
    centre = page.evaluate("JSON.parse(document.getElementById('id_area').value)")
    assert centre["properties"]["radius"] == 2500
    expected = outbox_count(centre)
    expect(page.locator("#reach-sms")).to_have_text(str(expected))
    assert sent[0] >= 2  # it did ask while dragging …
    assert most[0] == 1  # … but never had two previews on the server at once


def outbox_count(area: dict[str, object]) -> int:
    from burgernet.actions import outbox
    from burgernet.actions.texts import TYPE_DEFAULTS
    from burgernet.core import clock
    from burgernet.geo.area import parse_area

    counts = outbox.reach_counts(
        area=parse_area(area), at=clock.now(), category=TYPE_DEFAULTS["missing_child"].category
    )
    return counts["sms"]
