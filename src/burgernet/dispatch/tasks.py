"""Tasks only wake workers: they take a channel, re-read the outbox and call one service."""

from __future__ import annotations

from django_tasks import task

from burgernet.dispatch import services


@task(queue_name="default")
def drain_deliveries(*, channel: str) -> int:
    """Send every due delivery of `channel` (the queue it runs on is the message's lane)."""
    return services.deliveries_drain(channel=channel)


@task(queue_name="default")
def sweep_deliveries() -> int:
    """Re-queue expired claims and wake workers for due retries."""
    return services.deliveries_sweep()


@task(queue_name="default")
def blank_expired_deliveries() -> int:
    """Blank the addresses of deliveries settled longer than DELIVERY_RETENTION_DAYS ago."""
    return services.deliveries_blank_expired()


@task(queue_name="default")
def purge_expired_inbound() -> int:
    """Delete inbound SMS/call records older than INBOUND_RETENTION_DAYS."""
    return services.inbound_purge_expired()
