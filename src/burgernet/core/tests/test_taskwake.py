"""Database-queue workers on PostgreSQL wake on NOTIFY: a task runs as soon as it commits.

A real `burgernet worker` process (the console command operators start) on the test database.
How fast it wakes is measured in bench/ (the "first" section), never asserted here: this test
proves the behaviour (a committed task runs in the worker, a rolled-back one never exists).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django_tasks import TaskResult, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from burgernet.core.tasks import ping
from burgernet.core.taskwake import enqueue_is_transactional


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "BURGERNET_TESTING": "1",
        "TASKS_BACKEND": "db",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
    }


def _wait_for(result: TaskResult[Any, Any], deadline: float) -> None:
    while time.monotonic() < deadline:
        result.refresh()
        if result.status == TaskResultStatus.SUCCESSFUL:
            return
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_listening_worker_runs_a_task_committed_with_its_transaction_only(
    tmp_path: Path,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL; SQLite workers poll")
    assert enqueue_is_transactional()
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "burgernet.cli", "worker", "--queues", "urgent"],
        env=_worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        deadline = time.monotonic() + 60
        # A first task proves the worker is up; it subscribes before its first look at the
        # table, so from here on every commit wakes it.
        warm_up = ping.enqueue("warm-up")
        _wait_for(warm_up, deadline)
        assert warm_up.status == TaskResultStatus.SUCCESSFUL, log.read_text()

        # Enqueued inside a transaction that rolls back: the task vanishes with it.
        with pytest.raises(RuntimeError), transaction.atomic():
            ping.enqueue("never")
            raise RuntimeError("roll back")
        # Enqueued inside a transaction that commits: the worker runs it.
        with transaction.atomic():
            result = ping.enqueue("after commit")
            assert (
                not DBTaskResult.objects.using("default")
                .filter(status=TaskResultStatus.RUNNING)
                .exists()
            )
        _wait_for(result, deadline)
        assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
        assert result.return_value["value"] == "after commit"
        assert result.return_value["pid"] == str(worker.pid)
        assert sorted(
            a["args"][0] for a in DBTaskResult.objects.values_list("args_kwargs", flat=True)
        ) == [
            "after commit",
            "warm-up",
        ]
    finally:
        worker.terminate()
        worker.wait(timeout=10)
