"""The map component in Chromium: outlines drawn offline, areas shown, nothing inline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from burgernet.geo.models import Region

# Playwright's sync API runs an event loop; Django's ORM refuses that without this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.browser
@pytest.mark.urls("burgernet.geo.tests.urls_map")
@pytest.mark.django_db(transaction=True)
def test_map_renders_municipalities_and_areas_in_chromium(live_server: Any) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    from burgernet.geo import demo

    demo.load_municipalities()
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
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
        try:
            page = browser.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            # Nothing may be fetched from another origin (no CDN, no tiles by default).
            page.on(
                "request",
                lambda r: (
                    r.url.startswith(live_server.url)
                    or r.url.startswith("data:")
                    or problems.append(f"external request {r.url}")
                ),
            )
            page.goto(f"{live_server.url}/map-test/")
            page.wait_for_selector("#country[data-boundaries-loaded]", timeout=20_000)
            assert page.get_attribute("#country", "data-boundaries-loaded") == "342"
            outlines = page.locator("#country path.leaflet-interactive").count()
            assert outlines > 300
            assert page.get_attribute("#country", "aria-label") == "Nederland"
            # The circle map shows just the area, fitted: one path, no outlines.
            assert page.locator("#circle path.leaflet-interactive").count() == 1
            assert page.locator("#circle").get_attribute("data-boundaries-loaded") is None
            # The polygon from json_script.
            assert page.locator("#polygon path.leaflet-interactive").count() == 1
            if shot := os.environ.get("MAP_SCREENSHOT"):  # to look at it: MAP_SCREENSHOT=map.png
                page.screenshot(path=shot)
        finally:
            browser.close()
    assert problems == []
    Region.objects.all().delete()
