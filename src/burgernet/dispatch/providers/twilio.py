"""Twilio (SMS and voice) through the official SDK.

`options`: `account_sid`, `auth_token` (or `auth_token_env`), `from` (our number / caller id),
optional `base_url` (point the SDK at the mock provider) and `timeout`. Our idempotency key
goes out as the `I-Twilio-Idempotency-Token` header and as `ref` in the status callback URL, so
receipts find their delivery even before the send was recorded.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from burgernet.dispatch.providers import register
from burgernet.dispatch.providers.base import (
    Adapter,
    ItemResult,
    OutgoingItem,
    ProviderAccount,
    ProviderError,
    SmsAdapter,
    VoiceAdapter,
)
from burgernet.dispatch.sms import sms_segments
from burgernet.dispatch.twiml import alert_twiml
from burgernet.dispatch.webhook_urls import webhook_url

TWILIO_API = "https://api.twilio.com"


class _HttpClient(TwilioHttpClient):
    """Twilio's client with a configurable base URL and the idempotency header."""

    def __init__(self, *, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self.local = threading.local()

    def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        auth: Any = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if self.base_url and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        key = getattr(self.local, "key", None)
        if key:
            headers = {**(headers or {}), "I-Twilio-Idempotency-Token": key}
        return super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


class _Twilio(Adapter):
    def __init__(self, account: ProviderAccount) -> None:
        super().__init__(account)
        self.http = _HttpClient(
            base_url=account.option("base_url"), timeout=float(account.options.get("timeout", 10))
        )
        self.client = Client(
            account.option("account_sid"), account.option("auth_token"), http_client=self.http
        )
        self.from_ = account.option("from")

    def create(self, item: OutgoingItem, callback: str) -> ItemResult:
        raise NotImplementedError

    def send_batch(self, items: list[OutgoingItem]) -> list[ItemResult]:
        results: list[ItemResult] = []
        for item in items:
            callback = webhook_url(
                "dispatch:twilio_status", self.account.name, ref=item.idempotency_key
            )
            self.http.local.key = item.idempotency_key
            try:
                results.append(self.create(item, callback))
            except TwilioRestException as exc:
                if exc.status == 429 or exc.status >= 500:
                    raise ProviderError(f"HTTP {exc.status}", partial=results) from None
                if exc.status in (401, 403):  # the account, not the recipient
                    raise ProviderError(
                        f"HTTP {exc.status}: {exc.msg}", retryable=False, partial=results
                    ) from None
                results.append(
                    ItemResult(item.idempotency_key, "permanent", error=f"{exc.code}: {exc.msg}")
                )
            except requests.exceptions.ConnectTimeout as exc:
                raise ProviderError(f"cannot connect: {exc}", down=True, partial=results) from None
            except requests.exceptions.ConnectionError as exc:
                raise ProviderError(f"cannot connect: {exc}", down=True, partial=results) from None
            except requests.exceptions.RequestException as exc:
                raise ProviderError(f"{exc!r}", ambiguous=True, partial=results) from None
            finally:
                self.http.local.key = None
        return results


@register
class TwilioSms(_Twilio, SmsAdapter):
    name = "twilio_sms"

    def create(self, item: OutgoingItem, callback: str) -> ItemResult:
        message = self.client.messages.create(
            to=item.address, from_=self.from_, body=item.sms_text, status_callback=callback
        )
        segments = int(message.num_segments) if message.num_segments else None
        if segments is None:
            segments = sms_segments(item.sms_text)[1]
        price = Decimal(str(abs(float(message.price)))) if message.price else None
        return ItemResult(
            item.idempotency_key,
            "accepted",
            provider_message_id=message.sid or "",
            cost=price,
            segments=segments,
        )


@register
class TwilioVoice(_Twilio, VoiceAdapter):
    name = "twilio_voice"

    def __init__(self, account: ProviderAccount) -> None:
        super().__init__(account)
        self.from_ = account.option("from", settings.VOICE_CALLER_ID)

    def create(self, item: OutgoingItem, callback: str) -> ItemResult:
        call = self.client.calls.create(
            to=item.address,
            from_=self.from_,
            twiml=alert_twiml(item.voice_text),
            status_callback=callback,
        )
        return ItemResult(item.idempotency_key, "accepted", provider_message_id=call.sid or "")
