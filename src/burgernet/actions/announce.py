"""What the public channels and partner systems get on each step of an action.

Two outputs beside the messages to participants, both written into the dispatch outbox in the
transaction of the dossier event that causes them:

- **Broadcast** (channel `broadcast`, one delivery per Apprise target from BROADCAST_TARGETS)
  when the dispatcher chose the channel: the public title, the public text (the offence left
  out when the dispatcher chose so), the link to the public page and the free number.
- **Partner webhooks** (channel `webhook`, one delivery per partner from PARTNER_WEBHOOKS) on
  every step a partner subscribed to: a JSON event or a CAP 1.2 alert, built here once so
  every retry sends the same bytes.

Only public content leaves this module: no participant, recipient count or dispatcher.
Exercise actions reach only targets and partners marked `exercise`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from django.conf import settings
from django.urls import reverse

from burgernet.actions import texts
from burgernet.actions.models import Action, ActionEvent

BROADCAST = "broadcast"
#: Dossier event kinds that are announced (the names partners subscribe to).
ANNOUNCED = ("started", "expanded", "follow_up", "closed", "published")
NEUTRAL_TITLE = "Burgernetactie"
EXPANDED_PREFIX = "Het zoekgebied is vergroot."


def public_url(action: Action) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("public:action", args=[action.pk])


@functools.lru_cache(maxsize=256)
def _municipality_at(lat: float, lon: float) -> str:
    """Name of the municipality at a point; cached, as one step asks up to four times (JSON,
    broadcast, CAP in two languages) inside the start transaction."""
    from burgernet.geo.selectors import region_for_point

    region = region_for_point(lat=lat, lon=lon)
    return region.name if region else ""


def public_title(action: Action) -> str:
    """The title the public sees; neutral when the offence is left out (titles often name it)."""
    if action.omit_offence:
        # The municipality of the incident (the page behind the link shows the whole area).
        name = _municipality_at(action.incident_lat, action.incident_lon)
        title = f"{NEUTRAL_TITLE} in {name}" if name else NEUTRAL_TITLE
    else:
        title = action.title
    return f"{texts.EXERCISE_PREFIX}{title}" if action.exercise else title


def public_text(action: Action, event: ActionEvent) -> str:
    """The public text of one step: what participants read, without the offence if omitted."""
    alert = texts.compose(
        action_type=action.type,
        description=action.description,
        omit_offence=action.omit_offence,
        exercise=action.exercise,
    )
    if event.kind == "started":
        return alert
    if event.kind == "expanded":
        return f"{EXPANDED_PREFIX} {alert}"
    if event.kind in ("follow_up", "closed"):
        return str(event.payload.get("text", ""))
    if event.kind == "published":
        return action.public_summary
    raise ValueError(f"{event.kind!r} is not announced")


def _lane(action: Action, kind: str) -> str:
    urgent = texts.TYPE_DEFAULTS[action.type].urgent and kind != "published"
    return "urgent" if urgent else "default"


def announce(*, action: Action, event: ActionEvent) -> None:
    """Write the broadcast and partner webhook deliveries of `event` (a lifecycle step).

    Runs in the caller's transaction, right after the dossier event; an action that never
    started was never public, so it announces nothing.
    """
    if event.kind not in ANNOUNCED or action.started_at is None:
        return
    if BROADCAST in action.channels:
        _broadcast(action, event)
    _partners(action, event)


def broadcast_targets_for(*, exercise: bool, event: str = "started") -> list[str]:
    """Names of the broadcast targets that get `event` of a (possibly exercise) action."""
    from burgernet.dispatch.targets import broadcast_targets

    return [t.name for t in broadcast_targets() if t.wants(event=event, exercise=exercise)]


def _broadcast(action: Action, event: ActionEvent) -> None:
    from burgernet.dispatch import services as dispatch

    names = broadcast_targets_for(exercise=action.exercise, event=event.kind)
    if not names:
        return
    body = f"{public_text(action, event)}\n{public_url(action)}"
    message = dispatch.message_create(
        kind=f"action_broadcast_{event.kind}",
        lane=_lane(action, event.kind),
        payload={
            "event": event.kind,
            "title": public_title(action),
            "body": body,
            "exercise": action.exercise,
        },
        source_type="action",
        source_id=str(action.pk),
        exercise=action.exercise,
    )
    dispatch.deliveries_enqueue(message=message, recipients=[(BROADCAST, n, None) for n in names])


def _iso(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).isoformat() if at else None


def json_event(action: Action, event: ActionEvent) -> dict[str, Any]:
    """The JSON partner event: public facts of the action at this step, no personal data."""
    return {
        "event": event.kind,
        "seq": event.seq,
        "sent_at": _iso(event.at),
        "exercise": action.exercise,
        "action": {
            "id": action.pk,
            # Left out with the offence: the type names it.
            "type": None if action.omit_offence else action.type,
            "offence_omitted": action.omit_offence,
            "status": action.status,
            "title": public_title(action),
            "text": public_text(action, event),
            "url": public_url(action),
            "area": action.area,
            "incident": {
                "type": "Point",
                "coordinates": [round(action.incident_lon, 6), round(action.incident_lat, 6)],
            },
            "outcome": action.outcome or None,
            "started_at": _iso(action.started_at),
            "closed_at": _iso(action.closed_at),
            "published_at": _iso(action.published_at),
        },
        "callback_number": settings.CALLBACK_NUMBER,
    }


def cap_alert(action: Action, event: ActionEvent) -> str | None:
    """The CAP 1.2 document of this step (Alert, Update or Cancel), as the public CAP feed
    serves it; None for a step CAP has no message for (publishing)."""
    from burgernet.actions.public_selectors import MESSAGE_EVENT_KINDS
    from burgernet.public.cap import cap_document, cap_messages

    events = list(
        ActionEvent.objects.filter(action=action, kind__in=MESSAGE_EVENT_KINDS).order_by("seq")
    )
    messages = cap_messages(action=action, events=events)
    for index, message in enumerate(messages):
        if message.seq == event.seq:
            status = "Exercise" if action.exercise else "Actual"
            document = cap_document(message=message, earlier=messages[:index], status=status)
            return document.decode("utf-8")
    return None


def _partners(action: Action, event: ActionEvent) -> None:
    from burgernet.dispatch import services as dispatch
    from burgernet.dispatch.targets import partner_webhooks

    partners = [
        p for p in partner_webhooks() if p.wants(event=event.kind, exercise=action.exercise)
    ]
    bodies: dict[str, str] = {}
    if any(p.format == "json" for p in partners):
        bodies["json"] = json.dumps(json_event(action, event), ensure_ascii=False)
    if any(p.format == "cap" for p in partners):
        cap = cap_alert(action, event)
        if cap is not None:
            bodies["cap"] = cap
    names = [p.name for p in partners if p.format in bodies]
    if not names:
        return
    message = dispatch.message_create(
        kind=f"action_webhook_{event.kind}",
        lane=_lane(action, event.kind),
        payload={"event": event.kind, "exercise": action.exercise, "bodies": bodies},
        source_type="action",
        source_id=str(action.pk),
        exercise=action.exercise,
    )
    dispatch.deliveries_enqueue(message=message, recipients=[("webhook", n, None) for n in names])
