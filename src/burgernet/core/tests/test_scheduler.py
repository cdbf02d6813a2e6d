"""The scheduler of periodic jobs: once per slot, one enqueue among several schedulers,
missed slots made up once, bad configuration named, and `serve` starts it."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from burgernet.core import scheduler
from burgernet.core.management.commands.serve import child_specs
from burgernet.core.models import ScheduledRun

AMS = ZoneInfo("Europe/Amsterdam")
PING = "burgernet.core.tasks.ping"


def _runnable(*entries: Any) -> list[scheduler.Runnable]:
    return scheduler.runnable_jobs(scheduler.parse_jobs(list(entries)))


@pytest.fixture
def tick(
    django_capture_on_commit_callbacks: Any,
) -> Callable[[list[scheduler.Runnable], dt.datetime], list[str]]:
    """One look at the schedule at `now` (local time); returns the slots enqueued, as HH:MM."""

    def run(runnable: list[scheduler.Runnable], now: dt.datetime) -> list[str]:
        with django_capture_on_commit_callbacks(execute=True):
            runs = scheduler.scheduled_jobs_enqueue_due(runnable=runnable, now=now)
        return [f"{r.job} {r.slot.astimezone(AMS):%H:%M}" for r in runs]

    return run


def _enqueued() -> list[dict[str, Any]]:
    return [r.args_kwargs["kwargs"] for r in DBTaskResult.objects.order_by("enqueued_at", "id")]


@pytest.mark.django_db
def test_a_job_fires_once_per_slot_and_missed_slots_once(tick: Any) -> None:
    runnable = _runnable(("ping", "*/15 * * * *", PING, {"value": "x"}))
    day = dt.date(2026, 11, 25)

    def at(h: int, m: int, s: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(h, m, s), tzinfo=AMS)

    # Start-up at 10:07: the 10:00 slot has come and has not run.
    assert tick(runnable, at(10, 7)) == ["ping 10:00"]
    assert tick(runnable, at(10, 7, 20)) == []
    assert tick(runnable, at(10, 14, 59)) == []
    assert tick(runnable, at(10, 15)) == ["ping 10:15"]
    assert tick(runnable, at(10, 15, 20)) == []
    # Down from 10:16 to 13:02: eleven slots missed, one run on start-up.
    assert tick(runnable, at(13, 2)) == ["ping 13:00"]
    assert tick(runnable, at(13, 3)) == []
    assert _enqueued() == [{"value": "x"}] * 3
    run = ScheduledRun.objects.get(slot=at(13, 0))
    assert run.task_result_id == str(DBTaskResult.objects.order_by("-enqueued_at").first().id)


@pytest.mark.django_db
def test_daily_slots_follow_amsterdam_time_across_summer_time(tick: Any) -> None:
    runnable = _runnable(("nightly", "15 0 * * *", PING, {"value": "n"}))
    # 00:15 local is 22:15 UTC in summer time and 23:15 UTC after it ends (25 October 2026).
    assert tick(runnable, dt.datetime(2026, 10, 24, 22, 16, tzinfo=dt.UTC)) == ["nightly 00:15"]
    assert tick(runnable, dt.datetime(2026, 10, 25, 21, 0, tzinfo=dt.UTC)) == []
    assert tick(runnable, dt.datetime(2026, 10, 25, 23, 14, tzinfo=dt.UTC)) == []
    assert tick(runnable, dt.datetime(2026, 10, 25, 23, 15, tzinfo=dt.UTC)) == ["nightly 00:15"]
    slots = sorted(ScheduledRun.objects.values_list("slot", flat=True))
    assert [s.astimezone(dt.UTC).strftime("%m-%d %H:%M") for s in slots] == [
        "10-24 22:15",
        "10-25 23:15",
    ]


@pytest.mark.django_db
def test_two_schedulers_enqueue_a_slot_once(tick: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runnable = _runnable(("ping", "*/15 * * * *", PING, {"value": "x"}))
    now = dt.datetime(2026, 11, 25, 10, 15, 3, tzinfo=AMS)
    assert tick(runnable, now) == ["ping 10:15"]
    # The second scheduler looks at the same moment ...
    assert tick(runnable, now) == []
    # ... even when both looked before either had written its row: the unique row decides.
    monkeypatch.setattr(scheduler, "slot_taken", lambda **_kw: False)
    assert tick(runnable, now) == []
    assert len(_enqueued()) == 1
    assert ScheduledRun.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_enqueue_gives_the_slot_back(tick: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runnable = _runnable(("ping", "*/15 * * * *", PING, {"value": "x"}))
    now = dt.datetime(2026, 11, 25, 10, 15, 3, tzinfo=AMS)

    def broken(*_args: Any) -> None:
        raise ConnectionError("redis is away")

    monkeypatch.setattr(runnable[0].task.get_backend(), "enqueue", broken)
    tick(runnable, now)
    assert not ScheduledRun.objects.exists()
    monkeypatch.undo()
    assert tick(runnable, now) == ["ping 10:15"]
    assert len(_enqueued()) == 1


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (("dashboard-today", "every 15 minutes", PING), "('dashboard-today'): schedule"),
        (("nightly", "61 0 * * *", PING), "('nightly'): schedule '61 0 * * *'"),
        (("seconds", "0 */15 * * * *", PING), "('seconds'): schedule"),
        (("nopath", "* * * * *", "ping"), "('nopath'): task 'ping' is not a dotted path"),
        (("kw", "* * * * *", PING, ["x"]), "('kw'): keyword arguments"),
        (("", "* * * * *", PING), "SCHEDULED_JOBS[0]: the name"),
        (("short", "* * * * *"), "SCHEDULED_JOBS[0]: expected (name, schedule, task path"),
    ],
)
def test_bad_configuration_names_the_job(entry: Any, message: str) -> None:
    with pytest.raises(scheduler.ScheduleError) as caught:
        scheduler.parse_jobs([entry])
    assert message in str(caught.value)


def test_a_name_used_twice_and_a_path_that_is_no_task_are_named(settings: Any) -> None:
    with pytest.raises(scheduler.ScheduleError, match=r"\('a'\): the name is used twice"):
        scheduler.parse_jobs([("a", "* * * * *", PING), ("a", "0 * * * *", PING)])
    with pytest.raises(scheduler.ScheduleError, match=r"\('clock'\): .*clock.now is not a"):
        _runnable(("clock", "* * * * *", "burgernet.core.clock.now"))
    settings.SCHEDULED_JOBS = [("a", "* * * * *", PING)]
    settings.SCHEDULER_DISABLED_JOBS = ["b"]
    with pytest.raises(scheduler.ScheduleError, match="SCHEDULER_DISABLED_JOBS: no job named b"):
        scheduler.configured_jobs()


def test_the_command_stops_on_bad_configuration_naming_the_job(settings: Any) -> None:
    settings.SCHEDULED_JOBS = [("broken-job", "*/90 * * *", PING)]
    with pytest.raises(CommandError, match="'broken-job'"):
        call_command("scheduler", "--once")


def test_a_task_that_cannot_be_imported_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        runnable = _runnable(
            ("later", "45 3 * * *", "burgernet.actions.tasks.not_written_yet"),
            ("ping", "* * * * *", PING, {"value": "x"}),
        )
    assert [r.job.name for r in runnable] == ["ping"]
    assert "scheduler.job_skipped" in caplog.text and "later" in caplog.text


def test_the_default_jobs_are_valid_and_their_tasks_exist_or_are_skipped(settings: Any) -> None:
    jobs = scheduler.configured_jobs()
    names = {job.name for job in jobs}
    assert {
        "dashboard-today",
        "dashboard-yesterday",
        "participants-purge-unconfirmed",
        "public-purge-app-subscriptions",
        "dispatch-delivery-retention",
        "actions-purge-expired-dossiers",
    } <= names
    runnable = {r.job.name for r in scheduler.runnable_jobs(jobs)}
    assert names - runnable <= {"actions-purge-expired-dossiers"}  # its branch is not merged


def test_serve_runs_a_scheduler_beside_its_workers() -> None:
    names = [spec.name for spec in child_specs(host="127.0.0.1", port=8000, web_workers=1)]
    assert {"web", "worker-urgent", "worker", "scheduler", "dispatch-sweeper"} <= set(names)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_starts_the_scheduler_which_enqueues_the_due_jobs(tmp_path: Path) -> None:
    """`burgernet serve` as an operator runs it: its scheduler child says which jobs it runs
    and claims their due slots in the database the workers read."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "BURGERNET_TESTING", "TASKS_BACKEND", "SECRET_KEY")
    }
    env.update(
        DEMO_MODE="1",
        VAR_DIR=str(tmp_path),
        PORT=str(port),
        MOCK_PROVIDER_PORT=str(_free_port()),
        PYTHONUNBUFFERED="1",
    )
    out_path = tmp_path / "serve.out"
    with out_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "burgernet.cli", "serve", "--no-demo", "--web-workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        claimed: set[str] = set()
        while time.monotonic() < deadline and process.poll() is None:
            if "Scheduler started" in out_path.read_text(errors="replace"):
                with sqlite3.connect(tmp_path / "burgernet.sqlite3") as db:
                    claimed = {job for (job,) in db.execute("SELECT job FROM core_scheduledrun")}
                if "dispatch-delivery-retention" in claimed:
                    break
            time.sleep(0.5)
        output = out_path.read_text(errors="replace")
        assert "Scheduler started: dashboard-today (*/15 * * * *)" in output, output[-3000:]
        assert {"dashboard-today", "dashboard-yesterday", "dispatch-delivery-retention"} <= claimed
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert process.returncode == 0
