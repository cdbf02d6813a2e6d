"""Background tasks of the actions app: thin wrappers that call one service."""

from __future__ import annotations

from django_tasks import task

from burgernet.actions.retention import dossiers_purge_expired


@task(queue_name="default")
def purge_expired_dossiers() -> int:
    """Delete the personal parts of dossiers past `DOSSIER_RETENTION_DAYS` (idempotent: run it
    daily); returns how many actions were purged."""
    return len(dossiers_purge_expired().actions)
