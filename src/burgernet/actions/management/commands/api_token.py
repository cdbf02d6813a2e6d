"""Issue a control-room API token: `burgernet api_token USERNAME --name "GMS koppeling"`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from burgernet.accounts.models import StaffUser
from burgernet.actions.services import control_room_token_issue


class Command(BaseCommand):
    help = "Issue an API token for a dispatcher's control room (printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="control-room system")

    def handle(self, *args: Any, **options: Any) -> None:
        user = StaffUser.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no staff user {options['username']!r}")
        try:
            token, raw = control_room_token_issue(user=user, name=options["name"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Token for {token.organisation.name} ({token.name}): {raw}")
