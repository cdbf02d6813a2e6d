"""Write docs/benchmarks.md from the outputs of bench/run.sh (var/bench/*)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any


def machine() -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    try:
        pg = subprocess.run(
            [
                "psql",
                os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
                + "/postgres",
                "-Atc",
                "select version()",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        postgis = subprocess.run(
            [
                "psql",
                os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
                + "/postgres",
                "-Atc",
                "select default_version from pg_available_extensions where name='postgis'",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pg, postgis = "unknown", "unknown"
    return [
        f"- CPU: {cpu}, `nproc` = {os.cpu_count()} (the load during the run: see the notes)",
        f"- RAM: {mem_kb / 1024 / 1024:.1f} GiB",
        f"- PostgreSQL: {pg}; PostGIS {postgis or 'not available'}",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    ]


#: DESIGN.md's selection target is "recipients of a 5 km circle among 2 M participants"; the
#: other areas are measured for context.
TARGET_GROUP = "circle 5 km"


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--participants", type=int, required=True)
    p.add_argument("--fanout", type=int, required=True)
    p.add_argument("--dir", default="var/bench")
    p.add_argument("--seconds", type=int, default=0)
    p.add_argument("--out", default="docs/benchmarks.md")
    p.add_argument("--notes", default="bench/NOTES.md", help="hand-written analysis appended")
    a = p.parse_args()
    d = Path(a.dir)
    load = (d / "load.txt").read_text() if (d / "load.txt").exists() else ""
    suite: dict[str, Any] = (
        json.loads((d / "suite.json").read_text()) if (d / "suite.json").exists() else {}
    )
    fanout = (d / "fanout.txt").read_text() if (d / "fanout.txt").exists() else ""
    rows: list[tuple[str, str, str, str]] = []

    m = re.search(r"in ([\d.]+) s .*extrapolate to ([\d.]+) min", load)
    if m:
        secs, extra = float(m.group(1)), float(m.group(2))
        rows.append(
            (
                f"bulk load {a.participants:,} participants (COPY)",
                f"{secs:.0f} s ({secs / 60:.1f} min); 2 M extrapolated {extra:.1f} min",
                "2 M ≤ 5 min",
                verdict(extra <= 5.0)
                + (" (extrapolated, not measured at 2 M)" if a.participants < 2_000_000 else ""),
            )
        )
    sel = suite.get("selection", {})
    for group, g in sel.get("groups", {}).items():
        o, pg = g["ours"], g["postgis"]
        ratio = o["p95"] / pg["p95"]
        rows.append(
            (
                f"selection {group} (~{g['median_participants']:,.0f} participants)",
                f"p50 {o['p50']:.0f} / p95 {o['p95']:.0f} ms; PostGIS p50 {pg['p50']:.0f} / "
                f"p95 {pg['p95']:.0f} ms; ratio **{ratio:.2f}**; full sms list p95 "
                f"{g['ours_sms_list']['p95']:.0f} ms",
                "p95 ≤ 0.5 × PostGIS" if group == TARGET_GROUP else "context (5 km is the target)",
                # A ratio far below the target means PostGIS chose a bad plan, not that we won.
                "not comparable: PostGIS plan accident (see below)"
                if ratio < 0.1
                else (
                    verdict(ratio <= 0.5)
                    if group == TARGET_GROUP
                    else ("within 0.5 ×" if ratio <= 0.5 else f"above 0.5 × ({ratio:.2f})")
                ),
            )
        )
    if sel:
        same = sel["cases"] - len(sel["mismatches"])
        rows.append(
            (
                "selection result sets vs PostGIS",
                f"identical in {same} of {sel['cases']} areas",
                "identical",
                verdict(same == sel["cases"]),
            )
        )
    r1 = re.search(r"ratio burgernet/lean rate: ([\d.]+)\s+\(target", fanout)
    if r1:
        rows.append(
            (
                f"fan-out {a.fanout:,} SMS, one account",
                f"burgernet/lean rate **{r1.group(1)}**",
                "≥ 0.5 × lean",
                verdict(float(r1.group(1)) >= 0.5),
            )
        )
    for run, allowed, pct_ in re.findall(
        r"run (\d): four accounts limited at [\d.]+/s each \((\d+)/s allowed\)"
        r"(?:.|\n)*?burgernet\s*:\s*[\d.]+ s\s+\d+ msg/s = (\d+)%",
        fanout,
    ):
        rows.append(
            (
                f"fan-out run {run}, 4 rate-limited accounts, {int(allowed):,}/s allowed",
                f"**{pct_} %** of the allowed rate",
                "≥ 95 % of allowed",
                verdict(int(pct_) >= 95),
            )
        )
    if "first" in suite:
        f = suite["first"]
        rows.append(
            (
                f"first message: start → first request at mock ({f['n']} starts)",
                f"p50 **{f['p50']:.0f} ms**, p95 {f['p95']:.0f} ms",
                "p50 ≤ 200 ms",
                verdict(f["p50"] <= 200),
            )
        )
    for f in suite.get("preview_rounds") or ([suite["preview"]] if "preview" in suite else []):
        who = (
            "one dispatcher drawing (previews one after another)"
            if f["clients"] == 1
            else f"{f['clients']} dispatchers drawing at once (`reach_counts` in threads)"
        )
        one = f["clients"] == 1
        rows.append(
            (
                f"reach preview, {who}",
                f"p50 {f['p50']:.0f} ms, p95 **{f['p95']:.0f} ms**",
                "p95 ≤ 100 ms" if one else "context (load test; the target is one dispatcher)",
                verdict(f["p95"] <= 100)
                if one
                else ("within 100 ms" if f["p95"] <= 100 else "above 100 ms"),
            )
        )
    if "public" in suite:
        f = suite["public"]
        rows.append(
            (
                f"public action page, gunicorn {f['workers']} workers, {f['connections']} conns",
                f"**{f['rps']:.0f} req/s**, {f['errors']} errors",
                "≥ 500 req/s",
                verdict(f["rps"] >= 500),
            )
        )

    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run.sh` → `bench/report.py`); re-run it to refresh.",
        f"This run: **{a.participants:,} participants**, fan-out of {a.fanout:,} SMS"
        + (f", {a.seconds // 60} min {a.seconds % 60} s in all." if a.seconds else "."),
        "",
        "## Machine",
        "",
        *machine(),
        "",
        "## Results against the targets (DESIGN.md)",
        "",
        "| What | Measured | Target | |",
        "|---|---|---|---|",
        *[f"| {w} | {m_} | {t} | {v} |" for w, m_, t, v in rows],
        "",
    ]
    if suite.get("failed"):
        lines += [
            "Sections that failed in this run: "
            + ", ".join(f"{k} ({v})" for k, v in suite["failed"].items()),
            "",
        ]
    if sel.get("mismatches"):
        lines += ["Areas where the selected participants differ from PostGIS:", ""]
        lines += [f"- {x}" for x in sel["mismatches"]] + [""]
    notes = Path(a.notes)
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    lines += ["## Raw output", ""]
    for name, text in (
        ("load", load),
        ("suite", (d / "suite.txt").read_text() if (d / "suite.txt").exists() else ""),
        ("fan-out", fanout),
    ):
        lines += [f"### {name}", "", "```", text.rstrip(), "```", ""]
    Path(a.out).write_text("\n".join(lines))


if __name__ == "__main__":
    main()
