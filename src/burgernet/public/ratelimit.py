"""Abuse limits for the anonymous app endpoints: fixed windows per client IP in the cache.

With the default local-memory cache each web process counts on its own; configure a shared
cache (Redis) in production so the limit holds across processes. The client IP is
REMOTE_ADDR: behind a reverse proxy, let the proxy set it (see docs/public.md).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest

#: name → (requests allowed, window in seconds)
LIMITS: dict[str, tuple[int, int]] = {
    "tip": (5, 600),
    "subscription": (20, 3600),
}


def rate_limited(request: HttpRequest, *, name: str) -> bool:
    """Count this request; True when the client is over the limit for `name`."""
    allowed, window = LIMITS[name]
    ip = request.META.get("REMOTE_ADDR", "unknown")
    bucket = int(time.time() // window)
    key = f"ratelimit:{name}:{ip}:{bucket}"
    if cache.add(key, 1, timeout=window + 5):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return False
    return count > allowed
