"""Web Push (RFC 8030 / 8291 / 8292, VAPID) to app subscriptions near an action.

`push_for_action_event(action=..., kind=...)` is the entry point the action lifecycle calls on
commit (start, expansion, follow-up, closing). It finds the subscriptions whose coarse cells
touch the action's area, skips non-urgent messages during a subscriber's quiet hours, encrypts
(aes128gcm) and posts to each push service with TTL and Urgency headers. A 404 or 410 from the
push service means the subscription is gone: it is deleted.

The phone does the precise test (is my position inside the area?) itself: the server only
knows districts.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from typing import Any

import h3.api.basic_int as h3
import requests
import structlog
from django.conf import settings
from django.urls import reverse
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from burgernet.actions.models import Action
from burgernet.actions.texts import TYPE_DEFAULTS
from burgernet.core import clock
from burgernet.geo.area import parse_area
from burgernet.public.models import AppSubscription, AppSubscriptionCell
from burgernet.public.services import SUBSCRIPTION_RES

log = structlog.get_logger(__name__)
LOCAL_TZ = zoneinfo.ZoneInfo("Europe/Amsterdam")

#: Lifecycle step → (push TTL in seconds). A start is useless after an hour; a closing
#: message may arrive later and still be worth showing.
TTLS = {"start": 3600, "expansion": 3600, "follow_up": 3600, "closing": 24 * 3600}
#: Dossier event kinds accepted as aliases of the lifecycle steps.
ALIASES = {"started": "start", "expanded": "expansion", "closed": "closing"}


@dataclass(frozen=True)
class PushResult:
    sent: int = 0
    skipped_quiet: int = 0
    gone: int = 0
    failed: int = 0


def area_cells_r6(area_geojson: Any) -> set[int]:
    """The resolution-6 cells that the area's cover touches."""
    cover = parse_area(area_geojson).cover
    cells: set[int] = set()
    for res, group in cover.interior.items():
        for cell in group:
            if res < SUBSCRIPTION_RES:
                cells.update(h3.cell_to_children(cell, SUBSCRIPTION_RES))
            elif res > SUBSCRIPTION_RES:
                cells.add(h3.cell_to_parent(cell, SUBSCRIPTION_RES))
            else:
                cells.add(cell)
    cells.update(h3.cell_to_parent(c, SUBSCRIPTION_RES) for c in cover.boundary)
    return cells


def in_quiet_hours(sub: AppSubscription, at: dt.datetime) -> bool:
    """Whether `at` falls in the subscriber's quiet hours (local time, may span midnight)."""
    if sub.quiet_start is None or sub.quiet_end is None:
        return False
    local = at.astimezone(LOCAL_TZ).time()
    start, end = sub.quiet_start, sub.quiet_end
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def subscriptions_for_area(*, area_geojson: Any) -> list[AppSubscription]:
    """Subscriptions watching a district the area touches (not expired)."""
    cells = sorted(area_cells_r6(area_geojson))
    ids: set[int] = set()
    for i in range(0, len(cells), 900):
        ids.update(
            AppSubscriptionCell.objects.filter(cell__in=cells[i : i + 900]).values_list(
                "subscription_id", flat=True
            )
        )
    return list(
        AppSubscription.objects.filter(pk__in=ids, expires_at__gt=clock.now()).order_by("pk")
    )


def payload_for(*, action: Action, kind: str, language: str) -> dict[str, Any]:
    """What the app shows: the action id lets it fetch the area and test the position."""
    headline = TYPE_DEFAULTS[action.type].headline
    if kind == "closing":
        text = action.closing_text or headline
    elif kind == "follow_up":
        last = action.events.filter(kind="follow_up").order_by("-seq").first()
        text = str(last.payload.get("text", "")) if last else action.description
    else:
        text = action.description
    return {
        "action_id": action.pk,
        "kind": kind,
        "title": f"Burgernet: {action.title}" if action.title else "Burgernet",
        "text": text,
        "url": reverse("public:app") + f"#action-{action.pk}",
        "lang": language,
        "urgent": TYPE_DEFAULTS[action.type].urgent,
    }


def vapid() -> Vapid:
    if not settings.VAPID_PRIVATE_KEY:
        raise RuntimeError("VAPID_PRIVATE_KEY is not set (see `burgernet vapid_keys`)")
    return Vapid.from_raw(settings.VAPID_PRIVATE_KEY.encode())


def push_send(
    *, sub: AppSubscription, payload: dict[str, Any], urgent: bool, ttl: int, session: Any = None
) -> str:
    """Encrypt and post one message. Returns "sent", "gone" (deleted) or "failed"."""
    try:
        webpush(
            subscription_info={
                "endpoint": sub.endpoint,
                "keys": {"p256dh": sub.p256dh, "auth": sub.auth},
            },
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=vapid(),
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            content_encoding="aes128gcm",
            ttl=ttl,
            headers={"Urgency": "high" if urgent else "normal"},
            timeout=10,
            requests_session=session,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            sub.delete()
            log.info("push_subscription_gone", subscription_id=sub.pk, status=status)
            return "gone"
        log.warning("push_failed", subscription_id=sub.pk, status=status)
        return "failed"
    except requests.RequestException as exc:
        log.warning("push_failed", subscription_id=sub.pk, error=type(exc).__name__)
        return "failed"
    return "sent"


def push_for_action_event(*, action: Action, kind: str) -> PushResult:
    """Push one lifecycle step of `action` (start, expansion, follow_up, closing, or the
    dossier kinds started/expanded/closed) to app subscribers near its area.

    Call it after commit (`transaction.on_commit`). Exercise actions are never pushed.
    Non-urgent actions wait out nobody's quiet hours: they are skipped for those subscribers.
    """
    kind = ALIASES.get(kind, kind)
    if kind not in TTLS:
        raise ValueError(f"unknown push kind {kind!r}")
    if action.exercise or not settings.VAPID_PRIVATE_KEY:
        if not action.exercise:
            log.warning("push_disabled_no_vapid_key", action_id=action.pk)
        return PushResult()
    urgent = TYPE_DEFAULTS[action.type].urgent
    now = clock.now()
    counts = {"sent": 0, "gone": 0, "failed": 0}
    skipped = 0
    with requests.Session() as session:
        for sub in subscriptions_for_area(area_geojson=action.area):
            if not urgent and in_quiet_hours(sub, now):
                skipped += 1
                continue
            language = (sub.languages or ["nl"])[0]
            payload = payload_for(action=action, kind=kind, language=language)
            counts[
                push_send(sub=sub, payload=payload, urgent=urgent, ttl=TTLS[kind], session=session)
            ] += 1
    result = PushResult(skipped_quiet=skipped, **counts)
    log.info("push_for_action_event", action_id=action.pk, kind=kind, **counts, skipped=skipped)
    return result
