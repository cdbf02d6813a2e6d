"""Background tasks of Burgernetmail (thin: they call one service)."""

from __future__ import annotations

from django_tasks import task

from burgernet.mailings import services


@task(queue_name="default")
def purge_expired_replies() -> int:
    """Delete mailing replies (and photos) past MAILINGS_REPLY_RETENTION_DAYS (idempotent)."""
    return services.replies_purge_expired()
