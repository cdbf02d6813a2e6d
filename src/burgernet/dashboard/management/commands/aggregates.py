from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from burgernet.dashboard import services


class Command(BaseCommand):
    help = "Rebuild the dashboard's daily figures for the last N days (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="days back, today included")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        reports = services.aggregates_rebuild_recent(days=days)
        rows = sum(r.rows for r in reports)
        self.stdout.write(f"Dashboard figures: {len(reports)} days, {rows} rows")
