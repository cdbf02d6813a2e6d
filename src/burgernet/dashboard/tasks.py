"""Background tasks of the dashboard (thin: they call one service)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from burgernet.dashboard import services


@task(queue_name="default")
def aggregates_rebuild_recent(days: int = 7) -> int:
    """Rebuild the daily figures of the last `days` days (idempotent); returns rows written."""
    return sum(r.rows for r in services.aggregates_rebuild_recent(days=days))


@task(queue_name="default")
def aggregates_rebuild_day(days_ago: int = 0) -> int:
    """Rebuild the daily figures of one local day (0: today, 1: yesterday); returns rows."""
    return services.aggregates_rebuild(
        day=services.local_today() - dt.timedelta(days=days_ago)
    ).rows


@task(queue_name="default")
def mail_figures_refresh() -> int:
    """Bring late replies and bounces into the Burgernetmail figures of recent days."""
    return services.mail_figures_refresh()
