"""`make run`'s path, end to end, in a real browser.

Starts `burgernet serve` exactly as `make run` does (demo mode, its own SQLite file in a fresh
VAR_DIR, a free port), reads the demo login and TOTP secret from what it prints, signs in with
Chromium using a real TOTP code, switches to English, and stops the server with Ctrl-C (SIGINT),
which must end it cleanly. Uses no pytest-django database: the server builds its own.

Set SCREENSHOTS_DIR (e.g. docs/screenshots) to keep the login and portal screenshots.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django_otp.oath import totp

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

REPO_ROOT = Path(__file__).resolve().parents[4]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The test run's own settings must not leak into the server `make run` would start.
_NOT_INHERITED = ("DATABASE_URL", "BURGERNET_TESTING", "TASKS_BACKEND", "DEBUG", "SECRET_KEY")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _burgernet_command() -> list[str]:
    script = Path(sys.executable).with_name("burgernet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "burgernet.cli"]


class Server:
    def __init__(self, var_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.out_path = var_dir / "serve.out"
        self.err_path = var_dir / "serve.err"
        env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        env.update(
            DEMO_MODE="1",
            VAR_DIR=str(var_dir),
            PORT=str(self.port),
            DEMO_PARTICIPANTS="200",
            PYTHONUNBUFFERED="1",
        )
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen(
                [*_burgernet_command(), "serve"], cwd=REPO_ROOT, env=env, stdout=out, stderr=err
            )

    @property
    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def wait_until_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with {self.process.returncode}:\n{self.diagnostics()}")
            if "Burgernet is running." in self.output:
                try:
                    if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)
        pytest.fail(f"serve did not become ready in {timeout} s:\n{self.diagnostics()}")

    def totp_secret(self, username: str) -> str:
        match = re.search(
            rf"^\s+{re.escape(username)}\s.*\bTOTP ([A-Z2-7]+)\s*$", self.output, re.M
        )
        assert match, f"no TOTP secret printed for {username}:\n{self.output}"
        return match.group(1)

    def diagnostics(self) -> str:
        return f"--- stdout\n{self.output[-3000:]}\n--- stderr\n{self.err_path.read_text()[-3000:]}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    try:
        yield running
    finally:
        running.kill()  # only when the test failed before stopping it itself


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed: the browser test did NOT run"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message} and REQUIRE_BROWSER=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def current_code(secret: str) -> str:
    return f"{totp(base64.b32decode(secret), step=30, t0=0, digits=6):06d}"


def test_make_run_serves_a_portal_a_demo_dispatcher_can_sign_in_to(
    server: Server, browser, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    server.wait_until_ready()
    assert "burgernet-demo" in server.output
    secret = server.totp_secret("centralist.amsterdam")

    # A Dutch control room: the browser asks for Dutch, as Dutch browsers do.
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="nl-NL")

    # The stylesheets of the NL Design System come from the app itself.
    for path in ("/static/vendor/utrecht/html.css", "/static/burgernet/theme.css"):
        assert httpx.get(server.base + path, timeout=10).status_code == 200, path

    page.goto(f"{server.base}/accounts/login/")
    assert page.locator("h1").inner_text() == "Inloggen op Burgernetplein"
    page.screenshot(path=str(shots / "login.png"), full_page=True)

    # Submitting nothing names the missing fields, in Dutch, next to each field.
    page.get_by_role("button", name="Volgende").click()
    assert page.locator("#id_username_error").inner_text() == "Dit veld is verplicht."
    assert page.locator("#id_password_error").inner_text() == "Dit veld is verplicht."

    page.get_by_label("Gebruikersnaam").fill("centralist.amsterdam")
    page.get_by_label("Wachtwoord").fill("burgernet-demo")
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/accounts/login/code/")
    page.get_by_label("Code uit uw authenticator-app").fill(current_code(secret))
    page.get_by_role("button", name="Inloggen").click()

    page.wait_for_url(f"{server.base}/portal/")
    assert page.locator("h1").inner_text() == "Welkom, Sanne"
    assert "Meldkamer Amsterdam-Amstelland" in page.locator("body").inner_text()
    page.screenshot(path=str(shots / "portal-home.png"), full_page=True)

    # Her organisations: her own police unit's, never another unit's control room.
    page.get_by_role("navigation").get_by_role("link", name="Organisaties").click()
    page.wait_for_url(f"{server.base}/portal/organisaties/")
    table = page.locator("table").inner_text()
    assert "Gemeente Amsterdam" in table
    assert "Meldkamer Rotterdam" not in table
    page.screenshot(path=str(shots / "organisations.png"), full_page=False)
    page.get_by_role("link", name="Meldkamer Amsterdam-Amstelland").click()
    assert page.locator("h1").inner_text() == "Meldkamer Amsterdam-Amstelland"
    assert "Sanne" in page.locator("table").inner_text()
    page.screenshot(path=str(shots / "organisation.png"), full_page=True)
    page.go_back()
    page.go_back()

    page.locator("#lang-select").select_option("en")
    page.get_by_role("button", name="Wissel").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Welcome, Sanne"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Organisations").count() >= 1
    page.close()

    # Ctrl-C stops web server and workers cleanly.
    server.process.send_signal(signal.SIGINT)
    try:
        returncode = server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not stop within 15 s of SIGINT:\n{server.diagnostics()}")
    assert returncode == 0, server.diagnostics()
    assert "Stopped." in server.output
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{server.base}/healthz", timeout=2)
