#!/usr/bin/env bash
# The whole test suite: lint, types, migrations check, then pytest on SQLite and on PostgreSQL.
# REQUIRE_POSTGRES=1 (set by .ci/run) turns a missing PostgreSQL into a failure;
# REQUIRE_BROWSER=1 does the same for Chromium, REQUIRE_REDIS=1 for Redis (the RQ round trip).
# Extra arguments go to pytest. Never --reuse-db: every run builds its test databases afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export BURGERNET_TESTING=1
export PYTHONDONTWRITEBYTECODE=1

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Chromium for the browser tests: Debian's package, installed when we are root.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "Installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
if ! command -v chromium >/dev/null 2>&1; then
  if [ "${REQUIRE_BROWSER:-0}" = 1 ]; then
    echo "FAIL: chromium is not installed and REQUIRE_BROWSER=1"; exit 1
  fi
  echo "WARNING: chromium is not installed: the browser tests will be SKIPPED (apt-get install chromium)"
fi

if ! $BIN/python -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()" \
    "${TEST_REDIS_URL:-redis://127.0.0.1:6379/14}" >/dev/null 2>&1; then
  if [ "${REQUIRE_REDIS:-0}" = 1 ]; then
    echo "FAIL: Redis is required (REQUIRE_REDIS=1) but not reachable on 127.0.0.1:6379"; exit 1
  fi
  printf '\033[1;31m!! Redis NOT REACHABLE: the RQ round-trip test will be SKIPPED.\033[0m\n'
fi

say "ruff (lint + format)"
$BIN/ruff check .
$BIN/ruff format --check .

say "mypy"
$BIN/mypy

say "migrations are up to date"
$BIN/burgernet makemigrations --check --dry-run >/dev/null || {
  echo "FAIL: models changed without a migration (run: .venv/bin/burgernet makemigrations)"; exit 1; }

# Exit code 5 means pytest collected nothing: a broken collection must never look like a pass.
run_pytest() {
  local rc=0
  "$BIN/pytest" --create-db "$@" || rc=$?
  if [ "$rc" = 5 ]; then echo "FAIL: pytest collected no tests"; exit 1; fi
  return "$rc"
}

mkdir -p var
say "pytest on SQLite"
DATABASE_URL="sqlite:///$(pwd)/var/test-sqlite.sqlite3" run_pytest "$@"

PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/burgernet}"
if $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
try:
    psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname="postgres",
                    password=cfg["PASSWORD"] or None, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL at {cfg['HOST']}:{cfg['PORT']} is not reachable: {exc}")
    sys.exit(1)
PY
then
  # A test database of its own per run: a leftover from an interrupted run (or a parallel run
  # on the same server) can never make this one fail. pytest-django drops it at the end.
  test_db="test_burgernet_$(date +%Y%m%d%H%M%S)_$$"
  say "pytest on PostgreSQL ($PG_URL, test database $test_db)"
  DATABASE_URL="$PG_URL" TEST_DATABASE_NAME="$test_db" run_pytest "$@"
else
  if [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
    echo "FAIL: PostgreSQL is required (REQUIRE_POSTGRES=1) but not reachable"; exit 1
  fi
  printf '\n\033[1;31m!! PostgreSQL NOT REACHABLE: only the SQLite pass ran. Start PostgreSQL or set TEST_POSTGRES_URL.\033[0m\n'
fi
