"""Reset a staff member's second factor after a lost authenticator."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from burgernet.accounts.models import StaffUser
from burgernet.accounts.services import staff_reset_second_factor


class Command(BaseCommand):
    help = "Forget a staff member's authenticator app; the next sign-in enrols a new one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = StaffUser.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no staff member with username {options['username']!r}")
        removed = staff_reset_second_factor(user=user)
        self.stdout.write(
            f"{user.username}: {removed} authenticator(s) removed; next sign-in enrols a new one"
        )
