"""Start the whole system: web server, task workers, the scheduler of periodic jobs (and, in
demo mode, the mock provider).

Migrates first; in demo mode loads the demo data on the first run. Prints where to go and the
demo logins. Ctrl-C (SIGINT) or SIGTERM stops every child process cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from burgernet.core.config import config
from burgernet.core.db import require_database


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: list[str]


def child_specs(*, host: str, port: int, web_workers: int) -> list[ChildSpec]:
    """The processes that make up the running system."""
    burgernet = [sys.executable, "-m", "burgernet.cli"]
    specs = [
        ChildSpec(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "burgernet.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(web_workers),
                "--threads",
                "8",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ],
        ),
        # One worker only for time-critical actions, one for everything else (urgent first).
        ChildSpec("worker-urgent", [*burgernet, "worker", "--queues", "urgent"]),
        ChildSpec("worker", [*burgernet, "worker"]),
        # Enqueues the periodic jobs (aggregates, purges, retention) for the workers.
        ChildSpec("scheduler", [*burgernet, "scheduler"]),
    ]
    specs.extend(_extra_specs(burgernet))
    return specs


def _extra_specs(burgernet: list[str]) -> list[ChildSpec]:
    """Processes other apps contribute (e.g. the mock provider in demo mode)."""
    from django.utils.module_loading import import_string

    extra: list[ChildSpec] = []
    for path in getattr(settings, "SERVE_EXTRA_PROCESSES", []):
        for name, argv in import_string(path)(burgernet):
            extra.append(ChildSpec(name, argv))
    return extra


class Command(BaseCommand):
    help = "Migrate, load demo data on first run (demo mode) and serve web + workers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=config("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=config("PORT", 8000))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        require_database()
        self.stdout.write("Migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        if settings.DEMO_MODE and not options["no_demo"]:
            from burgernet.accounts.models import Organisation

            if not Organisation.objects.exists():
                self.stdout.write("First run: building the demo data (takes a few minutes) …")
                # DEMO_PARTICIPANTS keeps a first run (or a browser test) small or makes it big;
                # verbosity 0: the demo logins are printed once, in the welcome below.
                call_command("demo", participants=config("DEMO_PARTICIPANTS", 20_000), verbosity=0)
        if not settings.WHITENOISE_USE_FINDERS:
            call_command("collectstatic", interactive=False, verbosity=0)

        # Children build absolute links and provider callbacks from SITE_URL: unless it is
        # configured, it is where this command serves.
        if "SITE_URL" not in os.environ:
            os.environ["SITE_URL"] = f"http://{options['host']}:{options['port']}"
        specs = child_specs(
            host=options["host"], port=options["port"], web_workers=options["web_workers"]
        )
        children: list[tuple[ChildSpec, subprocess.Popen[bytes]]] = []
        for spec in specs:
            children.append((spec, subprocess.Popen(spec.argv, start_new_session=True)))  # noqa: S603

        stopping = False

        def stop(signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self._print_welcome(options["host"], options["port"])
        try:
            while not stopping:
                for spec, proc in children:
                    if proc.poll() is not None:
                        self.stderr.write(f"{spec.name} stopped (exit {proc.returncode}); stopping")
                        stopping = True
                time.sleep(0.3)
        finally:
            self.stdout.write("Stopping …")
            for _spec, proc in children:
                if proc.poll() is None:
                    proc.terminate()
            deadline = time.monotonic() + 10
            for _spec, proc in children:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("Stopped.")

    def _print_welcome(self, host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        lines = [
            "",
            "Burgernet is running.",
            f"  Public site ............ {base}/",
            f"  Staff portal (login) ... {base}/accounts/login/",
            f"  Health ................. {base}/healthz",
        ]
        if settings.DEMO_MODE:
            from burgernet.accounts.demo_logins import demo_login_lines

            lines += ["", *demo_login_lines()]
        lines += ["", "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
