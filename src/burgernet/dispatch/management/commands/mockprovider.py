"""Run the mock provider (SMS gateway, voice, Twilio subset) on loopback until stopped."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from burgernet.dispatch.mock import MockServer


class Command(BaseCommand):
    help = "Serve the mock SMS/voice provider on loopback (records everything it receives)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.MOCK_PROVIDER_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        server = MockServer(options["host"], options["port"])
        server.receipts.start()
        self.stdout.write(f"Mock provider on {server.url} (GET /_mock/messages, /_mock/stats)")
        try:
            server.serve_forever()
        finally:
            server.server_close()
