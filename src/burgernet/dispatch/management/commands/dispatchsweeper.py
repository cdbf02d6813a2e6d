"""Re-drive expired claims and due retries, every few seconds (or once)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from burgernet.dispatch.services import deliveries_sweep


class Command(BaseCommand):
    help = "Put deliveries whose worker died back in the queue and wake workers for retries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            deliveries_sweep()
            if options["once"]:
                return
            time.sleep(options["interval"])
