"""Broadcast targets (`BROADCAST_TARGETS`) and partner webhooks (`PARTNER_WEBHOOKS`).

Both are JSON lists in the environment, parsed once per value and checked at start-up (a
system check, so `serve`, `migrate` and the workers refuse to start on a bad entry) with
errors that name the entry and the key, like `PROVIDER_ACCOUNTS`.

Broadcast target: `{"name", "url" | "url_env", "exercise": false, "events": [...]}`; `url` is
an Apprise URL (`mastodon://…`, `tgram://…`, `json://…`). URLs of real channels carry tokens,
so `url_env` names the environment variable that holds the URL instead.

Partner webhook: `{"name", "url", "format": "json" | "cap", "secret_env", "events": [...],
"exercise": false, "timeout": 5}`; the HMAC secret comes from the environment only.

Deliveries address a target or partner by its name; `exercise` marks a peer that may receive
exercise messages (a test channel, a partner's acceptance system). Real messages reach every
subscribed entry, marked or not.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

#: Lifecycle steps of an action that a target or partner may subscribe to.
EVENTS = ("started", "expanded", "follow_up", "closed", "published")
#: What a broadcast target gets unless it names its events: the alert and its end.
BROADCAST_DEFAULT_EVENTS = ("started", "closed")
FORMATS = ("json", "cap")

# Demo mode, nothing configured: peers on the mock provider (`burgernet mockprovider`).
DEMO_PARTNER_SECRETS = {"demo-json": "mock-partner-json-secret", "demo-cap": "mock-partner-cap"}


@dataclass(frozen=True)
class BroadcastTarget:
    name: str
    url: str  # the Apprise URL, resolved from `url_env` when configured so
    events: tuple[str, ...] = BROADCAST_DEFAULT_EVENTS
    exercise: bool = False

    def wants(self, *, event: str, exercise: bool) -> bool:
        """Whether this target gets the message of `event` of a (possibly exercise) action."""
        return event in self.events and (self.exercise or not exercise)


@dataclass(frozen=True)
class PartnerWebhook:
    name: str
    url: str
    format: str  # json | cap
    secret: str  # resolved from `secret_env`
    events: tuple[str, ...] = EVENTS
    exercise: bool = False
    timeout: float = 5.0

    def wants(self, *, event: str, exercise: bool) -> bool:
        return event in self.events and (self.exercise or not exercise)


def _entries(setting: str, raw: object) -> list[Any]:
    if isinstance(raw, str):
        if not raw.strip():
            return []
        try:
            entries = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImproperlyConfigured(f"{setting} is not valid JSON: {exc}") from None
    else:
        entries = raw
    if not isinstance(entries, list):
        raise ImproperlyConfigured(f"{setting} must be a JSON list of objects")
    return entries


def _name(where: str, entry: object, seen: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ImproperlyConfigured(f"{where} must be an object")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ImproperlyConfigured(f"{where}.name is required")
    if name in seen:
        raise ImproperlyConfigured(f"{where}.name {name!r} is used twice")
    if len(name) > 64 or "/" in name:
        raise ImproperlyConfigured(f"{where}.name {name!r}: at most 64 characters, no '/'")
    seen.add(name)
    return entry


def _events(where: str, entry: dict[str, Any], default: tuple[str, ...]) -> tuple[str, ...]:
    events = entry.get("events", list(default))
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ImproperlyConfigured(f"{where}.events must be a list of: {', '.join(EVENTS)}")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise ImproperlyConfigured(
            f"{where}.events: unknown {', '.join(map(repr, unknown))} (use {', '.join(EVENTS)})"
        )
    return tuple(events)


def _flag(where: str, entry: dict[str, Any], key: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise ImproperlyConfigured(f"{where}.{key} must be true or false")
    return value


def _from_env(where: str, entry: dict[str, Any], key: str) -> str:
    env_name = entry.get(f"{key}_env")
    if not isinstance(env_name, str) or not env_name:
        raise ImproperlyConfigured(f"{where}.{key}_env is required (the secret stays in the env)")
    value = os.environ.get(env_name, "")
    if not value:
        raise ImproperlyConfigured(f"{where}.{key}_env: environment variable {env_name} is not set")
    return value


def parse_broadcast_targets(raw: object, *, check_urls: bool = False) -> list[BroadcastTarget]:
    """Targets from the `BROADCAST_TARGETS` value (ImproperlyConfigured naming the entry).

    `check_urls` asks Apprise whether it can use each URL: its first use loads every plugin
    (about a second), so only the start-up check does it, not a web request or a worker.
    """
    targets: list[BroadcastTarget] = []
    seen: set[str] = set()
    for index, item in enumerate(_entries("BROADCAST_TARGETS", raw)):
        where = f"BROADCAST_TARGETS[{index}]"
        entry = _name(where, item, seen)
        where = f"BROADCAST_TARGETS[{entry['name']}]"
        if "url" in entry and "url_env" in entry:
            raise ImproperlyConfigured(f"{where}: give url or url_env, not both")
        raw_url = _from_env(where, entry, "url") if "url_env" in entry else entry.get("url")
        if not isinstance(raw_url, str) or not raw_url:
            raise ImproperlyConfigured(f"{where}.url (or url_env) is required")
        url = raw_url
        if check_urls and not _apprise_can_use(url):
            # Never echo the URL itself: it may carry a token.
            scheme = url.split("://", 1)[0] if "://" in url else "?"
            raise ImproperlyConfigured(
                f"{where}.url is not an Apprise URL Apprise can use (scheme {scheme!r})"
            )
        targets.append(
            BroadcastTarget(
                name=entry["name"],
                url=url,
                events=_events(where, entry, BROADCAST_DEFAULT_EVENTS),
                exercise=_flag(where, entry, "exercise"),
            )
        )
    return targets


def _apprise_can_use(url: str) -> bool:
    import apprise

    return apprise.Apprise.instantiate(url) is not None


def parse_partner_webhooks(raw: object) -> list[PartnerWebhook]:
    """Partners from the `PARTNER_WEBHOOKS` value (ImproperlyConfigured naming the entry)."""
    partners: list[PartnerWebhook] = []
    seen: set[str] = set()
    for index, item in enumerate(_entries("PARTNER_WEBHOOKS", raw)):
        where = f"PARTNER_WEBHOOKS[{index}]"
        entry = _name(where, item, seen)
        where = f"PARTNER_WEBHOOKS[{entry['name']}]"
        url = entry.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ImproperlyConfigured(f"{where}.url must be an http(s) URL")
        if not urlsplit(url).hostname:
            raise ImproperlyConfigured(f"{where}.url has no host")
        fmt = entry.get("format", "json")
        if fmt not in FORMATS:
            raise ImproperlyConfigured(f"{where}.format {fmt!r} is unknown (use json or cap)")
        if "secret" in entry:
            raise ImproperlyConfigured(
                f"{where}.secret: put the secret in the environment and name it in secret_env"
            )
        timeout = entry.get("timeout", 5)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ImproperlyConfigured(f"{where}.timeout must be a number of seconds > 0")
        partners.append(
            PartnerWebhook(
                name=entry["name"],
                url=url,
                format=fmt,
                secret=_from_env(where, entry, "secret"),
                events=_events(where, entry, EVENTS),
                exercise=_flag(where, entry, "exercise"),
                timeout=float(timeout),
            )
        )
    return partners


def demo_broadcast_targets(*, mock_url: str) -> list[BroadcastTarget]:
    host = urlsplit(mock_url).netloc
    return [
        BroadcastTarget(
            name="demo-social",
            url=f"json://{host}/broadcast/demo-social",
            events=EVENTS,
            exercise=True,
        )
    ]


def demo_partner_webhooks(*, mock_url: str) -> list[PartnerWebhook]:
    return [
        PartnerWebhook(
            name=name,
            url=f"{mock_url}/partner/{name}",
            format=name.removeprefix("demo-"),
            secret=secret,
            exercise=True,
        )
        for name, secret in DEMO_PARTNER_SECRETS.items()
    ]


_cache: dict[str, tuple[object, list[Any]]] = {}


def _cached(setting: str, parse: Any, demo: Any) -> list[Any]:
    raw = getattr(settings, setting)
    # The environment is part of the key: url_env/secret_env are read when parsing.
    key = (
        raw if isinstance(raw, str) else json.dumps(raw),
        settings.DEMO_MODE,
        settings.MOCK_PROVIDER_URL,
    )
    hit = _cache.get(setting)
    if hit is None or hit[0] != key:
        parsed = parse(raw)
        if not parsed and settings.DEMO_MODE and not (isinstance(raw, str) and raw.strip()):
            parsed = demo(mock_url=settings.MOCK_PROVIDER_URL)
        _cache[setting] = (key, parsed)
        return parsed
    return hit[1]


def broadcast_targets() -> list[BroadcastTarget]:
    """The configured broadcast targets (demo mode, none configured: one on the mock)."""
    return _cached("BROADCAST_TARGETS", parse_broadcast_targets, demo_broadcast_targets)


def partner_webhooks() -> list[PartnerWebhook]:
    """The configured partner webhooks (demo mode, none configured: JSON + CAP on the mock)."""
    return _cached("PARTNER_WEBHOOKS", parse_partner_webhooks, demo_partner_webhooks)


def broadcast_target(name: str) -> BroadcastTarget | None:
    return next((t for t in broadcast_targets() if t.name == name), None)


def partner_webhook(name: str) -> PartnerWebhook | None:
    return next((p for p in partner_webhooks() if p.name == name), None)


def clear_cache() -> None:
    """Forget parsed values (tests that change the environment behind a same setting)."""
    _cache.clear()


def check_configuration(**kwargs: Any) -> list[checks.CheckMessage]:
    """System check: a bad entry stops `serve`, `migrate` and the workers at start-up."""
    errors: list[checks.CheckMessage] = []
    for setting, read in (
        (
            "BROADCAST_TARGETS",
            lambda: parse_broadcast_targets(settings.BROADCAST_TARGETS, check_urls=True),
        ),
        ("PARTNER_WEBHOOKS", partner_webhooks),
    ):
        try:
            read()
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), id=f"burgernet.dispatch.{setting.lower()}"))
    return errors
