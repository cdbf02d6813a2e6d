"""Periodic jobs: the scheduler enqueues a django-tasks task once per slot of its schedule.

Jobs come from `settings.SCHEDULED_JOBS`, a list of `(name, cron schedule, dotted task path)`
with optional keyword arguments as a fourth item. Schedules are cron expressions (croniter,
ADR 0073) in the local time zone (Europe/Amsterdam), so "15 0 * * *" is a quarter past
midnight in summer and in winter.

Exactly once per slot: before enqueueing, the scheduler inserts a `ScheduledRun` row that is
unique per (job, slot); a second scheduler process that reaches the same slot loses the insert
and enqueues nothing. Only the latest slot that has come is ever due, so slots missed while no
scheduler ran are made up once at start-up, not once per missed slot. The task runs in the
workers; the scheduler only enqueues (on commit of its row).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from croniter import croniter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from django_tasks.base import Task

from burgernet.core import clock
from burgernet.core.models import ScheduledRun

log = structlog.get_logger(__name__)

# Rows older than this are deleted by the scheduler itself: they only guard recent slots.
KEEP_RUNS = dt.timedelta(days=30)


class ScheduleError(ImproperlyConfigured):
    """A job in SCHEDULED_JOBS is malformed; the message names the job and what is wrong."""


@dataclass(frozen=True)
class Job:
    name: str
    schedule: str
    task_path: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def latest_slot(self, now: dt.datetime) -> dt.datetime:
        """The latest moment of the schedule at or before `now` (aware, UTC)."""
        local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
        # croniter's get_prev is strictly before its start: start just after `now`.
        slot = croniter(self.schedule, local + dt.timedelta(microseconds=1)).get_prev(dt.datetime)
        return slot.astimezone(dt.UTC)


def parse_jobs(entries: Sequence[Any]) -> list[Job]:
    """Check and read SCHEDULED_JOBS; raises ScheduleError naming the job at fault."""
    jobs: list[Job] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"SCHEDULED_JOBS[{index}]"
        if not isinstance(entry, list | tuple) or len(entry) not in (3, 4):
            raise ScheduleError(
                f"{where}: expected (name, schedule, task path[, keyword arguments]), got {entry!r}"
            )
        name, schedule, task_path = entry[0], entry[1], entry[2]
        kwargs = entry[3] if len(entry) == 4 else {}
        if not isinstance(name, str) or not name.strip():
            raise ScheduleError(f"{where}: the name must be a non-empty text")
        where = f"{where} ({name!r})"
        if name in seen:
            raise ScheduleError(f"{where}: the name is used twice")
        seen.add(name)
        if not isinstance(schedule, str) or not croniter.is_valid(schedule):
            raise ScheduleError(
                f"{where}: schedule {schedule!r} is not a cron expression "
                "(minute hour day-of-month month day-of-week, e.g. '*/15 * * * *')"
            )
        if len(schedule.split()) != 5:
            raise ScheduleError(
                f"{where}: schedule {schedule!r} must have 5 fields "
                "(minute hour day-of-month month day-of-week)"
            )
        if not isinstance(task_path, str) or "." not in task_path:
            raise ScheduleError(f"{where}: task {task_path!r} is not a dotted path")
        if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
            raise ScheduleError(f"{where}: keyword arguments must be a dict with text keys")
        jobs.append(Job(name=name, schedule=schedule, task_path=task_path, kwargs=dict(kwargs)))
    return jobs


def configured_jobs() -> list[Job]:
    """SCHEDULED_JOBS minus those named in SCHEDULER_DISABLED_JOBS (checked, see parse_jobs)."""
    jobs = parse_jobs(settings.SCHEDULED_JOBS)
    disabled = set(settings.SCHEDULER_DISABLED_JOBS)
    unknown = disabled - {job.name for job in jobs}
    if unknown:
        raise ScheduleError(
            f"SCHEDULER_DISABLED_JOBS: no job named {', '.join(sorted(unknown))} "
            f"(jobs: {', '.join(job.name for job in jobs)})"
        )
    return [job for job in jobs if job.name not in disabled]


@dataclass(frozen=True)
class Runnable:
    job: Job
    task: Task[Any, Any]


def runnable_jobs(jobs: list[Job]) -> list[Runnable]:
    """The jobs whose task can be imported. One that cannot (its app not merged yet, a typo in
    a module name) is skipped with a warning; a path that is not a task is an error."""
    runnable = []
    for job in jobs:
        try:
            target = import_string(job.task_path)
        except ImportError as exc:
            log.warning("scheduler.job_skipped", job=job.name, task=job.task_path, error=str(exc))
            continue
        if not isinstance(target, Task):
            raise ScheduleError(
                f"SCHEDULED_JOBS ({job.name!r}): {job.task_path} is not a django-tasks task "
                "(decorate it with @task)"
            )
        runnable.append(Runnable(job=job, task=target))
    return runnable


def slot_taken(*, job: str, slot: dt.datetime) -> bool:
    """Whether this slot, or a later one (a clock that went back), was already claimed. Only
    a shortcut: the unique (job, slot) row is what makes a slot run once."""
    return ScheduledRun.objects.filter(job=job, slot__gte=slot).exists()


def scheduled_jobs_enqueue_due(
    *, runnable: list[Runnable], now: dt.datetime | None = None
) -> list[ScheduledRun]:
    """Enqueue every job whose latest slot has come and has no run yet; returns the runs this
    call claimed. Safe to call from any number of schedulers at once (see module docstring)."""
    now = now or clock.now()
    claimed: list[ScheduledRun] = []
    for item in runnable:
        slot = item.job.latest_slot(now)
        if slot_taken(job=item.job.name, slot=slot):
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=item.job.name, slot=slot, claimed_at=now)
                transaction.on_commit(functools.partial(_enqueue, run, item))
        except IntegrityError:
            # Another scheduler claimed the slot between our check and our insert.
            log.info("scheduler.slot_taken", job=item.job.name, slot=slot.isoformat())
            continue
        claimed.append(run)
    ScheduledRun.objects.filter(slot__lt=now - KEEP_RUNS).delete()
    return claimed


def _enqueue(run: ScheduledRun, item: Runnable) -> None:
    try:
        result = item.task.enqueue(**item.job.kwargs)
    except Exception:
        # The slot is given back, so the next tick tries again (e.g. Redis was away).
        log.exception("scheduler.enqueue_failed", job=item.job.name, slot=run.slot.isoformat())
        ScheduledRun.objects.filter(pk=run.pk).delete()
        return
    ScheduledRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id)[:64])
    log.info("scheduler.enqueued", job=item.job.name, slot=run.slot.isoformat(), task_id=result.id)
