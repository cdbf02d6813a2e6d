"""`burgernet purge_unconfirmed`: erase web sign-ups unconfirmed for more than 7 days.

Run daily (cron, systemd timer) or enqueue `burgernet.participants.tasks.purge_unconfirmed`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from burgernet.participants import services


class Command(BaseCommand):
    help = "Erase web sign-ups that were not confirmed within the retention period (7 days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=services.UNCONFIRMED_RETENTION.days)

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.participant_purge_unconfirmed(
            older_than=dt.timedelta(days=options["days"])
        )
        self.stdout.write(f"purged {count} unconfirmed sign-up(s)")
