"""Background tasks of the public app: thin wrappers that take ids and call one service."""

from __future__ import annotations

from django_tasks import task

from burgernet.public.services import app_subscriptions_purge_expired


@task(queue_name="default")
def purge_app_subscriptions() -> int:
    """Delete expired app subscriptions."""
    return app_subscriptions_purge_expired()
