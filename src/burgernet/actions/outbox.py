"""Where actions meet the registry (who is reached) and the dispatch engine (what is sent).

Kept in one module so the lifecycle services read as the domain story.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from burgernet.geo.area import Area

if TYPE_CHECKING:
    from burgernet.public.push import AppPush

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Recipient:
    participant_id: int
    channel: str
    address: str
    distance_m: float | None


def reach(*, area: Area, channels: list[str], at: dt.datetime, category: str) -> list[Recipient]:
    """Everyone who would get the message in `area` now, per channel, deduplicated."""
    from burgernet.participants.reach import reachable_participants

    found: list[Recipient] = []
    for channel in channels:
        for row in reachable_participants(area=area, channel=channel, at=at, category=category):
            found.append(
                Recipient(
                    participant_id=row.participant_id,
                    channel=channel,
                    address=row.address,
                    distance_m=row.distance_m,
                )
            )
    return found


def send(
    *,
    source_id: int,
    kind: str,
    text: str,
    recipients: list[tuple[str, str, int]],
    exercise: bool,
    urgent: bool,
) -> int:
    """Write one dispatch message and its deliveries (the outbox) in the caller's transaction.

    `recipients` are (channel, address, participant_id). App users whose districts touch the
    area get a push delivery each on the same message (its payload carries the app's JSON).
    Returns the message id. Workers are woken on commit by the dispatch engine.
    """
    from burgernet.dispatch import services as dispatch
    from burgernet.dispatch.models import Channel

    push = _app_push(action_id=source_id, kind=kind, text=text)
    message = dispatch.message_create(
        kind=f"action_{kind}",
        lane="urgent" if urgent else "default",
        sms_text=text,
        voice_text=text,
        source_type="action",
        source_id=str(source_id),
        exercise=exercise,
        payload={Channel.PUSH.value: push.payload} if push.addresses else {},
    )
    dispatch.deliveries_enqueue(
        message=message,
        recipients=[
            *recipients,
            *((Channel.PUSH.value, address, None) for address in push.addresses),
        ],
    )
    return message.pk


def _app_push(*, action_id: int, kind: str, text: str) -> AppPush:
    from django.core.exceptions import ImproperlyConfigured

    from burgernet.actions.models import Action
    from burgernet.dispatch.accounts import provider_accounts
    from burgernet.public.push import AppPush, app_push_for_step

    try:
        push_on = bool(provider_accounts("push"))
    except ImproperlyConfigured as exc:
        # Broken provider configuration must not stop an action: write the outbox, the
        # deliveries go out once the configuration is fixed.
        log.error("provider_accounts_invalid", action_id=action_id, error=str(exc))
        push_on = True
    if not push_on:
        # No VAPID key and no push account: app push is off (rather than deliveries that can
        # only fail).
        log.warning("app_push_off_no_push_account", action_id=action_id)
        return AppPush(payload={}, addresses=[])
    action = Action.objects.get(pk=action_id)
    return app_push_for_step(action=action, kind=kind, text=text)


def reach_counts(*, area: Area, at: dt.datetime, category: str) -> dict[str, int]:
    """How many would be reached now, per channel (the console's live preview)."""
    from burgernet.participants.reach import reach_counts as registry_counts

    return dict(registry_counts(area=area, at=at, category=category))


def progress(*, action_id: int) -> dict[str, dict[str, int]]:
    """Delivery states per channel over all of the action's messages."""
    from burgernet.dispatch import selectors as dispatch_selectors
    from burgernet.dispatch.models import Message

    total: dict[str, dict[str, int]] = {}
    message_ids = Message.objects.filter(
        source_type="action", source_id=str(action_id)
    ).values_list("pk", flat=True)
    for message_id in message_ids:
        for channel, states in dispatch_selectors.message_progress(message_id=message_id).items():
            into = total.setdefault(channel, {})
            for state, n in states.items():
                into[state] = into.get(state, 0) + n
    return total


def progress_rows(*, action_id: int) -> dict[str, dict[str, int]]:
    """The console's progress: per channel label (in the user's language), with "failed"
    counting everyone the channel could not reach (failed or undeliverable, e.g. an app
    subscription that is gone)."""
    from burgernet.dispatch.models import Channel

    rows: dict[str, dict[str, int]] = {}
    for channel, states in progress(action_id=action_id).items():
        label = str(Channel(channel).label) if channel in Channel.values else channel
        rows[label] = {**states, "failed": states.get("failed", 0) + states.get("undeliverable", 0)}
    return rows
