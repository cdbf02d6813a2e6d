"""Run a task worker for the configured backend.

Queues are served in priority order: `urgent` (time-critical actions) before `default` before
`bulk` (mailings, newsletters). `--queues urgent` gives a worker that only ever serves actions,
which `serve` starts beside a general one so a newsletter never delays a search.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

from burgernet.core.db import require_database, require_redis


class Command(BaseCommand):
    help = "Run a background task worker (database or RQ backend, from TASKS_BACKEND)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default=",".join(settings.TASK_QUEUES),
            help="comma-separated queues in priority order (default: urgent,default,bulk)",
        )
        parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")

    def handle(self, *args: Any, **options: Any) -> None:
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()]
        unknown = set(queues) - set(settings.TASK_QUEUES)
        if unknown:
            self.stderr.write(f"unknown queue(s): {', '.join(sorted(unknown))}")
            raise SystemExit(2)
        require_database()
        for path in getattr(settings, "WORKER_WARM_UP", []):
            import_string(path)()
        if settings.TASKS_BACKEND == "rq":
            require_redis()
            # The scheduler moves deferred tasks (run_after, retries with a delay) onto their
            # queue when due; RQ lets only one worker per queue hold it at a time.
            rq_args = [*queues, "--job-class", "django_tasks_rq.Job", "--with-scheduler"]
            if options["burst"]:
                rq_args.append("--burst")
            call_command("rqworker", *rq_args)
        elif connection.vendor == "postgresql" and not options["burst"]:
            # Same table, same claims; idle workers wait on LISTEN and wake at once (ADR 0024).
            from burgernet.core.taskwake import Worker

            worker = Worker(
                queue_names=queues,
                interval=0.2,
                batch=False,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=get_random_string(32),
                excluded_queue_names=[],
            )
            worker.configure_signals()
            worker.run()
        else:
            call_command(
                "db_worker",
                queue_name=",".join(queues),
                interval=0.2,
                batch=options["burst"],
                no_startup_delay=True,
            )
