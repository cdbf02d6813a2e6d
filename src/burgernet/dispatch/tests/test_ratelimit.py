"""Provider accounts' rate limits hold across workers, measured where it counts: the mock."""

from __future__ import annotations

import pytest
from django.db import transaction

from burgernet.dispatch import ratelimit, services
from burgernet.dispatch.models import Lane
from burgernet.dispatch.providers.base import ProviderAccount
from burgernet.dispatch.tests.conftest import gateway_account, mock_stats

pytestmark = pytest.mark.django_db


def test_bucket_is_shared_and_makes_the_next_caller_wait() -> None:
    account = ProviderAccount(
        name="b", channel="sms", adapter="x", rate_per_second=400, batch_size=50
    )
    assert account.bucket_size == 100  # two batches
    assert ratelimit.acquire(account, 50) == 0  # a full bucket: go
    assert ratelimit.acquire(account, 50) == 0  # another worker: the second batch goes too
    wait = ratelimit.acquire(account, 50)  # a third, same bucket: wait for 50 tokens
    assert 0.1 <= wait <= 0.125


@pytest.mark.redis
def test_redis_bucket_behaves_the_same(settings) -> None:
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable")
    settings.TASKS_BACKEND = "rq"
    account = ProviderAccount(
        name="redis-test-bucket", channel="sms", adapter="x", rate_per_second=400, batch_size=50
    )
    ratelimit.reset(account.name)
    assert ratelimit.acquire(account, 50) == 0
    assert ratelimit.acquire(account, 50) == 0
    assert 0.1 <= ratelimit.acquire(account, 50) <= 0.125
    ratelimit.reset(account.name)


@pytest.mark.slow
def test_rate_at_the_mock_is_within_ten_percent_of_the_configured_rate(
    mock_provider, configure_accounts
) -> None:
    configure_accounts(
        gateway_account("limited", mock_provider.url, rate_per_second=200, batch_size=25)
    )
    with transaction.atomic():
        message = services.message_create(kind="mailing", lane=Lane.BULK, sms_text="Tip")
        services.deliveries_enqueue(
            message=message, recipients=[("sms", f"+3161{i:07d}", None) for i in range(600)]
        )

    services.deliveries_drain(channel="sms")

    measured = mock_stats(mock_provider)["accounts"]["limited"]
    assert measured["accepted"] == 600
    assert 180 <= measured["rate"] <= 220, measured


def test_waits_tell_which_account_has_tokens_now() -> None:
    busy = ProviderAccount(
        name="busy", channel="sms", adapter="x", rate_per_second=400, batch_size=50
    )
    idle = ProviderAccount(
        name="idle", channel="sms", adapter="x", rate_per_second=400, batch_size=50
    )
    free = ProviderAccount(name="free", channel="sms", adapter="x", batch_size=50)
    ratelimit.acquire(busy, 50)
    ratelimit.acquire(busy, 50)
    waits = ratelimit.waits([busy, idle, free])
    assert 0.1 <= waits["busy"] <= 0.125
    assert waits["idle"] == 0 and waits["free"] == 0


def test_of_the_accounts_ready_now_the_untouched_one_is_fullest() -> None:
    used = ProviderAccount(
        name="used", channel="sms", adapter="x", rate_per_second=400, batch_size=50
    )
    untouched = ProviderAccount(
        name="untouched", channel="sms", adapter="x", rate_per_second=400, batch_size=50
    )
    ratelimit.acquire(used, 50)  # half its bucket left: a batch may still go now
    ready = ratelimit.readiness([used, untouched])
    assert ready["used"][0] == 0 and ready["untouched"][0] == 0
    assert ready["used"][1] < 0.55 and ready["untouched"][1] == 1.0


def test_a_fan_out_starts_on_every_rate_limited_account_at_once(
    mock_provider, configure_accounts
) -> None:
    # Untouched accounts are full: one worker's first batches go to each of them in turn,
    # not twice to the account it happened to pick first.
    configure_accounts(
        *(
            gateway_account(f"acc{i}", mock_provider.url, rate_per_second=200, batch_size=50)
            for i in range(3)
        )
    )
    with transaction.atomic():
        message = services.message_create(kind="mailing", lane=Lane.BULK, sms_text="Tip")
        services.deliveries_enqueue(
            message=message, recipients=[("sms", f"+3161{i:07d}", None) for i in range(150)]
        )

    services.deliveries_drain(channel="sms", max_seconds=0.0)  # one batch per call
    services.deliveries_drain(channel="sms", max_seconds=0.0)
    services.deliveries_drain(channel="sms", max_seconds=0.0)

    accounts = mock_stats(mock_provider)["accounts"]
    assert sorted(accounts) == ["acc0", "acc1", "acc2"]
