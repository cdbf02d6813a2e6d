"""The app in a real browser (Chromium, emulated phone and position)."""

from __future__ import annotations

import io
import os

import pytest
from django.urls import reverse
from PIL import Image

from burgernet.actions.models import Response
from burgernet.public.tests.conftest import AMSTERDAM, GRONINGEN

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
playwright = pytest.importorskip("playwright.sync_api")
from burgernet.conftest import screenshot_dir  # noqa: E402

SCREENSHOTS = screenshot_dir()
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser(chromium):
    return chromium


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_app_shows_nearby_action_and_sends_a_tip_with_photo(
    live_server, browser, actions, login_client, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    near = actions.active(title="Vermist kind Jordaan", where=AMSTERDAM, radius=2000)
    far = actions.active(title="Overval Groningen", where=GRONINGEN, type="robbery")
    context = browser.new_context(
        geolocation={"latitude": AMSTERDAM[0] + 0.005, "longitude": AMSTERDAM[1]},
        permissions=["geolocation"],
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="nl-NL",
    )
    page = context.new_page()
    page.goto(live_server.url + reverse("public:app"))
    page.get_by_role("button", name="Gebruik mijn locatie").click()
    card = page.locator(f"#action-{near.pk}")
    card.wait_for()
    assert "Vermist kind Jordaan" in card.inner_text()
    assert page.locator(f"#action-{far.pk}").count() == 0
    assert "Overval Groningen" not in page.locator("#near-list").inner_text()
    assert page.get_by_role("link", name="Bel gratis 0800-0011").get_attribute("href") == (
        "tel:0800-0011"
    )
    page.screenshot(path=str(SCREENSHOTS / "app-phone.png"))
    # Opened through a link (website, shared message) an action shows wherever the phone is.
    linked = context.new_page()
    linked.goto(live_server.url + reverse("public:app") + f"#action-{far.pk}")
    linked.locator(f"#action-{far.pk}").wait_for()
    linked.close()

    photo = tmp_path / "tip.jpg"
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (120, 90), (30, 120, 200)).save(photo, format="JPEG", exif=exif)
    card.locator("summary").click()
    card.get_by_label("Wat heeft u gezien?").fill("Jongen met blauwe pet bij de Westerkerk")
    card.get_by_label("Foto of video").set_input_files(str(photo))
    card.get_by_role("button", name="Tip versturen").click()
    status = card.locator(".tip-status")
    status.filter(has_text="Bedankt").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "app-tip-sent-phone.png"), full_page=True)

    tip = Response.objects.get(action=near)
    assert tip.kind == "app_tip" and tip.text == "Jongen met blauwe pet bij de Westerkerk"
    with tip.media.open("rb") as f:
        assert not Image.open(io.BytesIO(f.read())).getexif()
    live = login_client(actions.user).get(reverse("actions:live", args=[near.pk]))
    html = live.content.decode()
    media_url = reverse("actions:response_media", args=[near.pk, tip.pk])
    assert "Jongen met blauwe pet bij de Westerkerk" in html and media_url in html

    page.goto(live_server.url + reverse("public:action", args=[near.pk]))
    page.get_by_role("heading", name="Vermist kind Jordaan").wait_for()
    page.locator("#action-map path.leaflet-interactive").wait_for()  # the search area is drawn
    page.screenshot(path=str(SCREENSHOTS / "public-action-phone.png"), full_page=True)
    page.goto(live_server.url + reverse("public:actions"))
    page.locator("#actions-map path.leaflet-interactive").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "public-actions-phone.png"), full_page=True)
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_app_installs_a_service_worker_and_opens_offline(live_server, browser, actions) -> None:
    actions.active(title="Vermist kind Jordaan", where=AMSTERDAM)
    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    page = context.new_page()
    page.goto(live_server.url + reverse("public:app"))
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == live_server.url + "/app/"
    page.reload()  # now controlled: the shell and the action list go through the cache
    page.wait_for_load_state("networkidle")
    context.set_offline(True)
    page.reload()
    page.get_by_role("button", name="Gebruik mijn locatie").wait_for()
    assert page.get_by_role("link", name="Bel gratis 0800-0011").is_visible()
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_phone_decides_containment_exactly_as_the_server(live_server, browser) -> None:
    """areas.js (on the phone) and geo.area (on the server) agree on random points."""
    import random

    from burgernet.geo.area import parse_area

    rng = random.Random(6)
    areas = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [4.89, 52.37]},
            "properties": {"radius": 1500},
        },
        {
            "type": "Polygon",
            "coordinates": [
                [[4.85, 52.35], [4.93, 52.35], [4.93, 52.40], [4.85, 52.40], [4.85, 52.35]],
                [[4.88, 52.37], [4.90, 52.37], [4.90, 52.38], [4.88, 52.38], [4.88, 52.37]],
            ],
        },
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[4.80, 52.30], [4.84, 52.30], [4.82, 52.34], [4.80, 52.30]]],
                [[[4.95, 52.30], [4.99, 52.30], [4.97, 52.36], [4.95, 52.30]]],
            ],
        },
    ]
    points = [(52.28 + rng.random() * 0.14, 4.78 + rng.random() * 0.23) for _ in range(400)]
    page = browser.new_page()
    page.goto(live_server.url + reverse("public:app"))
    for area in areas:
        expected = [parse_area(area).contains(lat, lon) for lat, lon in points]
        got = page.evaluate(
            "([area, pts]) => pts.map(p => BurgernetAreas.areaContains(area, p[0], p[1]))",
            [area, points],
        )
        assert got == expected
        assert any(expected) and not all(expected)
    page.close()
