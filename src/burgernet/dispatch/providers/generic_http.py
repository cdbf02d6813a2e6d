"""Generic HTTP batch gateway: one signed JSON request carries a batch of recipients.

Request: `POST <url>` with body `{"account", "callback_url", "messages": [{"reference", "to",
"text"}]}` (voice: `"calls": [{"reference", "to", "text", "repeat", "callback_number",
"caller_id"}]`), header `X-Burgernet-Signature: hex HMAC-SHA256(secret, body)`. `reference` is
our idempotency key: the gateway accepts each reference once. Response 200:
`{"results": [{"reference", "status": "accepted"|"rejected", "id", "segments", "price",
"error"}]}`. Receipts come back signed the same way (see webhooks).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.conf import settings

from burgernet.dispatch.providers import register
from burgernet.dispatch.providers.base import (
    Adapter,
    ItemResult,
    OutgoingItem,
    ProviderAccount,
    ProviderError,
    SmsAdapter,
    VoiceAdapter,
    parse_retry_after,
)
from burgernet.dispatch.signing import SIGNATURE_HEADER, sign
from burgernet.dispatch.webhook_urls import webhook_url


class _GenericHttp(Adapter):
    list_key = "messages"

    def __init__(self, account: ProviderAccount) -> None:
        super().__init__(account)
        self.url = account.option("url")
        self.secret = account.option("secret")
        timeout = float(account.options.get("timeout", 10))
        self.client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)))

    def entry(self, item: OutgoingItem) -> dict[str, Any]:
        raise NotImplementedError

    def send_batch(self, items: list[OutgoingItem]) -> list[ItemResult]:
        body = json.dumps(
            {
                "account": self.account.name,
                "callback_url": webhook_url("dispatch:gateway_receipts", self.account.name),
                self.list_key: [self.entry(item) for item in items],
            },
            ensure_ascii=False,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            "X-Account": self.account.name,
        }
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.ConnectError as exc:
            raise ProviderError(f"cannot connect: {exc}", down=True) from None
        except httpx.TimeoutException as exc:
            raise ProviderError(f"timeout: {exc!r}", ambiguous=True) from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"http error: {exc!r}", ambiguous=True) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise ProviderError(
                f"HTTP {status}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 400:
            raise ProviderError(f"HTTP {status}: {response.text[:200]}", retryable=False)
        try:
            results = response.json()["results"]
        except (ValueError, KeyError, TypeError):
            raise ProviderError("malformed response", ambiguous=True) from None
        by_ref = {str(r.get("reference")): r for r in results if isinstance(r, dict)}
        out: list[ItemResult] = []
        for item in items:
            r = by_ref.get(item.idempotency_key)
            if r is None:
                out.append(ItemResult(item.idempotency_key, "retry", error="missing in response"))
            elif r.get("status") == "accepted":
                segments = r.get("segments")
                out.append(
                    ItemResult(
                        item.idempotency_key,
                        "accepted",
                        provider_message_id=str(r.get("id", "")),
                        cost=_price(r.get("price")),
                        segments=int(segments) if segments is not None else None,
                    )
                )
            else:
                out.append(
                    ItemResult(
                        item.idempotency_key,
                        "permanent",
                        error=str(r.get("error") or r.get("status") or "rejected"),
                    )
                )
        return out

    def close(self) -> None:
        self.client.close()


def _price(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register
class GenericHttpSms(_GenericHttp, SmsAdapter):
    name = "generic_http_sms"

    def entry(self, item: OutgoingItem) -> dict[str, Any]:
        return {"reference": item.idempotency_key, "to": item.address, "text": item.sms_text}


@register
class GenericHttpVoice(_GenericHttp, VoiceAdapter):
    name = "generic_http_voice"
    list_key = "calls"

    def entry(self, item: OutgoingItem) -> dict[str, Any]:
        return {
            "reference": item.idempotency_key,
            "to": item.address,
            "text": item.voice_text,
            "language": "nl-NL",
            "repeat": 2,
            "callback_number": settings.CALLBACK_NUMBER,
            "caller_id": self.account.option("from", settings.VOICE_CALLER_ID),
        }
