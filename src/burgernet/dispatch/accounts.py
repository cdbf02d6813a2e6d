"""Provider accounts from configuration (`PROVIDER_ACCOUNTS`, a JSON list).

Each entry: `{"name", "channel", "adapter", "weight", "rate_per_second", "burst", "price",
"batch_size", "options": {...}}`. Secrets never sit in the JSON: an option `<key>_env` names the
environment variable that holds it (e.g. `"auth_token_env": "TWILIO_AUTH_TOKEN"`).
In demo mode with nothing configured the accounts point at the mock provider on loopback.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from burgernet.dispatch.models import Channel
from burgernet.dispatch.providers import adapter_class
from burgernet.dispatch.providers.base import ProviderAccount

_cache: tuple[object, list[ProviderAccount]] | None = None


def demo_accounts(*, mock_url: str) -> list[dict[str, Any]]:
    """Accounts that point at the mock provider (`burgernet mockprovider`)."""
    return [
        {
            "name": "mock-sms-1",
            "channel": "sms",
            "adapter": "generic_http_sms",
            "weight": 2,
            "rate_per_second": 500,
            "price": "0.065",
            "batch_size": 200,
            "options": {"url": f"{mock_url}/sms/batch", "secret": "mock-sms-secret"},
            "exercise": True,
        },
        {
            "name": "mock-sms-2",
            "channel": "sms",
            "adapter": "twilio_sms",
            "weight": 1,
            "rate_per_second": 100,
            "price": "0.079",
            "batch_size": 20,
            "options": {
                "base_url": mock_url,
                "account_sid": "ACmock0000000000000000000000000002",
                "auth_token": "mock-twilio-token",
                "from": "+3197010000000",
            },
            "exercise": True,
        },
        {
            "name": "mock-voice-1",
            "channel": "voice",
            "adapter": "twilio_voice",
            "weight": 1,
            "rate_per_second": 50,
            "price": "0.12",
            "batch_size": 10,
            "options": {
                "base_url": mock_url,
                "account_sid": "ACmock0000000000000000000000000003",
                "auth_token": "mock-twilio-token",
                "from": "+3188000000",
            },
            "exercise": True,
        },
        {
            # App push to the mock's push service (`POST /push/<sub-id>`), whatever endpoint
            # the subscription has: a demo never reaches a real phone.
            "name": "mock-push-1",
            "channel": "push",
            "adapter": "webpush",
            "weight": 1,
            "batch_size": 100,
            "options": {"push_service_url": f"{mock_url}/push"},
            "exercise": True,
        },
    ]


def _parse(raw: object) -> list[ProviderAccount]:
    if isinstance(raw, str):
        if not raw.strip():
            entries: list[Any] = []
        else:
            try:
                entries = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ImproperlyConfigured(f"PROVIDER_ACCOUNTS is not valid JSON: {exc}") from None
    else:
        entries = list(raw)  # type: ignore[call-overload]
    if not entries and settings.DEMO_MODE:
        entries = demo_accounts(mock_url=settings.MOCK_PROVIDER_URL)
    accounts: list[ProviderAccount] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"PROVIDER_ACCOUNTS[{index}]"
        if not isinstance(entry, dict):
            raise ImproperlyConfigured(f"{where} must be an object")
        for key in ("name", "channel", "adapter"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ImproperlyConfigured(f"{where}.{key} is required")
        name = entry["name"]
        if name in names:
            raise ImproperlyConfigured(f"{where}.name {name!r} is used twice")
        names.add(name)
        if entry["channel"] not in Channel.values:
            raise ImproperlyConfigured(f"{where}.channel {entry['channel']!r} is unknown")
        try:
            cls = adapter_class(entry["adapter"])
        except KeyError:
            raise ImproperlyConfigured(f"{where}.adapter {entry['adapter']!r} is unknown") from None
        if cls.channel != entry["channel"]:
            raise ImproperlyConfigured(
                f"{where}.adapter {entry['adapter']!r} sends {cls.channel}, not {entry['channel']}"
            )
        try:
            price = Decimal(str(entry.get("price", "0")))
            account = ProviderAccount(
                name=name,
                channel=entry["channel"],
                adapter=entry["adapter"],
                weight=int(entry.get("weight", 1)),
                rate_per_second=float(entry.get("rate_per_second", 0)),
                burst=float(entry.get("burst", 0)),
                price=price,
                batch_size=int(entry.get("batch_size", 100)),
                options=dict(entry.get("options", {})),
                exercise=bool(entry.get("exercise", False)),
            )
        except (ValueError, TypeError, InvalidOperation) as exc:
            raise ImproperlyConfigured(f"{where}: {exc}") from None
        if account.weight < 0 or account.batch_size < 1 or account.rate_per_second < 0:
            raise ImproperlyConfigured(
                f"{where}: weight and rate_per_second must be ≥ 0, batch_size ≥ 1"
            )
        cls.check_account(account)
        accounts.append(account)
    if not any(a.channel == Channel.EMAIL for a in accounts):
        # E-mail always works: Django's configured mail backend (SMTP, or files in var/mail).
        accounts.append(
            ProviderAccount(
                name="django-mail", channel="email", adapter="django_mail", batch_size=50
            )
        )
    if settings.VAPID_PRIVATE_KEY and not any(a.channel == Channel.PUSH for a in accounts):
        # App push works as soon as the VAPID keys are set: straight to each app's push service.
        account = ProviderAccount(name="webpush", channel="push", adapter="webpush", batch_size=100)
        adapter_class("webpush").check_account(account)
        accounts.append(account)
    accounts.extend(_builtin_target_accounts(accounts))
    return accounts


def _builtin_target_accounts(configured: list[ProviderAccount]) -> list[ProviderAccount]:
    """Broadcast and partner webhooks always have their account: the adapter sends to the
    configured targets (BROADCAST_TARGETS, PARTNER_WEBHOOKS) by name. It may carry exercise
    messages because the targets decide that: only those marked `exercise` get them."""
    builtin = [
        ProviderAccount(
            name="apprise",
            channel=Channel.BROADCAST,
            adapter="apprise",
            batch_size=10,
            exercise=True,
        ),
        ProviderAccount(
            name="partner-webhooks",
            channel=Channel.WEBHOOK,
            adapter="partner_webhook",
            batch_size=20,
            exercise=True,
        ),
    ]
    return [a for a in builtin if not any(c.channel == a.channel for c in configured)]


def provider_accounts(channel: str | None = None) -> list[ProviderAccount]:
    """Configured accounts (of one channel), parsed once per configuration value."""
    global _cache
    raw = settings.PROVIDER_ACCOUNTS
    key = (
        raw if isinstance(raw, str) else id(raw),
        settings.DEMO_MODE,
        settings.MOCK_PROVIDER_URL,
        settings.VAPID_PRIVATE_KEY,
    )
    if _cache is None or _cache[0] != key:
        _cache = (key, _parse(raw))
    accounts = _cache[1]
    return [a for a in accounts if channel is None or a.channel == channel]


def provider_account(name: str) -> ProviderAccount | None:
    return next((a for a in provider_accounts() if a.name == name), None)
