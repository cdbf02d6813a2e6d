"""Absolute URLs of our webhooks, as providers must call them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def webhook_url(name: str, account: str, **query: str) -> str:
    """`DISPATCH_WEBHOOK_BASE_URL` (default SITE_URL) + the route, with an optional query."""
    url = settings.DISPATCH_WEBHOOK_BASE_URL.rstrip("/") + reverse(name, args=[account])
    return f"{url}?{urlencode(query)}" if query else url
