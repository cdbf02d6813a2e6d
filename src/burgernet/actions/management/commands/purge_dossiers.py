"""`burgernet purge_dossiers [--dry-run]`: delete the personal parts of action dossiers closed
longer ago than DOSSIER_RETENTION_DAYS (run daily; the task
`burgernet.actions.tasks.purge_expired_dossiers` does the same from the scheduler)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from burgernet.actions.retention import dossiers_purge_expired


class Command(BaseCommand):
    help = "Purge the personal parts of action dossiers past their retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="only report what would be deleted"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = dossiers_purge_expired(dry_run=options["dry_run"])
        verb = "would purge" if report.dry_run else "purged"
        rows = ", ".join(f"{n} {kind}" for kind, n in sorted(report.rows.items())) or "nothing"
        self.stdout.write(
            f"{verb} {len(report.actions)} action(s) closed more than "
            f"{settings.DOSSIER_RETENTION_DAYS} days ago: {rows}"
        )
        if report.actions:
            self.stdout.write("actions: " + " ".join(str(pk) for pk in report.actions))
