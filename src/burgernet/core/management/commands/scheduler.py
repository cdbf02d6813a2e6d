"""Enqueue periodic jobs (SCHEDULED_JOBS) when their slot comes; `serve` starts one."""

from __future__ import annotations

import time
from typing import Any

import structlog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from burgernet.core import scheduler
from burgernet.core.db import require_database

log = structlog.get_logger(__name__)


class Command(BaseCommand):
    help = "Enqueue the periodic jobs of SCHEDULED_JOBS once per slot (any number may run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.SCHEDULER_INTERVAL_SECONDS,
            help="seconds between looks at the schedule",
        )
        parser.add_argument("--once", action="store_true", help="look once, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            runnable = scheduler.runnable_jobs(scheduler.configured_jobs())
        except scheduler.ScheduleError as exc:
            raise CommandError(str(exc)) from None
        require_database()
        names = ", ".join(f"{r.job.name} ({r.job.schedule})" for r in runnable)
        self.stdout.write(f"Scheduler started: {names or 'no jobs'}")
        while True:
            for run in scheduler.scheduled_jobs_enqueue_due(runnable=runnable):
                self.stdout.write(f"enqueued {run.job} for {run.slot.isoformat()}")
            if options["once"]:
                return
            time.sleep(options["interval"])
