"""Print the demo logins (password and TOTP secret per demo staff member)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from burgernet.accounts.demo_logins import demo_login_lines


class Command(BaseCommand):
    help = "Print the demo logins (demo mode only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="every demo login, not only 12")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo logins only exist in demo mode (DEMO_MODE=1)")
        limit = 1_000_000 if options["all"] else 12
        self.stdout.write("\n".join(demo_login_lines(limit=limit)))
