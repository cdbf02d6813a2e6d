"""Demo builder: compute the dashboard's daily figures over the demo history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from burgernet.dashboard import services


def build(*, options: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Rebuild the daily figures of the past year (registered last in DEMO_BUILDERS)."""
    days = int(options.get("aggregate_days", 0) or 0) or 366
    reports = services.aggregates_rebuild_recent(days=days)
    out(f"Dashboard figures: {len(reports)} days, {sum(r.rows for r in reports):,} rows")
