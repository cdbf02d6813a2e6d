"""Background tasks of the registry (thin: they call one service)."""

from __future__ import annotations

from django_tasks import task

from burgernet.participants import services


@task(queue_name="default")
def purge_unconfirmed() -> int:
    """Erase web sign-ups left unconfirmed for more than 7 days (idempotent)."""
    return services.participant_purge_unconfirmed()
