"""Demo history: finished actions with recipients, responses and outcomes, so the console,
the public archive and the dashboard have something to show. Nothing is sent: this writes the
records an action leaves behind, with the dossier chained as usual."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction

from burgernet.accounts.models import Organisation, OrganisationKind, Role, StaffUser
from burgernet.actions import outbox, selectors, texts
from burgernet.actions.dossier import dossier_append
from burgernet.actions.models import Action, ActionRecipient, ActionStatus, Outcome, Response
from burgernet.core import clock
from burgernet.geo.area import Circle
from burgernet.participants.models import Location

DESCRIPTIONS = {
    "missing_child": "Jongen, 7 jaar, blond haar, rode jas en blauwe spijkerbroek.",
    "missing_elderly": "Man, 81 jaar, grijs haar, beige regenjas, loopt met een stok.",
    "robbery": "Twee mannen op een zwarte scooter, donkere kleding, een droeg een bivakmuts.",
    "hit_and_run": "Grijze stationwagen met schade aan de rechtervoorkant, richting snelweg.",
    "burglary": "Man, ongeveer 25 jaar, donkere capuchontrui, rugzak, gevlucht op een fiets.",
    "purse_snatching": "Jonge vrouw, lange donkere paardenstaart, witte sneakers, roze tas.",
    "theft": "Bakfiets gestolen, groen met witte bak, gezien richting centrum.",
    "suspicious_vehicle": "Witte bestelbus zonder ramen, kenteken begint met VZ.",
}
WEIGHTS = {
    "missing_child": 3,
    "missing_elderly": 4,
    "robbery": 2,
    "hit_and_run": 3,
    "burglary": 4,
    "purse_snatching": 2,
    "theft": 2,
    "suspicious_vehicle": 1,
}


def _dispatcher_for(centre: Organisation) -> StaffUser:
    user = None
    # Roles are a JSON list; filtering in Python keeps this portable across databases.
    for candidate in StaffUser.objects.filter(organisation=centre):
        if candidate.has_role(Role.DISPATCHER):
            user = candidate
            break
    if user is None:
        user = StaffUser.objects.create(
            username=f"centralist.{centre.code.lower()}",
            first_name="Demo",
            organisation=centre,
            roles=[Role.DISPATCHER],
            is_demo=True,
            is_active=False,
        )
    return user


def build(*, options: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Add `--actions` finished actions (default 80) over the past year."""
    count = int(options.get("actions", 80) or 0)
    if count <= 0 or Action.objects.exists():
        return
    rng = random.Random(options.get("seed", 2025))  # noqa: S311 - synthetic, reproducible
    centres = list(Organisation.objects.filter(kind=OrganisationKind.DISPATCH_CENTRE))
    locations = list(
        Location.objects.exclude(region=None).values_list(
            "lat", "lon", "region__organisation__parent_id"
        )[:50_000]
    )
    if not centres or not locations:
        return
    by_unit: dict[int, Organisation] = {c.parent_id: c for c in centres if c.parent_id}
    types = list(WEIGHTS)
    now = clock.now()
    made = 0
    for _ in range(count):
        lat, lon, unit_id = rng.choice(locations)
        centre = (by_unit.get(unit_id) if unit_id else None) or rng.choice(centres)
        action_type = rng.choices(types, weights=[WEIGHTS[t] for t in types])[0]
        started = now - dt.timedelta(days=rng.uniform(2, 365), minutes=rng.uniform(0, 1440))
        _one(
            rng, centre, action_type, lat + rng.gauss(0, 0.004), lon + rng.gauss(0, 0.006), started
        )
        made += 1
    out(f"Actions (history): {made} created")


