"""`burgernet purge_mail_replies`: delete mailing replies past their retention period.

The scheduler runs `burgernet.mailings.tasks.purge_expired_replies` daily; this command does the
same by hand (`--dry-run` only counts).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from burgernet.mailings import services


class Command(BaseCommand):
    help = "Delete replies to mailings older than MAILINGS_REPLY_RETENTION_DAYS, with their photos."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count")

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.replies_purge_expired(dry_run=options["dry_run"])
        verb = "would delete" if options["dry_run"] else "deleted"
        days = settings.MAILINGS_REPLY_RETENTION_DAYS
        noun = "reply" if count == 1 else "replies"
        self.stdout.write(f"{verb} {count} {noun} older than {days} days")
