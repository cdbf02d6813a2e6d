"""Background tasks of the public app: thin wrappers that take ids and call one service."""

from __future__ import annotations

from django_tasks import task

from burgernet.actions.models import Action
from burgernet.public import push
from burgernet.public.services import app_subscriptions_purge_expired


@task(queue_name="default")
def purge_app_subscriptions() -> int:
    """Delete expired app subscriptions."""
    return app_subscriptions_purge_expired()


@task(queue_name="urgent")
def push_action_event(action_id: int, kind: str) -> int:
    """Push one lifecycle step of an action to app subscribers; returns how many were sent.
    Enqueue it on commit of the step: `transaction.on_commit(lambda: push_action_event.enqueue(
    action.pk, "start"))`."""
    action = Action.objects.filter(pk=action_id).first()
    if action is None:
        return 0
    return push.push_for_action_event(action=action, kind=kind).sent
