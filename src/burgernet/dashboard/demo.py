"""Demo builder: compute the dashboard's daily figures over the demo history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from burgernet.dashboard import services

# Actions are charted over 12 months, sign-ups over 26 weeks: participant snapshots (the costly
# part) are only computed for the days the sign-up chart shows.
ACTION_DAYS = 366
PARTICIPANT_DAYS = 26 * 7 + 7


def build(*, options: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Rebuild the daily figures of the past year (registered last in DEMO_BUILDERS)."""
    today = services.local_today()
    rows = 0
    for n in range(ACTION_DAYS - 1, -1, -1):
        report = services.aggregates_rebuild(
            day=today - dt.timedelta(days=n), with_participants=n < PARTICIPANT_DAYS
        )
        rows += report.rows
    out(f"Dashboard figures: {ACTION_DAYS} days, {rows:,} rows")
