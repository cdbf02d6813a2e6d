"""Time the municipality dashboard on a big registry: it must render in <= 1 s with 2 M
participants, because it reads only the daily aggregates.

Usage (a fresh database is created for the run):

    .venv/bin/python bench/dashboard.py --participants 200000 --db sqlite
    .venv/bin/python bench/dashboard.py --participants 2000000 \
        --db postgres://postgres@127.0.0.1:5432/burgernet_bench_dashboard

Steps: reference data, demo staff, N synthetic participants, `--actions` finished actions over
the past year; then `aggregates_rebuild` for the last `--rebuild-days` days (timed: the nightly
job's cost per day at this size). With `--fill-year` (default on) the older days of the year are
filled with copies of the oldest rebuilt day's participant figures plus the real action figures,
so the dashboard reads a full year of rows (352 organisations x 366 days) as in production.
Finally the dashboard of `beleid.amsterdam` (a municipality), of the national office and the
weekly report are rendered through Django's test client `--runs` times each; the median and the
maximum render time are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200_000)
    parser.add_argument("--actions", type=int, default=400)
    parser.add_argument("--rebuild-days", type=int, default=3)
    parser.add_argument("--no-fill-year", dest="fill_year", action="store_false")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--db", default="sqlite", help="'sqlite' or a postgres:// URL")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep an existing PostgreSQL database and its participants (skip the load)",
    )
    args = parser.parse_args()

    if args.reuse and args.db != "sqlite":
        url = args.db
    elif args.db == "sqlite":
        path = Path(tempfile.mkdtemp()) / "bench-dashboard.sqlite3"
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

    from burgernet.accounts import demo as accounts_demo
    from burgernet.actions import demo as actions_demo
    from burgernet.dashboard import services
    from burgernet.geo import demo as geo_demo
    from burgernet.participants.demo import participants_generate

    def say(line: str) -> None:
        print(line, flush=True)

    call_command("migrate", verbosity=0)
    geo_demo.load_municipalities()
    accounts_demo.build_organisations()
    accounts_demo.build_staff()
    from burgernet.participants.models import Participant

    if not (args.reuse and Participant.objects.exists()):
        started = time.perf_counter()
        participants_generate(
            count=args.participants, seed=args.seed, now=dt.datetime.now(dt.UTC), out=say
        )
        say(f"participants loaded in {time.perf_counter() - started:.1f} s")
    _analyze()
    _drop_actions()
    started = time.perf_counter()
    actions_demo.build(options={"actions": args.actions, "seed": args.seed}, out=say)
    say(f"actions built in {time.perf_counter() - started:.1f} s")

    today = services.local_today()
    per_day = []
    for n in range(args.rebuild_days - 1, -1, -1):
        started = time.perf_counter()
        services.aggregates_rebuild(day=today - dt.timedelta(days=n))
        per_day.append(time.perf_counter() - started)
    say(
        f"aggregates_rebuild: {len(per_day)} days, median {statistics.median(per_day):.2f} s/day, "
        f"max {max(per_day):.2f} s/day"
    )
    if args.fill_year:
        _fill_year(today=today, rebuilt=args.rebuild_days, say=say)

    from burgernet.dashboard.models import DailyFigure
    from burgernet.participants.models import Participant

    say(
        f"database: {Participant.objects.count():,} participants, "
        f"{DailyFigure.objects.count():,} daily figure rows"
    )
    for label, username, path in (
        ("municipality dashboard (beleid.amsterdam)", "beleid.amsterdam", "/portal/dashboard/"),
        ("national dashboard", _national_user(), "/portal/dashboard/"),
        ("weekly report (centralist.amsterdam)", "centralist.amsterdam", "/portal/dashboard/week/"),
    ):
        times = _render(username, path, args.runs)
        say(
            f"RENDER {label}: median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms over {len(times)} runs "
            f"({args.participants:,} participants)"
        )
    if args.db == "sqlite":
        say(f"database file: {url[len('sqlite:///') :]} (delete it when done)")


def _analyze() -> None:
    """Planner statistics after the bulk load (PostgreSQL), as a DBA would run them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _drop_actions() -> None:
    """A reused database may hold a partial action history: start it again."""
    from burgernet.actions.models import Action, ActionEvent, ActionRecipient, Response
    from burgernet.dashboard.models import DailyFigure

    DailyFigure.objects.all().delete()
    ActionEvent.objects.all().delete()
    Response.objects.all().delete()
    ActionRecipient.objects.all().delete()
    Action.objects.all().delete()


def _fill_year(*, today: dt.date, rebuilt: int, say: object) -> None:
    """Older days: the oldest rebuilt day's participant figures, with each day's real action
    figures (cheap: actions are few), so a year of rows is there to read."""
    from burgernet.dashboard import services
    from burgernet.dashboard.models import DailyFigure

    oldest = today - dt.timedelta(days=rebuilt - 1)
    template = {f.organisation_id: f for f in DailyFigure.objects.filter(day=oldest)}
    started = time.perf_counter()
    for n in range(rebuilt, 366):
        day = today - dt.timedelta(days=n)
        services.aggregates_rebuild(day=day, with_cells=False, with_participants=False)
        rows = list(DailyFigure.objects.filter(day=day))
        for row in rows:
            t = template.get(row.organisation_id)
            if t is not None:
                row.participants = t.participants
                row.participants_by_channel = t.participants_by_channel
                row.participants_by_source = t.participants_by_source
                row.signups, row.signoffs = t.signups, t.signoffs
        DailyFigure.objects.bulk_update(
            rows,
            [
                "participants",
                "participants_by_channel",
                "participants_by_source",
                "signups",
                "signoffs",
            ],
            batch_size=1000,
        )
    print(f"filled {366 - rebuilt} older days in {time.perf_counter() - started:.1f} s", flush=True)


def _national_user() -> str:
    from burgernet.accounts.models import StaffUser

    user = (
        StaffUser.objects.filter(organisation__kind="national", is_demo=True)
        .order_by("username")
        .first()
    )
    return user.username if user else "beleid.amsterdam"


def _render(username: str, path: str, runs: int) -> list[float]:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from burgernet.accounts.models import StaffUser

    user = StaffUser.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return times


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
