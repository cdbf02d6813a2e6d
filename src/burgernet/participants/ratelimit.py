"""Fixed-window rate limits on Django's cache (per client IP, per submitted address).

The counters live in the cache alias "ratelimit" when `CACHES` defines one, else in "default"
(Django's local-memory cache per process when `CACHES` is not set, as in the embedded run);
see docs/participants.md for a shared cache at scale. Keys hold a hash, never the address.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The peer address. Proxy headers are not trusted: a reverse proxy must set REMOTE_ADDR."""
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def _cache() -> BaseCache:
    return caches["ratelimit" if "ratelimit" in settings.CACHES else "default"]


def hit(*, scope: str, key: str, limit: int, window_s: int) -> bool:
    """Count one attempt for (`scope`, `key`); True when more than `limit` in the window."""
    digest = hashlib.sha256(f"{scope}:{key.strip().lower()}".encode()).hexdigest()[:32]
    cache_key = f"burgernet:rl:{scope}:{digest}"
    cache = _cache()
    if cache.add(cache_key, 1, window_s):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, window_s)
        return limit < 1
    return count > limit
