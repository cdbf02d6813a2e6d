"""Token buckets per provider account, shared by every worker process.

`acquire(account, n)` takes `n` tokens and returns how long the caller must wait before it may
send: the bucket may go into debt, so concurrent workers queue up fairly and the long-run rate
is exactly `rate_per_second`. Redis (a Lua script, Redis's clock) when `TASKS_BACKEND=rq`,
otherwise a locked row in the database.
"""

from __future__ import annotations

import time
from functools import cache

import redis
from django.conf import settings
from django.db import IntegrityError, transaction

from burgernet.dispatch.models import RateBucket
from burgernet.dispatch.providers.base import ProviderAccount

_LUA = """
local size = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1]) or size
local ts = tonumber(v[2]) or now
tokens = math.min(size, tokens + math.max(0, now - ts) * rate) - n
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(tokens)
"""


def use_redis() -> bool:
    return settings.TASKS_BACKEND == "rq" and bool(settings.REDIS_URL)


@cache
def _redis_script(url: str) -> redis.commands.core.Script:
    return redis.Redis.from_url(url).register_script(_LUA)


def acquire(account: ProviderAccount, n: int) -> float:
    """Take `n` tokens from the account's bucket; seconds to wait before sending (≥ 0)."""
    rate = account.rate_per_second
    if rate <= 0 or n <= 0:
        return 0.0
    size = account.bucket_size
    if use_redis():
        script = _redis_script(settings.REDIS_URL)
        tokens = float(script(keys=[f"burgernet:bucket:{account.name}"], args=[size, rate, n]))
    else:
        tokens = _acquire_db(account.name, size, rate, n)
    return max(0.0, -tokens / rate)


def waits(accounts: list[ProviderAccount]) -> dict[str, float]:
    """Seconds each account's next full batch would wait now (read only; 0 when unlimited).

    One query (or one Redis round trip) for all accounts, so a worker can send each batch to
    the account that has tokens instead of queueing behind a busy one.
    """
    return {name: wait for name, (wait, _) in readiness(accounts).items()}


def readiness(accounts: list[ProviderAccount]) -> dict[str, tuple[float, float]]:
    """Per account: (seconds its next full batch would wait now, share of its bucket full).

    Of the accounts that can take a batch now, the fullest is the one whose tokens overflow
    (are lost) first; an untouched account counts as full, an unlimited one too.
    """
    limited = [a for a in accounts if a.rate_per_second > 0]
    result = {a.name: (0.0, 1.0) for a in accounts}
    if not limited:
        return result
    now = time.time()
    state: dict[str, tuple[float, float]] = {}
    if use_redis():
        client = redis.Redis.from_url(settings.REDIS_URL)
        pipe = client.pipeline()
        for a in limited:
            pipe.hmget(f"burgernet:bucket:{a.name}", "tokens", "ts")
        pipe.time()
        *rows, server_time = pipe.execute()
        now = server_time[0] + server_time[1] / 1_000_000
        for a, (tokens, ts) in zip(limited, rows, strict=True):
            if tokens is not None and ts is not None:
                state[a.name] = (float(tokens), float(ts))
    else:
        for bucket in RateBucket.objects.filter(pk__in=[a.name for a in limited]):
            state[bucket.account] = (bucket.tokens, bucket.updated_at)
    for a in limited:
        tokens, at = state.get(a.name, (a.bucket_size, now))
        tokens = min(a.bucket_size, tokens + max(0.0, now - at) * a.rate_per_second)
        wait = max(0.0, (a.send_batch_size - tokens) / a.rate_per_second)
        result[a.name] = (wait, max(0.0, tokens) / a.bucket_size)
    return result


def _acquire_db(name: str, size: float, rate: float, n: int) -> float:
    for _ in range(2):
        with transaction.atomic():
            now = time.time()
            bucket = RateBucket.objects.select_for_update().filter(pk=name).first()
            if bucket is None:
                try:
                    with transaction.atomic():
                        RateBucket.objects.create(account=name, tokens=size - n, updated_at=now)
                    return size - n
                except IntegrityError:
                    continue  # another worker created it first: take the locked path
            tokens = min(size, bucket.tokens + max(0.0, now - bucket.updated_at) * rate) - n
            RateBucket.objects.filter(pk=name).update(tokens=tokens, updated_at=now)
            return tokens
    raise RuntimeError(f"rate bucket {name} could not be created")


def reset(account: str) -> None:
    """Forget a bucket (tests, configuration changes)."""
    RateBucket.objects.filter(pk=account).delete()
    if use_redis():
        redis.Redis.from_url(settings.REDIS_URL).delete(f"burgernet:bucket:{account}")
