"""Read-only selectors for the public site, feeds and app (owned by the public app's authors).

Only what the public may see: never drafts, never exercise actions. Querysets are cheap
(`select_related`, `only`) because public pages must serve hundreds of requests a second.
"""

from __future__ import annotations

from django.db.models import QuerySet

from burgernet.actions.models import Action, ActionEvent, ActionStatus

PUBLIC_STATUSES = (ActionStatus.ACTIVE, ActionStatus.CLOSED, ActionStatus.PUBLISHED)
ENDED_STATUSES = (ActionStatus.CLOSED, ActionStatus.PUBLISHED)
#: Dossier events that are a public message (CAP, push): start, widening, follow-up, close;
#: plus `expanding`, which carries the old and new area.
MESSAGE_EVENT_KINDS = ("started", "expanding", "expanded", "follow_up", "closed")


def public_action_list() -> QuerySet[Action]:
    """Every action the public may see: started (active, closed or published), no exercises."""
    return Action.objects.filter(status__in=PUBLIC_STATUSES, exercise=False).defer(
        "sms_text", "voice_text", "channels", "idempotency_key", "dossier_head"
    )


def public_action_get(*, pk: int) -> Action | None:
    """One public action, or None when it does not exist or the public may not see it."""
    return public_action_list().filter(pk=pk).first()


def public_active_actions() -> QuerySet[Action]:
    """Actions running now, newest first."""
    return public_action_list().filter(status=ActionStatus.ACTIVE).order_by("-started_at")


def public_ended_actions(*, region_id: int | None = None) -> QuerySet[Action]:
    """Closed and published actions (the archive), optionally of one municipality."""
    qs = public_action_list().filter(status__in=ENDED_STATUSES)
    if region_id is not None:
        qs = qs.filter(regions=region_id)
    return qs.order_by("-closed_at")


def public_action_messages(*, action_ids: list[int] | None = None) -> QuerySet[ActionEvent]:
    """Dossier events that were public messages, oldest first, of public actions only."""
    qs = ActionEvent.objects.filter(
        kind__in=MESSAGE_EVENT_KINDS,
        action__status__in=PUBLIC_STATUSES,
        action__exercise=False,
    )
    if action_ids is not None:
        qs = qs.filter(action_id__in=action_ids)
    return (
        qs.select_related("action").prefetch_related("action__regions").order_by("action_id", "seq")
    )
