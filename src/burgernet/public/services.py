"""Writes of the public app: app subscriptions, app tips, purging.

Coordinates sent by the app are turned into coarse H3 cells at once and never stored or
logged; see docs/public.md ("What the app keeps").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import h3.api.basic_int as h3
import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from burgernet.actions import services as action_services
from burgernet.actions.models import Action, ActionStatus, Response, ResponseKind
from burgernet.core import clock
from burgernet.public.media import MediaError, media_clean
from burgernet.public.models import AppSubscription, AppSubscriptionCell

log = structlog.get_logger(__name__)

#: H3 resolution of the cells an app subscription keeps: ~36 km², about a district.
SUBSCRIPTION_RES = 6
SUBSCRIPTION_DAYS = 30
MAX_PLACES = 5
MAX_TIP_CHARS = 2000
LANGUAGES = ("nl", "en")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{7,18}$")


@dataclass(frozen=True)
class Place:
    """A rounded position sent by the app; lives only for the duration of one request."""

    lat: float
    lon: float


def places_to_cells(*, places: Sequence[Place]) -> set[int]:
    """The resolution-6 cells of the places. The positions themselves are not kept."""
    cells: set[int] = set()
    for i, place in enumerate(places):
        if not (-90 <= place.lat <= 90 and -180 <= place.lon <= 180):
            raise ValidationError({f"places[{i}]": _("This is not a position on earth.")})
        cells.add(h3.latlng_to_cell(place.lat, place.lon, SUBSCRIPTION_RES))
    return cells


@transaction.atomic
def app_subscription_upsert(
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    places: Sequence[Place],
    languages: Sequence[str] = ("nl",),
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
) -> AppSubscription:
    """Create or refresh an app's push subscription. The watched cells are replaced (never
    accumulated) and the expiry moves to 30 days from now."""
    errors: dict[str, str] = {}
    if not endpoint.startswith("https://") and not (
        settings.DEBUG or settings.DEMO_MODE or settings.TESTING
    ):
        errors["endpoint"] = _("The push endpoint must be an https URL.")
    if not endpoint.startswith(("https://", "http://")) or len(endpoint) > 1000:
        errors["endpoint"] = _("The push endpoint is not a valid URL.")
    if not p256dh or len(p256dh) > 200:
        errors["keys.p256dh"] = _("The subscription key is missing.")
    if not auth or len(auth) > 100:
        errors["keys.auth"] = _("The subscription secret is missing.")
    if len(places) > MAX_PLACES:
        errors["places"] = _("At most %(n)d places can be followed.") % {"n": MAX_PLACES}
    langs = [lang for lang in languages if lang in LANGUAGES] or ["nl"]
    if (quiet_start is None) != (quiet_end is None):
        errors["quiet_hours"] = _("Give both the start and the end of the quiet hours.")
    if errors:
        raise ValidationError(errors)
    cells = places_to_cells(places=places)
    now = clock.now()
    sub, created = AppSubscription.objects.select_for_update().get_or_create(
        endpoint=endpoint,
        defaults={
            "p256dh": p256dh,
            "auth": auth,
            "created_at": now,
            "refreshed_at": now,
            "expires_at": now + dt.timedelta(days=SUBSCRIPTION_DAYS),
        },
    )
    sub.p256dh, sub.auth = p256dh, auth
    sub.languages = langs
    sub.quiet_start, sub.quiet_end = quiet_start, quiet_end
    sub.refreshed_at = now
    sub.expires_at = now + dt.timedelta(days=SUBSCRIPTION_DAYS)
    sub.save()
    AppSubscriptionCell.objects.filter(subscription=sub).delete()
    AppSubscriptionCell.objects.bulk_create(
        [AppSubscriptionCell(subscription=sub, cell=c) for c in sorted(cells)]
    )
    log.info("app_subscription_upserted", subscription_id=sub.pk, created=created, cells=len(cells))
    return sub


def app_subscription_delete(*, endpoint: str) -> bool:
    """Forget a subscription (the app unsubscribed, or the push service says it is gone)."""
    deleted, _ignored = AppSubscription.objects.filter(endpoint=endpoint).delete()
    return deleted > 0


def app_subscriptions_purge_expired() -> int:
    """Delete subscriptions the app has not refreshed for 30 days; returns how many."""
    count = 0
    while True:
        ids = list(
            AppSubscription.objects.filter(expires_at__lte=clock.now()).values_list(
                "pk", flat=True
            )[:1000]
        )
        if not ids:
            break
        AppSubscription.objects.filter(pk__in=ids).delete()
        count += len(ids)
    log.info("app_subscriptions_purged", count=count)
    return count


def app_tip_submit(
    *,
    action: Action,
    text: str,
    media: bytes | None = None,
    phone: str = "",
) -> Response:
    """A tip from the app on an active action, with an optional photo or video and an
    optional phone number to be called back on. Lands in the dossier and the console."""
    errors: dict[str, str] = {}
    text = text.strip()
    phone = phone.strip()
    if not text and not media:
        errors["text"] = _("Write what you saw, or add a photo.")
    if len(text) > MAX_TIP_CHARS:
        errors["text"] = _("Keep the tip under %(n)d characters.") % {"n": MAX_TIP_CHARS}
    if phone and not _PHONE.match(phone):
        errors["phone"] = _("Enter a phone number like 0612345678.")
    clean = None
    if media:
        try:
            clean = media_clean(data=media)
        except MediaError as exc:
            errors["media"] = str(exc)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Checked under the row lock, so a tip cannot slip in while the action closes.
        action = Action.objects.select_for_update().get(pk=action.pk)
        if action.status != ActionStatus.ACTIVE or action.exercise:
            raise ValidationError(
                {"action": _("This action has ended; tips are no longer accepted.")}
            )
        return action_services.response_record(
            action=action,
            kind=ResponseKind.APP_TIP,
            text=text,
            from_number=phone.replace(" ", "").replace("-", "")[:20],
            media=clean.file if clean else None,
        )
