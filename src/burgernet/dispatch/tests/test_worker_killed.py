"""A worker process killed with SIGKILL mid-batch loses nothing and sends nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from burgernet.core import clock
from burgernet.dispatch import services
from burgernet.dispatch.models import Delivery, DeliveryState, Lane
from burgernet.dispatch.tests.conftest import (
    gateway_account,
    mock_config,
    mock_messages,
    mock_stats,
)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_worker_then_sweeper_still_exactly_once(mock_provider, configure_accounts) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a second process on the same database with SKIP LOCKED")
    accounts = [
        gateway_account("gw-1", mock_provider.url, batch_size=50, weight=1),
        gateway_account("gw-2", mock_provider.url, batch_size=50, weight=1),
    ]
    configure_accounts(*accounts)
    # Every request takes a while, so the kill lands while a batch is in flight.
    mock_config(mock_provider, latency_ms=150)
    addresses = [f"+3162{i:07d}" for i in range(1000)]
    with transaction.atomic():
        message = services.message_create(kind="action_start", lane=Lane.URGENT, sms_text="Let op")
        services.deliveries_enqueue(
            message=message, recipients=[("sms", a, None) for a in addresses]
        )

    db = connection.settings_dict
    env = {
        **os.environ,
        "BURGERNET_TESTING": "1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "PROVIDER_ACCOUNTS": json.dumps(accounts),
        "DISPATCH_LEASE_SECONDS": "2",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "burgernet.cli", "dispatchworker", "--channel", "sms"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(mock_messages(mock_provider)) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        # The mock just answered a batch; half its latency later the worker has recorded it
        # and is waiting for the answer to the next one: kill it there.
        time.sleep(0.075)
        while (
            not Delivery.objects.filter(state=DeliveryState.CLAIMED).exists()
            and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        os.kill(worker.pid, signal.SIGKILL)
        killed_at = clock.now()
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    # Let the mock finish the request the dead worker had in flight.
    settled, last = 0, None
    while settled < 5:
        now_seen = len(mock_messages(mock_provider))
        settled = settled + 1 if now_seen == last else 0
        last = now_seen
        time.sleep(0.1)

    claimed = set(
        Delivery.objects.filter(state=DeliveryState.CLAIMED).values_list("address", flat=True)
    )
    in_flight = len(claimed)
    already_there = claimed & {m["to"] for m in mock_messages(mock_provider)}
    states = Counter(Delivery.objects.values_list("state", flat=True))
    assert in_flight > 0, f"the worker should have died holding a claimed batch: {states}"
    assert 300 <= len(mock_messages(mock_provider)) < 1000

    with clock.frozen(killed_at):
        assert services.deliveries_sweep() == 0  # at the kill, the lease still held
    time.sleep(2.1)  # ... until it expired; then the sweeper takes the batch back
    assert services.deliveries_sweep() == in_flight
    mock_config(mock_provider, latency_ms=0)
    services.deliveries_drain(channel="sms")

    received = Counter(m["to"] for m in mock_messages(mock_provider))
    assert received == Counter(addresses)  # every recipient exactly once
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 1000
    # Whatever of the in-flight batch had reached the mock was sent again to the same account
    # and answered from its idempotency key: nobody got it twice.
    duplicates = sum(a.get("duplicates", 0) for a in mock_stats(mock_provider)["accounts"].values())
    assert duplicates == len(already_there), (duplicates, len(already_there), in_flight)
