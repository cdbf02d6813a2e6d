"""Web Push (RFC 8030 / 8291 / 8292) to app subscriptions: pywebpush, VAPID, aes128gcm.

A delivery's address is `sub:<subscription id>`; `dispatch.push_targets` resolves a batch of
them to endpoints and keys (the public app owns subscriptions). The message's
`payload["push"]` holds `{"ttl", "urgency", "expires_at", "messages": {language: app JSON}}`;
each subscriber gets the JSON of their language, encrypted for their keys.

Headers: `TTL` (what is left of the message's TTL, so a retry never outlives the alert),
`Urgency`, and `Topic` derived from the idempotency key: a retried push replaces an
undelivered duplicate at the push service instead of doubling it.

Answers: 201/202 accepted; 404/410 the subscription is gone (permanent, and the public app
deletes it); 408/429/5xx, timeouts and refused connections are retried (Retry-After honoured)
per delivery, because the recipients of one batch sit at different push services and one
broken service must not hold back the others or open the account's circuit. Only when a whole
batch fails that way is it a ProviderError (our network or our key is the likelier cause).

`options`: `vapid_private_key` / `vapid_private_key_env` (default VAPID_PRIVATE_KEY),
`subject` (default VAPID_SUBJECT), `timeout` (seconds, default 10), `concurrency` (requests in
flight per batch, default 8), and `push_service_url`: send every push to
`<push_service_url>/<sub-id>` instead of the subscription's endpoint (the mock provider). An
account marked `exercise` must have it, so an exercise can never reach a real phone.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from py_vapid import Vapid, VapidException
from pywebpush import WebPusher, WebPushException
from requests.adapters import HTTPAdapter

from burgernet.dispatch import metrics, push_targets
from burgernet.dispatch.providers import register
from burgernet.dispatch.providers.base import (
    ItemResult,
    OutgoingItem,
    ProviderAccount,
    ProviderError,
    PushAdapter,
    parse_retry_after,
)

log = structlog.get_logger(__name__)

ACCEPTED = (200, 201, 202)
GONE = (404, 410)
#: RFC 8030 §5.4: at most 32 characters of the URL-safe base64 alphabet.
_TOPIC_CHARS = re.compile(r"[^A-Za-z0-9_-]")
#: VAPID tokens are valid for 12 hours; one per push service origin and batch.
VAPID_SECONDS = 12 * 3600


def topic_for(idempotency_key: str) -> str:
    """The Topic header of a delivery: the same on every retry of it, unique per delivery."""
    return _TOPIC_CHARS.sub("", idempotency_key)[:32]


def _vapid_from(key: str, where: str) -> Vapid:
    try:
        return Vapid.from_raw(key.encode())
    except Exception as exc:  # py_vapid raises whatever the decoder raises
        raise ImproperlyConfigured(f"{where}: the VAPID private key is not valid: {exc}") from None


@register
class WebPush(PushAdapter):
    name = "webpush"

    @classmethod
    def check_account(cls, account: ProviderAccount) -> None:
        where = f"PROVIDER_ACCOUNTS[{account.name}]"
        redirect = str(account.options.get("push_service_url", ""))
        if account.exercise and not redirect:
            raise ImproperlyConfigured(
                f"{where}.options.push_service_url is required for an exercise push account: "
                "exercise alerts go to a test push service (the mock provider), never to phones"
            )
        key = account.option("vapid_private_key", settings.VAPID_PRIVATE_KEY)
        if key:
            vapid = _vapid_from(key, where)
        elif not redirect:
            raise ImproperlyConfigured(
                f"{where}: VAPID_PRIVATE_KEY is not set (generate a pair: `burgernet vapid_keys`)"
            )
        else:
            vapid = _throwaway_vapid()
        subject = account.option("subject", settings.VAPID_SUBJECT)
        try:
            vapid.sign({"sub": subject, "aud": "https://push.example", "exp": int(time.time())})
        except VapidException as exc:
            raise ImproperlyConfigured(
                f"{where}: VAPID_SUBJECT {subject!r} is not usable ({exc}); use mailto:… or https://…"
            ) from None

    def __init__(self, account: ProviderAccount) -> None:
        super().__init__(account)
        key = account.option("vapid_private_key", settings.VAPID_PRIVATE_KEY)
        if key:
            self.vapid = _vapid_from(key, account.name)
        else:
            # Only for a test push service (check_account): any key signs for the mock.
            self.vapid = _throwaway_vapid()
        self.subject = account.option("subject", settings.VAPID_SUBJECT)
        self.redirect = account.option("push_service_url").rstrip("/")
        self.timeout = float(account.options.get("timeout", 10))
        self.concurrency = max(1, int(account.options.get("concurrency", 8)))

    def send_batch(self, items: list[OutgoingItem]) -> list[ItemResult]:
        targets = push_targets.resolve(item.address for item in items)
        results: list[ItemResult] = []
        work: list[tuple[OutgoingItem, push_targets.PushTarget, str]] = []
        for item in items:
            target = targets.get(item.address)
            if target is None:
                results.append(_permanent(item, "gone: the app subscription no longer exists"))
                continue
            endpoint = self._endpoint(item, target)
            work.append((item, target, endpoint))
        # One VAPID token per push service for the whole batch (signing costs an ECDSA op).
        origins = {_origin(endpoint) for *_, endpoint in work}
        vapid_headers = {origin: self._vapid_headers(origin) for origin in origins}
        if work:
            with requests.Session() as session:
                pool = HTTPAdapter(pool_connections=16, pool_maxsize=self.concurrency)
                session.mount("https://", pool)
                session.mount("http://", pool)
                with ThreadPoolExecutor(max_workers=min(self.concurrency, len(work))) as workers:
                    results.extend(
                        workers.map(
                            lambda w: self._send_one(
                                session, w[0], w[1], w[2], vapid_headers[_origin(w[2])]
                            ),
                            work,
                        )
                    )
        # Forget gone subscriptions here, in the worker's own thread (its database connection).
        for result, item in _gone(results, items):
            log.info("push_subscription_gone", address=item.address, error=result.error)
            push_targets.report_gone(item.address)
        for result in results:
            metrics.push_answers.labels(account=self.account.name, outcome=result.outcome).inc()
        if results and all(r.outcome == "retry" for r in results):
            retry_after = max((r.retry_after or 0.0 for r in results), default=0.0)
            raise ProviderError(
                f"every push of the batch failed: {results[0].error}",
                retry_after=retry_after or None,
                ambiguous=any(r.error.startswith("timeout") for r in results),
            )
        return results

    def _endpoint(self, item: OutgoingItem, target: push_targets.PushTarget) -> str:
        if self.redirect:
            return f"{self.redirect}/{item.address.replace(':', '-')}"
        return target.endpoint

    def _vapid_headers(self, origin: str) -> dict[str, str]:
        claims: dict[str, str | int] = {
            "sub": self.subject,
            "aud": origin,
            "exp": int(time.time()) + VAPID_SECONDS,
        }
        headers: dict[str, str] = self.vapid.sign(claims)
        return headers

    def _send_one(
        self,
        session: requests.Session,
        item: OutgoingItem,
        target: push_targets.PushTarget,
        endpoint: str,
        vapid_headers: dict[str, str],
    ) -> ItemResult:
        push: dict[str, Any] = item.payload.get("push") or {}
        messages: dict[str, Any] = push.get("messages") or {}
        if not messages:
            return _permanent(item, "the message has no push payload")
        message = messages.get(target.language) or messages.get("nl")
        if message is None:
            message = next(iter(messages.values()))
        ttl = int(push.get("ttl", 3600))
        if push.get("expires_at"):
            ttl = min(ttl, int(float(push["expires_at"]) - time.time()))
            if ttl <= 0:
                return _permanent(item, "expired: the alert is older than its TTL")
        headers = {
            **vapid_headers,
            "Urgency": str(push.get("urgency", "normal")),
            "Topic": topic_for(item.idempotency_key),
        }
        try:
            pusher = WebPusher(
                {"endpoint": endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
                requests_session=session,
            )
            response = pusher.send(
                data=json.dumps(message, ensure_ascii=False).encode(),
                headers=headers,
                ttl=ttl,
                content_encoding="aes128gcm",
                timeout=self.timeout,
            )
        except (WebPushException, ValueError) as exc:
            return _permanent(item, f"invalid subscription keys: {exc}")
        except requests.Timeout as exc:
            return ItemResult(item.idempotency_key, "retry", error=f"timeout: {exc!r}")
        except requests.RequestException as exc:
            return ItemResult(item.idempotency_key, "retry", error=f"cannot connect: {exc!r}")
        assert isinstance(response, requests.Response)
        status = response.status_code
        if status in ACCEPTED:
            location = response.headers.get("Location", "")
            return ItemResult(item.idempotency_key, "accepted", provider_message_id=location[:128])
        if status in GONE:
            return _permanent(item, f"gone: the push service answered HTTP {status}")
        if status in (408, 429) or status >= 500:
            return ItemResult(
                item.idempotency_key,
                "retry",
                error=f"HTTP {status} from {_origin(endpoint)}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return _permanent(item, f"HTTP {status} from {_origin(endpoint)}: {response.text[:200]}")


def _throwaway_vapid() -> Vapid:
    vapid = Vapid()
    vapid.generate_keys()
    return vapid


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _permanent(item: OutgoingItem, error: str) -> ItemResult:
    return ItemResult(item.idempotency_key, "permanent", error=error)


def _gone(
    results: list[ItemResult], items: list[OutgoingItem]
) -> list[tuple[ItemResult, OutgoingItem]]:
    by_key = {item.idempotency_key: item for item in items}
    return [
        (r, by_key[r.idempotency_key])
        for r in results
        if r.outcome == "permanent" and r.error.startswith("gone: the push service")
    ]
