"""Tasks of the core app: a round trip through the task backend; the access log's retention."""

from __future__ import annotations

import os
import socket

from django_tasks import task

from burgernet.core import retention


@task(queue_name="urgent")
def ping(value: str) -> dict[str, str]:
    """Echo `value` with where it ran, so a caller can prove a worker (not itself) ran it.

    Used by the RQ round-trip test and handy for an operator checking that workers listen on
    the urgent queue: `ping.enqueue("hello")`, then read the result.
    """
    return {"value": value, "host": socket.gethostname(), "pid": str(os.getpid())}


@task(queue_name="default")
def purge_expired_access_log() -> int:
    """Delete access-log entries older than ACCESS_LOG_RETENTION_DAYS."""
    return retention.access_log_purge_expired()
