"""Incoming-call routing: who should a caller to the Burgernet number be put through to?

Other apps register resolvers (e.g. actions: "this number was reached by a running action of
dispatch centre X"). A resolver takes the caller's keyed number hash (the same HMAC as
`participants.PhoneNumber.number_hash`) and returns an E.164 number or None. The first answer
wins; without one the caller reaches the national number (`DISPATCH_NATIONAL_NUMBER`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from burgernet.dispatch.signing import phone_hash

CallerResolver = Callable[[str], str | None]

_resolvers: list[CallerResolver] = []


def register_caller_resolver(resolver: CallerResolver) -> CallerResolver:
    """Add a resolver (usable as a decorator); registering twice is harmless."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)
    return resolver


def unregister_caller_resolver(resolver: CallerResolver) -> None:
    if resolver in _resolvers:
        _resolvers.remove(resolver)


def route_caller(*, caller_e164: str) -> str:
    """The number to dial for this caller: a resolver's answer, else the national number."""
    number_hash = phone_hash(caller_e164)
    for resolver in list(_resolvers):
        target = resolver(number_hash)
        if target:
            return target
    return str(settings.DISPATCH_NATIONAL_NUMBER)
