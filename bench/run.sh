#!/usr/bin/env bash
# `make bench`: every benchmark of issue #9 with one command; writes docs/benchmarks.md.
#
#   BENCH_PARTICIPANTS=2000000   participants to bulk-load (default 2,000,000)
#   BENCH_FANOUT=50000           SMS in the fan-out benchmark
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432   server (trust auth); databases created:
#                                burgernet_bench_main, burgernet_bench_dispatch (dropped at the
#                                end unless BENCH_KEEP=1)
# Not part of `make test`. Run it on an otherwise idle machine: it starts gunicorn, a worker and
# a mock provider on loopback and stops them again.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${BENCH_PARTICIPANTS:-2000000}"
FANOUT="${BENCH_FANOUT:-50000}"
PG="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
MAIN_DB="$PG/burgernet_bench_main"
DISPATCH_DB="$PG/burgernet_bench_dispatch"
OUT=var/bench
PY=.venv/bin/python
mkdir -p "$OUT"

# PostGIS for the comparison (Debian); only when we may install and it is missing.
if [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y postgresql-15-postgis-3
    else
        echo "PostGIS missing (apt-get install postgresql-15-postgis-3); the selection comparison will fail" >&2
    fi
fi

started=$(date -u +%s)
echo "== load: $N participants (demo generator, COPY)"
$PY bench/load_participants.py --participants "$N" --db "$MAIN_DB" 2>&1 | tee "$OUT/load.txt"

echo "== suite: selection vs PostGIS, reach preview, first message, public page"
DATABASE_URL="$MAIN_DB" $PY bench/suite.py --out "$OUT/suite.json" 2>&1 | tee "$OUT/suite.txt"

echo "== fan-out: $FANOUT SMS"
DATABASE_URL="$DISPATCH_DB" $PY bench/fanout.py --n "$FANOUT" 2>&1 | grep -v "HTTP Request" | tee "$OUT/fanout.txt"

$PY bench/report.py --participants "$N" --fanout "$FANOUT" --dir "$OUT" \
    --seconds "$(( $(date -u +%s) - started ))" --out docs/benchmarks.md
echo "wrote docs/benchmarks.md"

if [ "${BENCH_KEEP:-0}" != 1 ]; then
    for db in burgernet_bench_main burgernet_bench_dispatch; do
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" || true
    done
fi
