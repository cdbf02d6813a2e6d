"""Where app push deliveries go: a small hook the app that owns subscriptions registers.

Dispatch knows no other app. A push delivery's address is `sub:<subscription id>`; the web push
adapter asks the registered resolver for the endpoint and keys of a batch of addresses (one
query), and tells the registered `gone` hook when a push service answers 404/410 so the
subscription is forgotten. The public app registers both in its AppConfig.ready.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

ADDRESS_PREFIX = "sub:"


@dataclass(frozen=True)
class PushTarget:
    """One app's push subscription, as the push service needs it."""

    endpoint: str
    p256dh: str
    auth: str
    language: str = "nl"


Resolver = Callable[[list[str]], dict[str, PushTarget]]
GoneReporter = Callable[[str], None]

_resolver: Resolver | None = None
_gone: GoneReporter | None = None


def address(subscription_id: int) -> str:
    """The delivery address of a subscription."""
    return f"{ADDRESS_PREFIX}{subscription_id}"


def register(*, resolve: Resolver, gone: GoneReporter) -> None:
    """Install the resolver (addresses → targets; unknown addresses are left out) and the hook
    that forgets a subscription the push service no longer knows."""
    global _resolver, _gone
    _resolver, _gone = resolve, gone


def resolve(addresses: Iterable[str]) -> dict[str, PushTarget]:
    """Targets of the addresses that still exist; an address that is missing is gone."""
    if _resolver is None:
        raise RuntimeError("no push target resolver registered (is burgernet.public installed?)")
    return _resolver(list(addresses))


def report_gone(address: str) -> None:
    """The push service says this subscription no longer exists."""
    if _gone is not None:
        _gone(address)
