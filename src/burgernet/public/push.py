"""App push: who gets an action's lifecycle step, and what their app is sent.

Push goes through the dispatch outbox like every other channel (ADR 0034). When a step is
sent (start, expansion, follow-up, closing) `actions.outbox.send` asks `app_push_for_step` for
the subscriptions whose coarse cells touch the action's area and writes one push delivery per
subscription (address `sub:<id>`) in the same transaction as the dossier event. Non-urgent
steps skip subscribers in their quiet hours. The message's `payload["push"]` carries the app's
JSON per language plus TTL and Urgency; the `webpush` adapter in dispatch encrypts and posts it,
asking this module (through `dispatch.push_targets`, registered in PublicConfig.ready) for the
endpoint and keys, and telling it when a push service says a subscription is gone.

The phone does the precise test (is my position inside the area?) itself: the server only
knows districts.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

import h3.api.basic_int as h3
import structlog
from django.urls import reverse

from burgernet.actions.models import Action
from burgernet.actions.texts import EXERCISE_PREFIX, TYPE_DEFAULTS
from burgernet.core import clock
from burgernet.dispatch.push_targets import ADDRESS_PREFIX, PushTarget, address
from burgernet.geo.area import parse_area
from burgernet.public.models import AppSubscription, AppSubscriptionCell
from burgernet.public.services import LANGUAGES, SUBSCRIPTION_RES, app_subscription_delete

log = structlog.get_logger(__name__)
LOCAL_TZ = zoneinfo.ZoneInfo("Europe/Amsterdam")

#: Lifecycle step → (push TTL in seconds). A start is useless after an hour; a closing
#: message may arrive later and still be worth showing.
TTLS = {"start": 3600, "expansion": 3600, "follow_up": 3600, "closing": 24 * 3600}
#: Dossier event kinds accepted as aliases of the lifecycle steps.
ALIASES = {"started": "start", "expanded": "expansion", "closed": "closing"}


@dataclass(frozen=True)
class AppPush:
    """One step's app push: the message payload part and who gets it."""

    payload: dict[str, Any]  # Message.payload["push"]
    addresses: list[str]  # "sub:<id>", one delivery each
    skipped_quiet: int = 0


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


def step_text(*, action: Action, kind: str, text: str) -> str:
    """What the notification says: the description on start and expansion (the SMS text
    carries the offence and the call-back line, the app shows those itself), the step's own
    text on follow-up and closing."""
    if kind in ("follow_up", "closing"):
        return text or TYPE_DEFAULTS[action.type].headline
    return action.description


def payload_for(*, action: Action, kind: str, language: str, text: str) -> dict[str, Any]:
    """What the app shows: the action id lets it fetch the area and test the position."""
    title = f"Burgernet: {action.title}" if action.title else "Burgernet"
    return {
        "action_id": action.pk,
        "kind": kind,
        "title": f"{EXERCISE_PREFIX}{title}" if action.exercise else title,
        "text": text,
        "url": reverse("public:app") + f"#action-{action.pk}",
        "lang": language,
        "urgent": TYPE_DEFAULTS[action.type].urgent,
    }


def app_push_for_step(*, action: Action, kind: str, text: str = "") -> AppPush:
    """The app push of one lifecycle step of `action` (start, expansion, follow_up, closing,
    or the dossier kinds started/expanded/closed): the payload per language with TTL and
    Urgency, and the subscriptions near the area, minus those in quiet hours when the action
    is not urgent. `text` is the step's message (follow-up and closing).

    Exercises get the same (the dispatch engine sends them only to exercise accounts, which
    point at a test push service).
    """
    kind = ALIASES.get(kind, kind)
    if kind not in TTLS:
        raise ValueError(f"unknown push kind {kind!r}")
    urgent = TYPE_DEFAULTS[action.type].urgent
    now = clock.now()
    body = step_text(action=action, kind=kind, text=text)
    addresses: list[str] = []
    skipped = 0
    for sub in subscriptions_for_area(area_geojson=action.area):
        if not urgent and in_quiet_hours(sub, now):
            skipped += 1
            continue
        addresses.append(address(sub.pk))
    payload = {
        "ttl": TTLS[kind],
        "urgency": "high" if urgent else "normal",
        # A retry may not outlive the alert: the adapter sends what is left of the TTL.
        "expires_at": now.timestamp() + TTLS[kind],
        "messages": {
            language: payload_for(action=action, kind=kind, language=language, text=body)
            for language in LANGUAGES
        },
    }
    log.info(
        "app_push_planned",
        action_id=action.pk,
        kind=kind,
        subscriptions=len(addresses),
        skipped_quiet=skipped,
    )
    return AppPush(payload=payload, addresses=addresses, skipped_quiet=skipped)


# --- Hooks for the dispatch engine (registered in PublicConfig.ready) ---------------------------


def _subscription_id(addr: str) -> int | None:
    if not addr.startswith(ADDRESS_PREFIX):
        return None
    raw = addr[len(ADDRESS_PREFIX) :]
    return int(raw) if raw.isdigit() else None


def push_targets_resolve(addresses: list[str]) -> dict[str, PushTarget]:
    """Endpoint, keys and language of the subscriptions behind `addresses` (one query per
    thousand); expired or deleted ones are left out, so their deliveries end as gone."""
    ids = {i for a in addresses if (i := _subscription_id(a)) is not None}
    found: dict[str, PushTarget] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 1000):
        rows = AppSubscription.objects.filter(
            pk__in=ordered[start : start + 1000], expires_at__gt=clock.now()
        ).values_list("pk", "endpoint", "p256dh", "auth", "languages")
        for pk, endpoint, p256dh, auth, languages in rows:
            language = languages[0] if languages else "nl"
            found[address(pk)] = PushTarget(
                endpoint=endpoint, p256dh=p256dh, auth=auth, language=language
            )
    return found


def push_target_gone(addr: str) -> None:
    """The push service no longer knows this subscription: forget it."""
    sub_id = _subscription_id(addr)
    if sub_id is None:
        return
    endpoint = AppSubscription.objects.filter(pk=sub_id).values_list("endpoint", flat=True).first()
    if endpoint is not None:
        app_subscription_delete(endpoint=endpoint)
        log.info("app_subscription_gone", subscription_id=sub_id)
