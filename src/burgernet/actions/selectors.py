"""Reads for actions, scoped to what the acting staff member may see."""

from __future__ import annotations

from typing import Any

import h3.api.basic_int as h3
from django.db.models import Count, Q, QuerySet

from burgernet.accounts.models import OrganisationKind, Role, StaffUser
from burgernet.accounts.scoping import is_national, municipalities_in_scope
from burgernet.actions.models import Action, ActionEvent, ActionRecipient, ActionStatus, Response
from burgernet.geo.area import Area
from burgernet.geo.models import RegionCell, RegionKind
from burgernet.geo.services import LOOKUP_RES


def actions_visible_to(user: StaffUser) -> QuerySet[Action]:
    """Actions `user` may open.

    Dispatchers see their own control room's actions and those whose area touches a
    municipality of their police unit; municipal staff see published actions in their
    municipality; the national office sees all.
    """
    qs = Action.objects.select_related("dispatch_centre", "created_by")
    if is_national(user):
        return qs
    org = user.organisation
    if org is None:
        return qs.none()
    if org.kind == OrganisationKind.MUNICIPALITY:
        return qs.filter(status=ActionStatus.PUBLISHED, regions__organisation=org).distinct()
    unit = org.police_unit_id
    if unit is None:
        return qs.none()
    municipalities = municipalities_in_scope(user).exclude(region=None).values("region_id")
    return qs.filter(
        Q(dispatch_centre=org) | Q(dispatch_centre__parent_id=unit) | Q(regions__in=municipalities)
    ).distinct()


def action_get(*, user: StaffUser, pk: int) -> Action:
    """One visible action, or Action.DoesNotExist (rendered as 404)."""
    return actions_visible_to(user).get(pk=pk)


def photo_action(*, user: StaffUser | None, name: str) -> Action | None:
    """The action whose stored photo is `name`, if the caller may see that photo: anyone while
    the action is public (started, no exercise) and the photo not withdrawn; staff who may open
    the action always. None otherwise (a draft's or a withdrawn photo stays private)."""
    qs = Action.objects.filter(photo=name).exclude(photo="")
    public = qs.filter(
        status__in=(ActionStatus.ACTIVE, ActionStatus.CLOSED, ActionStatus.PUBLISHED),
        exercise=False,
        photo_withdrawn=False,
    ).first()
    if public is not None:
        return public
    if user is None:
        return None
    return actions_visible_to(user).filter(photo=name).first()


def can_act(*, user: StaffUser, action: Action) -> bool:
    return user.has_role(Role.DISPATCHER) and user.organisation_id == action.dispatch_centre_id


def console_actions(*, user: StaffUser) -> QuerySet[Action]:
    """The console list: active first, then drafts, then the last closed ones."""
    return (
        actions_visible_to(user)
        .annotate(reached=Count("recipients__participant_id", distinct=True))
        .order_by("status", "-created_at")
    )


def regions_touched(*, area: Area) -> list[int]:
    """Ids of the municipalities whose lookup cells meet the area's cover."""
    cover = area.cover
    cells: set[int] = set()
    for res, group in cover.interior.items():
        for cell in group:
            if res < LOOKUP_RES:
                cells.update(h3.cell_to_children(cell, LOOKUP_RES))
            else:
                cells.add(h3.cell_to_parent(cell, LOOKUP_RES) if res > LOOKUP_RES else cell)
    cells.update(h3.cell_to_parent(c, LOOKUP_RES) for c in cover.boundary)
    ids: set[int] = set()
    chunk = sorted(cells)
    for i in range(0, len(chunk), 900):
        ids.update(
            RegionCell.objects.filter(
                cell__in=chunk[i : i + 900], region__kind=RegionKind.MUNICIPALITY
            ).values_list("region_id", flat=True)
        )
    return sorted(ids)


def reach_summary(*, action: Action) -> dict[str, int]:
    """Reached so far: per channel, and distinct participants."""
    rows = ActionRecipient.objects.filter(action=action).values("channel").annotate(n=Count("id"))
    summary = {row["channel"]: row["n"] for row in rows}
    summary["participants"] = (
        ActionRecipient.objects.filter(action=action).values("participant_id").distinct().count()
    )
    return summary


def responses_for(*, action: Action, since_id: int = 0) -> QuerySet[Response]:
    return Response.objects.filter(action=action, pk__gt=since_id).order_by("-at")


def dossier_events(*, action: Action) -> QuerySet[ActionEvent]:
    return ActionEvent.objects.filter(action=action).select_related("actor").order_by("seq")


def dossier_export(*, action: Action) -> dict[str, Any]:
    """The whole dossier as JSON-serialisable data, for the investigation."""
    from burgernet.actions.dossier import dossier_verify

    check = dossier_verify(action=action)
    return {
        "action": {
            "id": action.pk,
            "type": action.type,
            "status": action.status,
            "exercise": action.exercise,
            "dispatch_centre": action.dispatch_centre.name,
            "title": action.title,
            "description": action.description,
            "area": action.area,
            "incident": {"lat": action.incident_lat, "lon": action.incident_lon},
            "outcome": action.outcome,
            "participant_contributed": action.participant_contributed,
            "created_at": action.created_at,
            "started_at": action.started_at,
            "closed_at": action.closed_at,
            "published_at": action.published_at,
            "purged_at": action.purged_at,
            "retained_figures": action.retained_figures,
        },
        "chain": {
            "ok": check.ok,
            "events": check.events,
            "first_broken_seq": check.first_broken_seq,
            "reason": check.reason,
            "redacted_through": check.redacted_through,
        },
        "events": [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor.username if e.actor else None,
                "kind": e.kind,
                "payload": e.payload,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in dossier_events(action=action)
        ],
        "responses": [
            {
                "id": r.pk,
                "kind": r.kind,
                "at": r.at,
                "text": r.text,
                "from_number": r.from_number,
                "distance_m": r.distance_m,
            }
            for r in Response.objects.filter(action=action).order_by("at")
        ],
    }
