"""Fan-out benchmark: N SMS deliveries from enqueue to "all accepted by the mock provider".

Three figures on the same PostgreSQL database and the same mock provider (its own process):

  burgernet   message_create + deliveries_enqueue (COPY) in one transaction, committed; the
              on-commit wake-up puts drain tasks on the `urgent` queue; two `burgernet worker`
              processes (django-tasks database backend) claim with SKIP LOCKED, post, record.
  lean        a hand-written script doing the same durable work without Django: COPY rows into
              a bare table, two processes that claim batches with SKIP LOCKED, sign and post them,
              and mark them sent with one set-based UPDATE per batch.
  bare post   pre-built signed batches posted by two processes, nothing else: the ceiling.

Run 1: one account, no limit. Run 2: four accounts limited at --limit messages/s each (the
mock enforces the same limit with 429s); the figure to watch is the share of the allowed rate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/burgernet_bench_dispatch \\
        .venv/bin/python bench/fanout.py [--n 50000] [--batch 500] [--limit 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
SECRET = "bench-secret"  # noqa: S105 - the mock provider's test secret
TEXT = "Burgernet: vermist meisje (8), blauwe jas, roze rugzak. Gezien? Bel 0800-0011."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(pg_dsn(admin), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def wait_http(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def mock_accepted(mock: str) -> int:
    return int(httpx.get(f"{mock}/_mock/stats", timeout=10).json()["accepted"])


FIRST_ACCEPTED: list[float] = []


def wait_all_accepted(mock: str, n: int, timeout: float = 600) -> float:
    """Poll the mock until all n are accepted; notes when the first one was (±10 ms)."""
    FIRST_ACCEPTED.clear()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        accepted = mock_accepted(mock)
        if accepted and not FIRST_ACCEPTED:
            FIRST_ACCEPTED.append(time.perf_counter())
        if accepted >= n:
            return time.perf_counter()
        time.sleep(0.01)
    raise RuntimeError(f"only {mock_accepted(mock)} of {n} accepted")


TIMELINE = False  # --timeline: per account, when the mock accepted its first and last batch
BURST_SECONDS = 0.0  # --burst: bucket size in seconds of the limit (0: the account default)


def accounts(mock: str, count: int, batch: int, limit: float) -> list[dict[str, Any]]:
    return [
        {
            "name": f"bench-{i}",
            "channel": "sms",
            "adapter": "generic_http_sms",
            "weight": 1,
            "rate_per_second": limit,
            "burst": BURST_SECONDS * limit,
            "batch_size": batch,
            "price": "0.065",
            "options": {"url": f"{mock}/sms/batch", "secret": SECRET, "timeout": 30},
        }
        for i in range(count)
    ]


def configure_mock(mock: str, names: list[str], limit: float) -> None:
    httpx.post(f"{mock}/_mock/reset").raise_for_status()
    httpx.post(
        f"{mock}/_mock/config",
        json={
            "receipts": False,
            "secrets": dict.fromkeys(names, SECRET),
            "rate_limits": dict.fromkeys(names, limit) if limit else {},
        },
    ).raise_for_status()


# --- burgernet --------------------------------------------------------------------------------


def run_burgernet(
    db_url: str, mock: str, n: int, batch: int, n_accounts: int, limit: float
) -> float:
    acc = accounts(mock, n_accounts, batch, limit)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "TASKS_BACKEND": "db",
        "PROVIDER_ACCOUNTS": json.dumps(acc),
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "bench-secret-key",
        "DISPATCH_DRAIN_TASKS": "2",
    }
    with psycopg.connect(pg_dsn(db_url), autocommit=True) as conn:
        conn.execute(
            "TRUNCATE dispatch_delivery, dispatch_message, dispatch_ratebucket, "
            "django_tasks_database_dbtaskresult CASCADE"
        )
    configure_mock(mock, [a["name"] for a in acc], limit)
    workers = [
        subprocess.Popen(
            [PY, "-m", "burgernet.cli", "worker", "--queues", "urgent"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        # Workers are long-running in production: measure from when both are ready. They
        # subscribe to their wake-up channel (PostgreSQL LISTEN) before the first claim; on a
        # loaded machine importing Django alone took longer than the 4 s this used to sleep,
        # which put worker start-up into the "first SMS after commit" figure.
        deadline = time.monotonic() + 60
        with psycopg.connect(pg_dsn(db_url), autocommit=True) as conn:
            while time.monotonic() < deadline:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE 'LISTEN %%'"
                ).fetchone()
                if row and row[0] >= len(workers):
                    break
                time.sleep(0.05)
            else:
                print("    (workers did not report LISTEN within 60 s; measuring anyway)")
        enqueue = (
            "import time, django\n"
            "django.setup()\n"
            "from django.db import transaction\n"
            "from burgernet.dispatch import services\n"
            f"n = {n}\n"
            "t0 = time.perf_counter()\n"
            "with transaction.atomic():\n"
            "    m = services.message_create(kind='action_start', lane='urgent', "
            f"sms_text={TEXT!r})\n"
            "    services.deliveries_enqueue(message=m, recipients=("
            "('sms', f'+3161{i:07d}', i) for i in range(n)))\n"
            "t1 = time.perf_counter()\n"
            "print(t0, t1, time.time())\n"
        )
        env_enqueue = {**env, "DJANGO_SETTINGS_MODULE": "burgernet.settings"}
        # The enqueue process imports Django first; t0 is taken inside it, after start-up.
        out = subprocess.run(
            [PY, "-c", enqueue], env=env_enqueue, capture_output=True, text=True, check=True
        )
        t0, t_commit, wall_commit = (float(x) for x in out.stdout.split()[-3:])
        t_done = wait_all_accepted(mock, n)
        # The mock's own clock: when it accepted the first batch (polling from here would
        # start only after the enqueue process has exited, which under load took a second).
        stats = httpx.get(f"{mock}/_mock/stats").json()
        first_at = min(a["first_at"] for a in stats["accounts"].values() if a.get("first_at"))
        print(
            f"    enqueue+commit of {n}: {t_commit - t0:.2f} s; first batch accepted at the "
            f"mock {(first_at - wall_commit) * 1000:.0f} ms after commit"
        )
        if TIMELINE:
            for name, a in sorted(stats["accounts"].items()):
                print(
                    f"      {name}: {a.get('accepted', 0)} accepted, first "
                    f"{(a['first_at'] - wall_commit) * 1000:.0f} ms, last "
                    f"{(a['last_at'] - wall_commit) * 1000:.0f} ms after commit"
                )
            last_at = max(a["last_at"] for a in stats["accounts"].values() if a.get("last_at"))
            print(
                f"      t0->commit {t_commit - t0:.3f} s, commit->last batch "
                f"{last_at - wall_commit:.3f} s, clock total {t_done - t0:.3f} s"
            )
        return t_done - t0
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=10)


# --- lean ------------------------------------------------------------------------------------


LEAN_TABLE = """
CREATE TABLE IF NOT EXISTS bench_lean_delivery (
    id bigserial PRIMARY KEY,
    address text NOT NULL,
    ref text NOT NULL UNIQUE,
    state text NOT NULL DEFAULT 'queued',
    claimed_until timestamptz,
    provider_id text NOT NULL DEFAULT '',
    sent_at timestamptz
);
CREATE INDEX IF NOT EXISTS bench_lean_queued ON bench_lean_delivery (id) WHERE state = 'queued';
"""


def lean_worker(db_url: str, urls: list[str], names: list[str], batch: int, limit: float) -> None:
    client = httpx.Client(timeout=30)
    conn = psycopg.connect(pg_dsn(db_url), autocommit=True)
    idle_since = None
    k = 0
    interval = batch / limit if limit else 0.0
    next_at = [time.monotonic()] * len(urls)
    while True:
        with conn.transaction():
            rows = conn.execute(
                "UPDATE bench_lean_delivery SET state = 'claimed', "
                "claimed_until = now() + interval '60 seconds' WHERE id IN ("
                "SELECT id FROM bench_lean_delivery WHERE state = 'queued' ORDER BY id "
                "LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id, address, ref",
                [batch],
            ).fetchall()
        if not rows:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 1.0:
                return
            time.sleep(0.01)
            continue
        idle_since = None
        i = k % len(urls)
        k += 1
        if interval:  # a naive per-process pacer (the lean script's "rate limiter")
            delay = next_at[i] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at[i] = max(next_at[i], time.monotonic()) + interval * 2  # two processes
        body = json.dumps(
            {
                "account": names[i],
                "messages": [{"reference": r, "to": a, "text": TEXT} for _, a, r in rows],
            }
        ).encode()
        sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        while True:
            resp = client.post(
                urls[i],
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Burgernet-Signature": sig,
                    "X-Account": names[i],
                },
            )
            if resp.status_code == 200:
                break
            time.sleep(float(resp.headers.get("Retry-After", "0.1")))
        results = resp.json()["results"]
        values = [(int(rid), res["id"]) for (rid, _, _), res in zip(rows, results, strict=True)]
        with conn.cursor() as cur:
            placeholders = ", ".join(["(%s::bigint, %s)"] * len(values))
            cur.execute(
                f"UPDATE bench_lean_delivery d SET state = 'sent', provider_id = v.pid, "  # noqa: S608
                f"sent_at = now(), claimed_until = NULL FROM (VALUES {placeholders}) "
                "AS v(id, pid) WHERE d.id = v.id",
                [x for pair in values for x in pair],
            )


def run_lean(db_url: str, mock: str, n: int, batch: int, n_accounts: int, limit: float) -> float:
    names = [f"bench-{i}" for i in range(n_accounts)]
    configure_mock(mock, names, limit)
    with psycopg.connect(pg_dsn(db_url), autocommit=True) as conn:
        conn.execute(LEAN_TABLE)
        conn.execute("TRUNCATE bench_lean_delivery")
    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    with psycopg.connect(pg_dsn(db_url)) as conn:
        with (
            conn.cursor() as cur,
            cur.copy("COPY bench_lean_delivery (address, ref) FROM STDIN") as cp,
        ):
            for i in range(n):
                cp.write_row((f"+3161{i:07d}", f"lean-{i}"))
        conn.commit()
    procs = [
        ctx.Process(
            target=lean_worker,
            args=(db_url, [f"{mock}/sms/batch"] * n_accounts, names, batch, limit),
        )
        for _ in range(2)
    ]
    # Start-up of the lean processes counts against the lean script, as it would in real life;
    # it is small (no Django) and the burgernet workers had theirs before t0.
    for p in procs:
        p.start()
    t_done = wait_all_accepted(mock, n)
    for p in procs:
        p.join(timeout=30)
    return t_done - t0


# --- bare post -------------------------------------------------------------------------------


def bare_worker(url: str, name: str, start: int, stop: int, batch: int) -> None:
    client = httpx.Client(timeout=30)
    for s in range(start, stop, batch):
        body = json.dumps(
            {
                "account": name,
                "messages": [
                    {"reference": f"bare-{i}", "to": f"+3161{i:07d}", "text": TEXT}
                    for i in range(s, min(stop, s + batch))
                ],
            }
        ).encode()
        sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        client.post(url, content=body, headers={"X-Burgernet-Signature": sig, "X-Account": name})


def run_bare(mock: str, n: int, batch: int) -> float:
    configure_mock(mock, ["bench-0"], 0)
    ctx = mp.get_context("spawn")
    half = n // 2
    procs = [
        ctx.Process(target=bare_worker, args=(f"{mock}/sms/batch", "bench-0", a, b, batch))
        for a, b in ((0, half), (half, n))
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return time.perf_counter() - t0


def run_limited(db_url: str, mock: str, n: int, batch: int, run: int, limit: float) -> None:
    allowed = 4 * limit
    print(f"run {run}: four accounts limited at {limit:.0f}/s each ({allowed:.0f}/s allowed)")
    lean = run_lean(db_url, mock, n, batch, 4, limit)
    print(f"  lean script    : {lean:6.2f} s  {n / lean:8.0f} msg/s = {n / lean / allowed:.0%}")
    ours = run_burgernet(db_url, mock, n, batch, 4, limit)
    stats = httpx.get(f"{mock}/_mock/stats").json()
    limited = sum(a.get("rate_limited", 0) for a in stats["accounts"].values())
    rates = [a["rate"] for a in stats["accounts"].values() if a.get("rate")]
    print(
        f"  burgernet      : {ours:6.2f} s  {n / ours:8.0f} msg/s = {n / ours / allowed:.0%} "
        f"of the allowed rate; per account at the mock: "
        f"{', '.join(f'{r:.0f}' for r in rates)} msg/s; {limited} requests got 429"
    )
    print(f"  ratio burgernet/lean rate: {lean / ours:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--limit", type=float, default=1000.0)
    parser.add_argument(
        "--low-limit",
        type=float,
        default=250.0,
        help="run 3: four accounts at this limit, below what the machine can post",
    )
    parser.add_argument("--skip-limited", action="store_true")
    parser.add_argument(
        "--runs", default="1,2,3", help="which runs (1: unlimited, 2: --limit, 3: --low-limit)"
    )
    parser.add_argument(
        "--burst",
        type=float,
        default=0.0,
        help="our token buckets hold this many seconds of the limit (0: the account default, "
        "a tenth of a second or one batch); the mock allows one second's worth at once",
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="burgernet: per account, first and last batch at the mock (its clock) after commit",
    )
    args = parser.parse_args()
    db_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/burgernet_bench_dispatch"
    )
    if not db_url.startswith("postgres"):
        sys.exit("bench/fanout.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    ensure_database(db_url)
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench-secret-key"}
    subprocess.run([PY, "-m", "burgernet.cli", "migrate", "-v0"], env=env, check=True)
    port = free_port()
    mock = f"http://127.0.0.1:{port}"
    mock_proc = subprocess.Popen(
        [PY, "-m", "burgernet.cli", "mockprovider", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_http(f"{mock}/_mock/health")
        n, batch = args.n, args.batch
        print(f"fan-out of {n} SMS, batches of {batch}, PostgreSQL, mock provider on loopback")
        runs = {int(r) for r in args.runs.split(",") if r}
        global BURST_SECONDS, TIMELINE
        BURST_SECONDS = args.burst
        TIMELINE = args.timeline
        if BURST_SECONDS:
            print(f"rate-limited accounts with burst = {BURST_SECONDS:g} s of their limit")
        if 1 in runs:
            print("run 1: one account, no rate limit")
            bare = run_bare(mock, n, batch)
            print(f"  bare post only : {bare:6.2f} s  {n / bare:8.0f} msg/s")
            lean = run_lean(db_url, mock, n, batch, 1, 0)
            print(f"  lean script    : {lean:6.2f} s  {n / lean:8.0f} msg/s")
            ours = run_burgernet(db_url, mock, n, batch, 1, 0)
            print(f"  burgernet      : {ours:6.2f} s  {n / ours:8.0f} msg/s")
            print(f"  ratio burgernet/lean rate: {lean / ours:.2f}  (target ≥ 0.5)")
        if not args.skip_limited:
            for run, limit in ((2, args.limit), (3, args.low_limit)):
                if run in runs:
                    run_limited(db_url, mock, n, batch, run, limit)
    finally:
        mock_proc.terminate()
        mock_proc.wait(timeout=10)


if __name__ == "__main__":
    main()
