"""Bad configuration stops the real `burgernet` command with one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

UNREACHABLE_DB = "postgres://postgres@127.0.0.1:1/burgernet_nowhere"
# Variables a developer's shell (or the test run itself) may carry that would change the outcome.
_CLEARED = (
    "DEBUG",
    "DEMO_MODE",
    "BURGERNET_TESTING",
    "SECRET_KEY",
    "DATABASE_URL",
    "TASKS_BACKEND",
)


def run_burgernet(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    return subprocess.run(
        [sys.executable, "-m", "burgernet.cli", *args],
        env={**base, "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["serve", "migrate", "worker", "demo"])
def test_an_unreachable_database_is_named_in_one_line(tmp_path: Path, command: str) -> None:
    result = run_burgernet(tmp_path, command, DEMO_MODE="1", DATABASE_URL=UNREACHABLE_DB)
    line = assert_one_clear_line(result, "database", "127.0.0.1:1/burgernet_nowhere")
    assert "Connection refused" in line or "connection failed" in line
    assert result.stdout == "" or "Migrating" not in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("command", ["serve", "check"])
def test_production_mode_without_a_secret_key_refuses_to_start(
    tmp_path: Path, command: str
) -> None:
    result = run_burgernet(tmp_path, command)
    assert_one_clear_line(result, "SECRET_KEY")


@pytest.mark.slow
def test_a_malformed_boolean_names_the_variable(tmp_path: Path) -> None:
    result = run_burgernet(tmp_path, "check", DEBUG="maybe")
    assert_one_clear_line(result, "DEBUG", "maybe")


@pytest.mark.slow
def test_a_malformed_number_names_the_variable(tmp_path: Path) -> None:
    result = run_burgernet(tmp_path, "check", DEMO_MODE="1", SESSION_IDLE_TIMEOUT="half an hour")
    assert_one_clear_line(result, "SESSION_IDLE_TIMEOUT")


@pytest.mark.slow
def test_an_unknown_task_backend_is_named(tmp_path: Path) -> None:
    result = run_burgernet(tmp_path, "check", DEMO_MODE="1", TASKS_BACKEND="celery")
    assert_one_clear_line(result, "TASKS_BACKEND", "celery")


@pytest.mark.slow
def test_a_good_configuration_passes_the_checks(tmp_path: Path) -> None:
    result = run_burgernet(tmp_path, "check", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.org")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_malformed_database_url_is_named_without_its_password(tmp_path: Path) -> None:
    result = run_burgernet(
        tmp_path, "migrate", DEMO_MODE="1", DATABASE_URL="mongo://admin:s3cret@db/x"
    )
    line = assert_one_clear_line(result, "DATABASE_URL", "mongo")
    assert "s3cret" not in line


@pytest.mark.slow
def test_a_worker_without_redis_names_redis(tmp_path: Path) -> None:
    result = run_burgernet(
        tmp_path,
        "worker",
        "--burst",
        DEMO_MODE="1",
        TASKS_BACKEND="rq",
        REDIS_URL="redis://:s3cret@127.0.0.1:1/0",
    )
    line = assert_one_clear_line(result, "Redis", "REDIS_URL", "127.0.0.1:1")
    assert "s3cret" not in line


@pytest.mark.slow
def test_a_malformed_port_for_serve_names_the_variable(tmp_path: Path) -> None:
    result = run_burgernet(tmp_path, "serve", DEMO_MODE="1", PORT="eighty")
    assert_one_clear_line(result, "PORT", "eighty")
