"""Fixed-window rate limits on Django's cache (per client IP, per submitted address).

The cache is whatever `CACHES["default"]` is: local memory per process in the embedded run,
Redis when `TASKS_BACKEND=rq` (see docs/participants.md). Keys hold a hash, never the address.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The peer address. Proxy headers are not trusted: a reverse proxy must set REMOTE_ADDR."""
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def hit(*, scope: str, key: str, limit: int, window_s: int) -> bool:
    """Count one attempt for (`scope`, `key`); True when more than `limit` in the window."""
    digest = hashlib.sha256(f"{scope}:{key.strip().lower()}".encode()).hexdigest()[:32]
    cache_key = f"burgernet:rl:{scope}:{digest}"
    if cache.add(cache_key, 1, window_s):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, window_s)
        return limit < 1
    return count > limit
