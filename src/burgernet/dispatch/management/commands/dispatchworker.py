"""Drain the outbox of one channel directly (no task queue): for operations and benchmarks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from burgernet.dispatch.models import Channel
from burgernet.dispatch.services import deliveries_drain


class Command(BaseCommand):
    help = "Claim and send due deliveries of a channel until none are left."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", default=Channel.SMS, choices=Channel.values)
        parser.add_argument("--no-wait", action="store_true", help="do not wait for retries")

    def handle(self, *args: Any, **options: Any) -> None:
        accepted = deliveries_drain(
            channel=options["channel"], wait_for_retries=not options["no_wait"]
        )
        self.stdout.write(f"accepted {accepted}")
