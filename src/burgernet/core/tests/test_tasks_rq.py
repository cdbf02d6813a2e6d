"""A task really travels through Redis and an RQ worker started by `burgernet worker`.

Needs Redis on 127.0.0.1:6379 (or TEST_REDIS_URL). Without it the test is skipped loudly,
unless REQUIRE_REDIS=1 (CI), where a missing Redis is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus

from burgernet.core.tasks import ping

# A Redis database of its own (default 14), so the test never touches the data of a running system.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
QUEUES = ["urgent", "default", "bulk"]


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} is not reachable ({exc}): the RQ test did NOT run"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"{message} and REQUIRE_REDIS=1")
        sys.stderr.write(f"\nWARNING: {message}\n")
        pytest.skip(message)
    return client


@pytest.mark.redis
@pytest.mark.slow
def test_a_task_runs_through_redis_and_an_rq_worker(tmp_path: Path) -> None:
    client = _redis_or_skip()
    rq_settings = {
        "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": QUEUES}},
        "RQ_QUEUES": {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60} for name in QUEUES},
    }
    job_id = ""
    job_ids: list[str] = []
    worker_ids: list[str] = []
    try:
        with override_settings(**rq_settings):
            result = ping.enqueue("hello from the test")
            job_id = result.id
            # A deferred task that is already due: only a worker running RQ's scheduler runs it.
            deferred = ping.using(run_after=timezone.now() - dt.timedelta(seconds=5)).enqueue(
                "later"
            )
            job_ids.append(deferred.id)
            assert result.status == TaskResultStatus.READY
            assert client.exists(f"rq:job:{job_id}")

            # The worker is the real console command, as operators start it at scale.
            env = {
                **os.environ,
                "TASKS_BACKEND": "rq",
                "REDIS_URL": REDIS_URL,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
                "BURGERNET_TESTING": "1",
                "VAR_DIR": str(tmp_path),
            }
            worker = subprocess.run(
                [sys.executable, "-m", "burgernet.cli", "worker", "--queues", "urgent", "--burst"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert worker.returncode == 0, worker.stderr

            result.refresh()
            assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
            assert result.return_value["value"] == "hello from the test"
            # It ran in the worker's process, not in ours.
            assert result.return_value["pid"] != str(os.getpid())
            worker_ids = list(result.worker_ids)
            assert worker_ids

            deferred.refresh()
            assert deferred.status == TaskResultStatus.SUCCESSFUL, deferred.errors
            assert deferred.return_value["value"] == "later"
    finally:
        for worker_id in worker_ids:
            client.delete(f"rq:worker:{worker_id}")
        for one_id in [job_id, *job_ids]:
            if not one_id:
                continue
            for key in client.scan_iter(match=f"*{one_id}*"):
                client.delete(key)
            for registry in client.scan_iter(match="rq:*:urgent"):
                if client.type(registry) == b"zset":
                    client.zrem(registry, one_id)