@transaction.atomic
def _one(
    rng: random.Random,
    centre: Organisation,
    action_type: str,
    lat: float,
    lon: float,
    started: dt.datetime,
) -> None:
    user = _dispatcher_for(centre)
    defaults = texts.TYPE_DEFAULTS[action_type]
    area = Circle(lat=lat, lon=lon, radius_m=defaults.radius_m)
    sms = texts.compose(action_type=action_type, description=DESCRIPTIONS[action_type])
    with clock.frozen(started - dt.timedelta(minutes=2)):
        action = Action.objects.create(
            type=action_type,
            dispatch_centre=centre,
            created_by=user,
            # Titles are public (site, feeds): the type in Dutch and the control room's region.
            title=f"{texts.TYPE_DEFAULTS[action_type].headline.rstrip('.')} "
            f"({centre.name.removeprefix('Meldkamer ')})",
            description=DESCRIPTIONS[action_type],
            area=area.to_geojson(),
            incident_lat=lat,
            incident_lon=lon,
            channels=list(defaults.channels),
            sms_text=sms,
            voice_text=sms,
            created_at=clock.now(),
        )
        action.regions.set(selectors.regions_touched(area=area))
        dossier_append(
            action=action,
            kind="created",
            actor_id=user.pk,
            payload={"type": action_type, "area": action.area, "demo": True},
        )
    with clock.frozen(started):
        found = outbox.reach(
            area=area, channels=list(defaults.channels), at=started, category=defaults.category
        )
        seen: set[tuple[str, str]] = set()
        rows = []
        for r in found:
            if (r.channel, r.address) in seen:
                continue
            seen.add((r.channel, r.address))
            rows.append(
                ActionRecipient(
                    action=action,
                    participant_id=r.participant_id,
                    channel=r.channel,
                    address=r.address,
                    distance_m=r.distance_m,
                    reached_in=2,
                )
            )
        ActionRecipient.objects.bulk_create(rows, batch_size=5000)
        event = dossier_append(
            action=action,
            kind="started",
            actor_id=user.pk,
            payload={
                "reached": len({r.participant_id for r in rows}),
                "demo": "history: nothing was sent",
            },
        )
        del event
    # In about half of the actions at least one participant responds (real figure: 48 %).
    responders = rng.sample(rows, k=min(len(rows), rng.choice([0, 0, 1, 1, 2, 3])))
    for i, responder in enumerate(responders):
        at = started + dt.timedelta(minutes=rng.uniform(1, 25) + i)
        with clock.frozen(at):
            resp = Response.objects.create(
                action=action,
                kind="call",
                at=at,
                participant_id=responder.participant_id,
                text="Beller meldt een mogelijke waarneming.",
                distance_m=responder.distance_m,
            )
            dossier_append(
                action=action,
                kind="response_call",
                actor_id=None,
                payload={"response_id": resp.pk, "participant_id": responder.participant_id},
            )
    outcome = rng.choices(
        [Outcome.FOUND, Outcome.APPREHENDED, Outcome.NO_RESULT], weights=[5, 2, 6]
    )[0]
    if not action_type.startswith("missing") and outcome == Outcome.FOUND:
        outcome = Outcome.APPREHENDED
    contributed = bool(responders) and rng.random() < 0.25
    closed = started + dt.timedelta(minutes=rng.uniform(30, 180))
    with clock.frozen(closed):
        action.status = ActionStatus.PUBLISHED
        action.outcome = outcome
        action.participant_contributed = contributed
        action.closing_text = texts.compose_closing(outcome=outcome)
        action.started_at, action.closed_at = started, closed
        action.published_at = closed + dt.timedelta(minutes=10)
        action.public_summary = texts.CLOSING_DEFAULTS[outcome]
        action.photo_withdrawn = outcome == Outcome.FOUND
        action.save()
        dossier_append(
            action=action,
            kind="closed",
            actor_id=user.pk,
            payload={"outcome": outcome, "participant_contributed": contributed},
        )
        dossier_append(
            action=action,
            kind="published",
            actor_id=user.pk,
            payload={"public_summary": action.public_summary},
        )
