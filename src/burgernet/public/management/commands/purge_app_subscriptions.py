"""Delete app subscriptions not refreshed for 30 days (run daily, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from burgernet.public.services import app_subscriptions_purge_expired


class Command(BaseCommand):
    help = "Delete expired app (push) subscriptions."

    def handle(self, *args: Any, **options: Any) -> None:
        count = app_subscriptions_purge_expired()
        self.stdout.write(f"{count} expired app subscriptions deleted")
