"""Signed partner webhooks: JSON events or CAP 1.2 alerts to displays and partner systems.

Each item is one partner from PARTNER_WEBHOOKS, addressed by name. The body was built when the
message was written (`payload["bodies"][format]`), so every retry sends the same bytes. Request:

    POST <url>
    Content-Type: application/json | application/cap+xml
    X-Burgernet-Event: started | expanded | follow_up | closed | published
    X-Burgernet-Delivery: <idempotency key, the same on every retry>
    X-Burgernet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

2xx: accepted. 408, 429, 5xx, refused connections and timeouts: retried with backoff, never
sooner than Retry-After. Any other 4xx: permanent, with the partner's reason.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import structlog

from burgernet.dispatch.providers import register
from burgernet.dispatch.providers.base import (
    ItemResult,
    OutgoingItem,
    ProviderAccount,
    WebhookAdapter,
    parse_retry_after,
)
from burgernet.dispatch.signing import SIGNATURE_HEADER, signature_header
from burgernet.dispatch.targets import PartnerWebhook, partner_webhook

log = structlog.get_logger(__name__)

EVENT_HEADER = "X-Burgernet-Event"
DELIVERY_HEADER = "X-Burgernet-Delivery"
CONTENT_TYPES = {"json": "application/json", "cap": "application/cap+xml"}
RETRY_STATUSES = {408, 425, 429}


@register
class PartnerWebhookAdapter(WebhookAdapter):
    name = "partner_webhook"

    def __init__(self, account: ProviderAccount) -> None:
        super().__init__(account)
        self.client = httpx.Client(follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def send_batch(self, items: list[OutgoingItem]) -> list[ItemResult]:
        # Partners are independent peers: one slow partner must not hold up the others. Each
        # partner's own items go one after the other, in the order claimed (oldest first),
        # so it sees the steps of an action in order unless a retry comes in between.
        by_partner: dict[str, list[OutgoingItem]] = {}
        for item in items:
            by_partner.setdefault(item.address, []).append(item)
        if len(by_partner) == 1:
            return self._send_in_order(items)
        with ThreadPoolExecutor(max_workers=min(8, len(by_partner))) as pool:
            return [
                r for results in pool.map(self._send_in_order, by_partner.values()) for r in results
            ]

    def _send_in_order(self, items: list[OutgoingItem]) -> list[ItemResult]:
        return [self._send(item) for item in items]

    def _send(self, item: OutgoingItem) -> ItemResult:
        partner = partner_webhook(item.address)
        if partner is None:
            return self._result(item, "permanent", f"unknown partner {item.address!r}")
        if item.payload.get("exercise") and not partner.exercise:
            return self._result(item, "permanent", "exercise: the partner is not marked exercise")
        bodies = item.payload.get("bodies") or {}
        text = bodies.get(partner.format) if isinstance(bodies, dict) else None
        if not isinstance(text, str) or not text:
            return self._result(item, "permanent", f"no {partner.format} body in the message")
        return self._post(partner, item, text.encode())

    def _post(self, partner: PartnerWebhook, item: OutgoingItem, body: bytes) -> ItemResult:
        headers = {
            "Content-Type": f"{CONTENT_TYPES[partner.format]}; charset=utf-8",
            EVENT_HEADER: str(item.payload.get("event", "")),
            DELIVERY_HEADER: item.idempotency_key,
            SIGNATURE_HEADER: signature_header(partner.secret, body),
            "User-Agent": "Burgernet-Webhook/1",
        }
        timeout = httpx.Timeout(partner.timeout, connect=min(partner.timeout, 3.0))
        try:
            response = self.client.post(partner.url, content=body, headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            error = f"{partner.name}: timeout ({exc.__class__.__name__})"
            return self._result(item, "retry", error)
        except httpx.HTTPError as exc:
            return self._result(item, "retry", f"{partner.name}: {exc.__class__.__name__}: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            return ItemResult(
                item.idempotency_key,
                "accepted",
                provider_message_id=f"{partner.name}:{status}",
                delivered=True,
            )
        reason = f"{partner.name}: HTTP {status} {response.text[:200]}".strip()
        if status in RETRY_STATUSES or status >= 500:
            after = parse_retry_after(response.headers.get("Retry-After"))
            return self._result(item, "retry", reason, retry_after=after)
        # Redirects count as refusals too: a signed body is not re-posted elsewhere.
        return self._result(item, "permanent", reason)

    @staticmethod
    def _result(
        item: OutgoingItem, outcome: str, error: str, *, retry_after: float | None = None
    ) -> ItemResult:
        log.warning("partner_webhook_refused", delivery_id=item.delivery_id, error=error)
        if outcome == "retry":
            return ItemResult(item.idempotency_key, "retry", error=error, retry_after=retry_after)
        return ItemResult(item.idempotency_key, "permanent", error=error)
