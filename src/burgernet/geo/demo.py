"""Reference regions for the demo: the 342 municipalities of 2025 shipped in geo/data/."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from burgernet.geo.services import ImportReport, region_import_geojson

DATA_DIR = Path(__file__).resolve().parent / "data"


def municipality_rows() -> list[dict[str, str]]:
    """Rows of gemeenten_2025.csv: statcode, statnaam, inwoners, safety region, police unit."""
    with (DATA_DIR / "gemeenten_2025.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_municipalities() -> ImportReport:
    rows = municipality_rows()
    collection = json.loads((DATA_DIR / "gemeenten_2025.geojson").read_text(encoding="utf-8"))
    return region_import_geojson(
        collection=collection, inhabitants={r["statcode"]: int(r["inwoners"]) for r in rows}
    )
