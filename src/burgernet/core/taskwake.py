"""Database task queue with instant wake-ups on PostgreSQL (LISTEN/NOTIFY instead of polling).

django-tasks-db's worker polls its table every `interval` seconds, so an urgent task waited
half an interval on average (100 ms at our 0.2 s) before a worker even looked. Here:

- `DatabaseBackend` is django-tasks-db's backend plus `pg_notify(CHANNEL, queue)` after each
  enqueue. NOTIFY is transactional: enqueued inside a transaction, the worker hears of it at
  commit, exactly when the task row becomes visible; never before.
- `Worker` claims tasks like django-tasks-db's worker, but while idle it waits on a LISTEN
  connection for up to `interval` seconds instead of sleeping, and wakes at once on a notice.
  The poll stays as the fallback (deferred tasks, a notice lost with a dropped connection).

SQLite keeps the plain polling worker (no LISTEN there). See ADR 0024.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django_tasks_db.backend import DatabaseBackend as _DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker as _Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

logger = logging.getLogger(__name__)

#: The PostgreSQL notification channel; the payload is the queue name.
CHANNEL = "burgernet_tasks"


def enqueue_is_transactional() -> bool:
    """Whether tasks enqueued inside a transaction commit (or roll back) with it.

    True for the database backend on the default database: a wake-up task can then be written
    beside the rows it is about, saving a commit of its own after theirs (a WAL flush, 10-25 ms
    on a busy machine). Redis (RQ) is not transactional: enqueue on commit there.
    """
    from django_tasks import task_backends

    backend = task_backends["default"]
    return isinstance(backend, _DatabaseBackend) and DBTaskResult.objects.db == "default"


class DatabaseBackend(_DatabaseBackend):
    """django-tasks-db's backend that also notifies waiting workers (PostgreSQL)."""

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        result: Any = super().enqueue(task, args, kwargs)
        connection = connections[DBTaskResult.objects.db]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, task.queue_name])
        return result


class Worker(_Worker):
    """A database-backend worker that waits for a notice instead of sleeping (PostgreSQL).

    Serves the same table the same way (ready tasks of its queues, locked and claimed in one
    transaction, run, result recorded), only the idle wait differs.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listener: BaseDatabaseWrapper | None = None

    def _listen(self) -> BaseDatabaseWrapper:
        """A connection of its own, in autocommit, subscribed to CHANNEL (re-made if lost)."""
        listener = self._listener
        raw = listener.connection if listener is not None else None
        if listener is None or raw is None or raw.closed or raw.broken:
            if listener is not None:
                listener.close()
            listener = connections.create_connection(DBTaskResult.objects.db)
            listener.ensure_connection()
            listener.set_autocommit(True)
            with listener.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            self._listener = listener
        return listener

    def _claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result

    def _wait(self) -> None:
        """Until a notice arrives or `interval` passes. Notices sent while we were busy are
        queued on the LISTEN connection, so none is missed between a claim and this wait."""
        try:
            raw = self._listen().connection
            for _notice in raw.notifies(timeout=self.interval, stop_after=1):
                pass
            # Swallow the burst (one notice per enqueued task): one claim round serves it.
            for _notice in raw.notifies(timeout=0):
                pass
        except Exception:  # a lost connection: fall back to a plain poll, re-listen next time
            logger.warning("task wake-up connection lost; polling", exc_info=True)
            if self._listener is not None:
                self._listener.close()
            self._listener = None
            time.sleep(self.interval)

    def run(self) -> None:
        logger.info("worker %s serving %s (LISTEN %s)", self.worker_id, self.queue_names, CHANNEL)
        # Subscribe before the first look at the table: a task enqueued in between wakes us.
        self._listen()
        while self.running:
            close_old_connections()
            task_result = self._claim()
            if task_result is not None:
                self.run_task(task_result)
                continue
            close_old_connections()
            if self.running:
                self._wait()
