"""The dashboard in Chromium: the packaged Chart.js draws every chart, the coverage maps are
coloured, nothing breaks the Content-Security-Policy, and the print layout drops the nav."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which("chromium")), reason="chromium not installed"
    ),
]


def test_charts_and_maps_render_without_csp_errors(
    live_server: Any, world: Any, staff_of: Any, login_client: Any
) -> None:
    from playwright.sync_api import sync_playwright

    client = login_client(staff_of(world.a))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
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
        page = browser.new_page(locale="nl-NL")
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "console",
            lambda m: (
                problems.append(m.text)
                if m.type == "error" and "favicon" not in m.text and "404" not in m.text
                else None
            ),
        )
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )
        try:
            page.goto(live_server.url + reverse("dashboard:home"))
            page.wait_for_selector("[data-coverage-rates][data-coverage-styled=true]")
            page.wait_for_selector("[data-coverage-cells][data-coverage-styled=true]")
            charts = page.locator("canvas[data-chart]")
            # channels, sources, flow, actions by month, mailings by month, mail by month
            assert charts.count() == 6
            drawn = page.evaluate(
                "Array.from(document.querySelectorAll('canvas[data-chart]'))"
                ".every(c => Chart.getChart(c) !== undefined)"
            )
            assert drawn
            # Own municipality outlined; the cells map has one path per cell.
            cells = page.locator("[data-coverage-cells] path.leaflet-interactive")
            assert cells.count() >= 1
            page.emulate_media(media="print")
            assert not page.locator(".portal-nav").is_visible()
            assert page.locator("#t-action_rates").is_visible()
            assert page.locator("#t-mail_rates").is_visible()
            assert problems == []
        finally:
            browser.close()
