"""Background tasks of the dashboard (thin: they call one service)."""

from __future__ import annotations

from django_tasks import task

from burgernet.dashboard import services


@task(queue_name="default")
def aggregates_rebuild_recent(days: int = 7) -> int:
    """Rebuild the daily figures of the last `days` days (idempotent); returns rows written."""
    return sum(r.rows for r in services.aggregates_rebuild_recent(days=days))
