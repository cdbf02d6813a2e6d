"""Broadcast through Apprise: social and group channels (Mastodon, Telegram, Matrix, Teams, …).

Each item is one broadcast target from BROADCAST_TARGETS, addressed by name; its Apprise URL
says where it goes. The message payload holds `title` and `body` (public text only, built by
the message's owner) and `exercise`. Apprise reports success or failure per call, without
telling a refusal from a timeout, so every failure is retried with backoff (the outbox gives
up after DISPATCH_MAX_ATTEMPTS). An unknown target name is a permanent error.

Apprise cannot take an idempotency key, except on its JSON/form/XML webhook URLs, which get
it as an `X-Burgernet-Delivery` header so the receiver can drop a duplicate.
"""

from __future__ import annotations

import logging

import apprise
import structlog
from django.conf import settings

from burgernet.dispatch.providers import register
from burgernet.dispatch.providers.base import BroadcastAdapter, ItemResult, OutgoingItem
from burgernet.dispatch.targets import broadcast_target

log = structlog.get_logger(__name__)

# Apprise's generic webhook schemes, which accept extra headers as `+Name=value` parameters.
_HEADER_SCHEMES = ("json", "jsons", "form", "forms", "xml", "xmls")


def _with_delivery_header(url: str, key: str) -> str:
    scheme = url.split("://", 1)[0].lower()
    if scheme not in _HEADER_SCHEMES:
        return url
    return f"{url}{'&' if '?' in url else '?'}+X-Burgernet-Delivery={key}"


def _last_error(captured: str) -> str:
    lines = [line.split(" - ", 2)[-1] for line in captured.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "Apprise reported a failure"


@register
class AppriseBroadcast(BroadcastAdapter):
    name = "apprise"

    def send_batch(self, items: list[OutgoingItem]) -> list[ItemResult]:
        # Targets are few and Apprise's log capture is process-wide: one at a time.
        return [self._send(item) for item in items]

    def _send(self, item: OutgoingItem) -> ItemResult:
        target = broadcast_target(item.address)
        if target is None:
            return self._permanent(item, f"unknown broadcast target {item.address!r}")
        if item.payload.get("exercise") and not target.exercise:
            # The owner only enqueues exercise targets; never let an exercise out by mistake.
            return self._permanent(item, "exercise: the target is not marked exercise")
        body = str(item.payload.get("body", ""))
        if not body:
            return self._permanent(item, "the message has no broadcast text")
        notifier = apprise.Apprise(
            asset=apprise.AppriseAsset(
                app_id="Burgernet", app_desc="Burgernet", app_url=settings.SITE_URL
            )
        )
        if not notifier.add(_with_delivery_header(target.url, item.idempotency_key)):
            # Checked at start-up (`burgernet check`); it will not get better by retrying.
            return self._permanent(item, f"Apprise cannot use the URL of {target.name!r}")
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = bool(notifier.notify(title=str(item.payload.get("title", "")), body=body))
            error = "" if ok else _last_error(captured.getvalue())
        if ok:
            # The channel itself took it: posted, no receipt will follow.
            return ItemResult(
                item.idempotency_key, "accepted", provider_message_id=target.name, delivered=True
            )
        log.warning("broadcast_failed", target=target.name, error=error)
        return ItemResult(item.idempotency_key, "retry", error=error)

    @staticmethod
    def _permanent(item: OutgoingItem, error: str) -> ItemResult:
        return ItemResult(item.idempotency_key, "permanent", error=error)
