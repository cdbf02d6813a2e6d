"""The adapter interface: a typed base class per channel; one module per provider.

An adapter takes a batch of `OutgoingItem`s for one provider account and returns one
`ItemResult` per item. A failure of the whole request (connection refused, 5xx, 429, timeout)
is raised as `ProviderError`, which the sender answers with failover or a retry.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Literal

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class ProviderAccount:
    """One configured account at one provider (from PROVIDER_ACCOUNTS)."""

    name: str
    channel: str
    adapter: str
    weight: int = 1
    rate_per_second: float = 0.0  # 0: unlimited
    burst: float = 0.0  # bucket size; 0: two batches, at least a tenth of a second's worth
    price: Decimal = Decimal("0")  # per SMS segment / call / e-mail
    batch_size: int = 100
    options: dict[str, Any] = field(default_factory=dict)
    # May carry exercise messages: only test peers such as the mock provider, never a real
    # gateway (exercise actions must reach nobody for real).
    exercise: bool = False

    def option(self, key: str, default: str = "") -> str:
        """An option, or the environment variable named by `<key>_env` (for secrets)."""
        env_name = self.options.get(f"{key}_env")
        if env_name:
            value = os.environ.get(str(env_name))
            if value is None:
                raise ImproperlyConfigured(
                    f"PROVIDER_ACCOUNTS[{self.name}].{key}_env: environment variable "
                    f"{env_name} is not set"
                )
            return value
        return str(self.options.get(key, default))

    @property
    def send_batch_size(self) -> int:
        """Recipients per request: `batch_size`, but at most a quarter second's worth of a
        rate-limited account, so requests flow evenly instead of in bursts the provider's own
        limiter may refuse."""
        if self.rate_per_second <= 0:
            return self.batch_size
        return max(1, min(self.batch_size, int(self.rate_per_second / 4)))

    @property
    def bucket_size(self) -> float:
        """Tokens the bucket holds: `burst`, or two batches (at least a tenth of a second).

        Two, not one: with room for exactly one batch, every millisecond a worker came late
        to a full bucket was lost for good (at 4 × 1,000/s the accounts averaged 257-260 ms
        between batches of 250 instead of 250). The second batch absorbs that jitter; the
        long-run rate stays exact, and the mock's one-second bucket is never exceeded.
        """
        if self.burst > 0:
            return self.burst
        return max(2.0 * self.send_batch_size, self.rate_per_second / 10)


@dataclass(frozen=True)
class OutgoingItem:
    """One delivery as an adapter needs it."""

    delivery_id: int
    idempotency_key: str
    address: str
    sms_text: str = ""
    voice_text: str = ""
    email_subject: str = ""
    email_html: str = ""
    email_text: str = ""
    # Extra headers of this one mail (e.g. List-Unsubscribe), from dispatch.personalize.
    email_headers: tuple[tuple[str, str], ...] = ()
    # The message's structured content (Message.payload): the app push payload under "push",
    # a broadcast's title/body, a partner webhook's rendered bodies.
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemResult:
    idempotency_key: str
    outcome: Literal["accepted", "permanent", "retry"]
    provider_message_id: str = ""
    cost: Decimal | None = None
    segments: int | None = None
    error: str = ""
    # With outcome "retry": not before this many seconds (the peer's Retry-After).
    retry_after: float | None = None
    # "accepted" by the final recipient itself (a partner's 2xx): delivered, no receipt follows.
    delivered: bool = False


class ProviderError(Exception):
    """The request as a whole failed.

    `ambiguous` is set when the provider may have accepted it anyway (a timeout after sending):
    such items are retried at the SAME account only, whose idempotency check then stops a
    second send; unambiguous failures (refused, 5xx, 429, 4xx) may fail over to another
    account. `retryable=False` (e.g. 401: a wrong key) opens the account's circuit at once.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
        ambiguous: bool = False,
        down: bool = False,
        partial: list[ItemResult] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        self.down = down
        self.partial = partial or []  # results of items handled before the failure


class Adapter(ABC):
    """Base of every provider adapter; subclasses set `name` and `channel`."""

    name: ClassVar[str]
    channel: ClassVar[str]

    def __init__(self, account: ProviderAccount) -> None:
        self.account = account

    @classmethod
    def check_account(cls, account: ProviderAccount) -> None:
        """Raise ImproperlyConfigured when `account` cannot work (called when the
        configuration is read, so a mistake shows at start-up, not at the first send)."""
        return

    @abstractmethod
    def send_batch(self, items: list[OutgoingItem]) -> list[ItemResult]:
        """Hand `items` to the provider; one result per item, in any order."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class SmsAdapter(Adapter):
    channel = "sms"


class VoiceAdapter(Adapter):
    channel = "voice"


class EmailAdapter(Adapter):
    channel = "email"


class PushAdapter(Adapter):
    channel = "push"


class BroadcastAdapter(Adapter):
    """One item per broadcast target; the address is the target's name."""

    channel = "broadcast"


class WebhookAdapter(Adapter):
    """One item per partner webhook; the address is the partner's name."""

    channel = "webhook"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form; dates count as unknown)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
