"""Reads for the public site: cheap, cached for a few seconds, never drafts or exercises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from burgernet.actions import public_selectors
from burgernet.actions.models import Action, Outcome
from burgernet.geo.models import Region, RegionKind

#: Seconds public data may be stale: short enough for a running search, long enough to
#: absorb a burst of visitors after an alert.
CACHE_SECONDS = 5


def public_action_cached(*, pk: int) -> Action | None:
    """The public action page's data (with its municipalities), from the cache when fresh."""
    key = f"public:action:{pk}"
    hit = cache.get(key)
    if hit is not None:
        return hit or None  # False marks "not public", cached too
    action = public_selectors.public_action_list().filter(pk=pk).prefetch_related("regions").first()
    if action is not None:
        action.region_list = list(action.regions.all())  # type: ignore[attr-defined]
    cache.set(key, action or False, CACHE_SECONDS)
    return action


def action_public_dict(action: Action) -> dict[str, Any]:
    """What the app and the public map get for an action (no personal data)."""
    from django.urls import reverse

    photo = action.photo.url if action.photo and not action.photo_withdrawn else None
    return {
        "id": action.pk,
        "type": action.type,
        "type_label": str(action.get_type_display()),
        "title": action.title,
        "description": action.description,
        "status": action.status,
        "area": action.area,
        "incident": [action.incident_lat, action.incident_lon],
        "started_at": action.started_at.isoformat() if action.started_at else None,
        "url": reverse("public:action", args=[action.pk]),
        "photo": photo,
    }


def active_actions_data() -> list[dict[str, Any]]:
    """Active public actions as dicts, cached for a few seconds."""

    def load() -> list[dict[str, Any]]:
        return [action_public_dict(a) for a in public_selectors.public_active_actions()[:200]]

    result: list[dict[str, Any]] = cache.get_or_set("public:active-actions", load, CACHE_SECONDS)  # type: ignore[assignment]
    return result


def municipalities_with_actions() -> QuerySet[Region]:
    """Municipalities that had public actions, with counts per outcome."""
    ended = Q(actions__status__in=public_selectors.ENDED_STATUSES, actions__exercise=False)
    return (
        Region.objects.filter(kind=RegionKind.MUNICIPALITY)
        .annotate(
            ended=Count("actions", filter=ended, distinct=True),
            successes=Count(
                "actions",
                filter=ended & Q(actions__outcome__in=[Outcome.FOUND, Outcome.APPREHENDED]),
                distinct=True,
            ),
            helped=Count(
                "actions", filter=ended & Q(actions__participant_contributed=True), distinct=True
            ),
        )
        .filter(ended__gt=0)
        .only("code", "name")
        .order_by("name")
    )


@dataclass(frozen=True)
class MunicipalityStats:
    ended: int
    successes: int
    helped: int


def municipality_get(*, code: str) -> Region | None:
    return Region.objects.filter(kind=RegionKind.MUNICIPALITY, code=code).first()


def municipality_stats(*, region: Region) -> MunicipalityStats:
    """How the public actions of a municipality ended."""
    qs = public_selectors.public_ended_actions(region_id=region.pk)
    return MunicipalityStats(
        ended=qs.count(),
        successes=qs.filter(outcome__in=[Outcome.FOUND, Outcome.APPREHENDED]).count(),
        helped=qs.filter(participant_contributed=True).count(),
    )
