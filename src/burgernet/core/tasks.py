"""Tasks of the core app: a round trip through whichever task backend is configured."""

from __future__ import annotations

import os
import socket

from django_tasks import task


@task(queue_name="urgent")
def ping(value: str) -> dict[str, str]:
    """Echo `value` with where it ran, so a caller can prove a worker (not itself) ran it.

    Used by the RQ round-trip test and handy for an operator checking that workers listen on
    the urgent queue: `ping.enqueue("hello")`, then read the result.
    """
    return {"value": value, "host": socket.gethostname(), "pid": str(os.getpid())}
