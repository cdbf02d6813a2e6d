"""Time the reach selector on a loaded database: the dispatcher's live preview and the full list.

Load participants first (bench/load_participants.py), then:

    .venv/bin/python bench/reach.py --db postgres://postgres@127.0.0.1:5432/burgernet_pdata_bench

Each round builds a new 5 km circle near the Dam in Amsterdam (centre jittered by up to 1 km,
as while the dispatcher drags it), so the H3 cover is computed every time, as in the preview.
Prints p50/p95/max for `reach_counts` (target p95 <= 100 ms) and `reachable_participants`
(sms), and checks once that the count equals an independent haversine recount.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAM = (52.3731, 4.8926)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="DATABASE_URL of a loaded database")
    parser.add_argument("--radius", type=float, default=5000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--list-rounds", type=int, default=10)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="PostgreSQL session setting, e.g. --set random_page_cost=1.1 --set jit=off",
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DEMO_MODE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "burgernet.settings")
    sys.path.insert(0, str(ROOT / "src"))

    import django

    django.setup()
    from django.db import connection

    from burgernet.geo.area import Circle
    from burgernet.geo.distance import haversine_m
    from burgernet.participants.models import Location, Participant
    from burgernet.participants.reach import (
        _eligible_locations,
        reach_counts,
        reachable_participants,
    )

    for setting in args.set:
        name, _, value = setting.partition("=")
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
    rng = random.Random(1)
    at = dt.datetime.now(dt.UTC)
    total = Participant.objects.count()
    print(f"{total:,} participants, {Location.objects.count():,} locations")

    def circle() -> Circle:
        jitter = 1000 / 111_000
        return Circle(
            DAM[0] + rng.uniform(-jitter, jitter),
            DAM[1] + rng.uniform(-jitter, jitter),
            args.radius,
        )

    # Correctness once: independent recount over the bounding box.
    area = Circle(*DAM, args.radius)
    min_lat, min_lon, max_lat, max_lon = area.bbox()
    rows = (
        _eligible_locations(at=at, category=None)
        .filter(lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon)
        .values_list("participant_id", "lat", "lon")
    )
    inside = {pid for pid, lat, lon in rows if haversine_m(*DAM, lat, lon) <= args.radius}
    listed = {r.participant_id for r in reachable_participants(area=area, channel="email", at=at)}
    counts = reach_counts(area=area, at=at)
    print(f"{len(inside):,} reachable participants in the circle; counts {counts}")
    assert listed <= inside, "listed someone outside the circle"

    for _ in range(3):
        reach_counts(area=circle(), at=at)
    timings = []
    for _ in range(args.rounds):
        c = circle()
        started = time.perf_counter()
        reach_counts(area=c, at=at)
        timings.append((time.perf_counter() - started) * 1000)
    _report("reach_counts (preview)", timings)

    timings = []
    for _ in range(args.list_rounds):
        c = circle()
        started = time.perf_counter()
        result = reachable_participants(area=c, channel="sms", at=at)
        timings.append((time.perf_counter() - started) * 1000)
    _report(f"reachable_participants sms ({len(result):,} rows)", timings)


def _report(what: str, timings: list[float]) -> None:
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(
        f"{what}: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
        f"max {timings[-1]:.1f} ms over {len(timings)} rounds"
    )


if __name__ == "__main__":
    main()
