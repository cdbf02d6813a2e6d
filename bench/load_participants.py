"""Time loading N synthetic participants, as `burgernet demo --participants N` does.

Usage (a fresh database is created for the run and kept for bench/reach.py):

    .venv/bin/python bench/load_participants.py --participants 200000 --db sqlite
    .venv/bin/python bench/load_participants.py --participants 200000 \
        --db postgres://postgres@127.0.0.1:5432/burgernet_bench_load

Prints the load time and rows/s (participants + phone numbers + locations), and an
extrapolation to 2,000,000 participants. Reference data (regions) is loaded first and not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--db", default="sqlite", help="'sqlite' or a postgres:// URL")
    args = parser.parse_args()

    if args.db == "sqlite":
        path = Path(tempfile.mkdtemp()) / "bench-load.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = args.db
        _recreate_postgres(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEMO_MODE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "burgernet.settings")
    sys.path.insert(0, str(ROOT / "src"))

    import django

    django.setup()
    from django.core.management import call_command

    from burgernet.geo import demo as geo_demo
    from burgernet.participants.demo import participants_generate

    call_command("migrate", verbosity=0)
    geo_demo.load_municipalities()
    started = time.perf_counter()
    report = participants_generate(
        count=args.participants,
        seed=args.seed,
        now=dt.datetime.now(dt.UTC),
        out=lambda line: print(line, flush=True),
    )
    seconds = time.perf_counter() - started
    rows = report.participants + report.phones + report.locations
    per_participant = seconds / report.participants
    print(
        f"{args.db.split(':')[0]}: {report.participants:,} participants, {report.phones:,} phones, "
        f"{report.locations:,} locations = {rows:,} rows in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s, {report.participants / seconds:,.0f} participants/s); "
        f"2,000,000 participants extrapolate to {per_participant * 2_000_000 / 60:.1f} min"
    )
    if args.db == "sqlite":
        print(f"database file: {url[len('sqlite:///') :]} (delete it when done)")


def _recreate_postgres(url: str) -> None:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    with psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        dbname="postgres",
        password=cfg["PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}"')
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


if __name__ == "__main__":
    main()
