"""Build the demo country: real municipalities, police units and dispatch centres, demo staff,
synthetic participants (and more as the apps provide it)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.module_loading import import_string

from burgernet.core.db import require_database

# Each app contributes its demo data through one function `build(*, options, out)`, called in
# this order after the reference data (regions, organisations, staff).
DEMO_BUILDERS: list[str] = [
    "burgernet.participants.demo.build",
    "burgernet.actions.demo.build",
    "burgernet.public.demo.build",
    "burgernet.mailings.demo.build",
    # Last: the dashboard's daily figures over everything built before it.
    "burgernet.dashboard.demo.build",
]


class Command(BaseCommand):
    help = "Build demo data (idempotent for reference data; adds participants)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--participants",
            type=int,
            default=20_000,
            help="number of synthetic participants (default 20,000; 2,000,000 for benchmarks)",
        )
        parser.add_argument(
            "--actions",
            type=int,
            default=80,
            help="number of finished demo actions over the past year (default 80)",
        )
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args: Any, **options: Any) -> None:
        from burgernet.accounts import demo as accounts_demo
        from burgernet.accounts.demo_logins import demo_login_lines
        from burgernet.geo import demo as geo_demo

        require_database()
        started = time.monotonic()
        with transaction.atomic():
            report = geo_demo.load_municipalities()
            self.stdout.write(f"Regions: {report.created} created, {report.updated} updated")
            accounts_demo.build_organisations()
            accounts_demo.build_staff()
        for builder in DEMO_BUILDERS:
            import_string(builder)(options=options, out=self.stdout.write)
        self.stdout.write(f"Demo data ready in {time.monotonic() - started:.1f} s")
        if options["verbosity"] >= 1:
            self.stdout.write("\n".join(demo_login_lines()))
