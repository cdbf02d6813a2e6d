"""Read a bounce mailbox (mbox file): record bounces, apply unsubscribe-by-mail requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from burgernet.mailings.bounces import mailbox_process


class Command(BaseCommand):
    help = "Process an mbox of bounce reports (RFC 3464) and unsubscribe requests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mbox", type=Path, help="path of the mbox file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["mbox"]
        if not path.is_file():
            raise CommandError(f"mbox: {path} is not a file")
        result = mailbox_process(path=path)
        self.stdout.write(
            f"hard bounces: {result.hard}, soft bounces: {result.soft}, "
            f"unsubscribed: {result.unsubscribed}, skipped: {result.skipped}, "
            f"now unreachable: {len(result.unreachable)}"
        )
