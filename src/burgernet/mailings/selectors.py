"""Reads for Burgernetmail: who a mailing reaches, and what staff may see.

Sending area: a municipality's communications officers send within that municipality; a
basic team sends within the municipalities of its police unit (`accounts.scoping`; teams have
no area of their own in the model yet, see ADR 0060). Mailings, templates and replies are
records of the organisation that owns them: staff see their own organisation's only (a basic
team never sees another team's replies), the national office sees all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from burgernet.accounts.models import Organisation, OrganisationKind, StaffUser
from burgernet.accounts.scoping import is_national
from burgernet.core import clock
from burgernet.geo.area import Area
from burgernet.geo.models import Region
from burgernet.mailings.models import (
    Mailing,
    MailingKind,
    MailPreference,
    MailReply,
    MailTemplate,
    TargetKind,
)
from burgernet.participants.models import Category, Location, Participant
from burgernet.participants.reach import LOCAL_TZ

# Which participants' interest a kind of mailing needs (None: every participant).
KIND_CATEGORY: dict[str, str | None] = {
    MailingKind.INQUIRY: Category.CRIME,
    MailingKind.PREVENTION: Category.PREVENTION,
    MailingKind.INVITATION: Category.PREVENTION,
    MailingKind.NEWSLETTER: None,
}

POSTCODE_RE = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})?\s*$")
_CHUNK = 900  # below SQLite's 999 parameters


def parse_postcode(value: str) -> str | None:
    """ "1234" or "1234 AB" (any case, any spacing) in stored form, or None if not a postcode."""
    match = POSTCODE_RE.match(value)
    if not match:
        return None
    return match.group(1) if not match.group(2) else f"{match.group(1)} {match.group(2).upper()}"


def sending_municipalities(organisation: Organisation) -> QuerySet[Organisation]:
    """The municipalities an organisation may send Burgernetmail to."""
    municipalities = Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY)
    if organisation.kind == OrganisationKind.NATIONAL:
        return municipalities
    if organisation.kind == OrganisationKind.MUNICIPALITY:
        return municipalities.filter(pk=organisation.pk)
    if organisation.kind in (OrganisationKind.BASIC_TEAM, OrganisationKind.POLICE_UNIT):
        return municipalities.filter(parent_id=organisation.police_unit_id)
    return municipalities.none()


def sending_region_ids(organisation: Organisation) -> set[int]:
    return set(
        sending_municipalities(organisation)
        .exclude(region=None)
        .values_list("region_id", flat=True)
    )


def sending_regions(organisation: Organisation) -> QuerySet[Region]:
    return Region.objects.filter(pk__in=sending_region_ids(organisation)).order_by("name")


@dataclass(frozen=True)
class Target:
    """Where a mailing goes: postcodes, a municipality, or a drawn area."""

    kind: str
    postcodes: tuple[str, ...] = ()
    region_id: int | None = None
    area: Area | None = None


def _chunks(values: Iterable[int], size: int = _CHUNK) -> Iterator[list[int]]:
    chunk: list[int] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _postcode_q(postcodes: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for code in postcodes:
        if len(code) == 4:
            q |= Q(postcode__startswith=code)
        else:
            q |= Q(postcode__iexact=code) | Q(postcode__iexact=code.replace(" ", ""))
    return q


def target_participant_ids(*, target: Target, region_ids: set[int]) -> set[int]:
    """Participants with a location in the target AND in one of `region_ids` (no preferences
    yet). Locations' time windows do not matter for mail: it is read later, anywhere."""
    locations = Location.objects.filter(region_id__in=region_ids)
    if target.kind == TargetKind.POSTCODES:
        return set(
            locations.filter(_postcode_q(target.postcodes)).values_list("participant_id", flat=True)
        )
    if target.kind == TargetKind.MUNICIPALITY:
        if target.region_id not in region_ids:
            return set()
        return set(
            locations.filter(region_id=target.region_id).values_list("participant_id", flat=True)
        )
    area = target.area
    if area is None:
        return set()
    found: set[int] = set()
    cover = area.cover
    for res, cells in sorted(cover.interior.items()):
        for chunk in _chunks(sorted(cells)):
            found.update(
                locations.filter(**{f"h3_r{res}__in": chunk}).values_list(
                    "participant_id", flat=True
                )
            )
    for chunk in _chunks(sorted(cover.boundary)):
        for participant_id, lat, lon in locations.filter(h3_r9__in=chunk).values_list(
            "participant_id", "lat", "lon"
        ):
            if participant_id not in found and area.contains(lat, lon):
                found.add(participant_id)
    return found


@dataclass(frozen=True)
class MailRecipient:
    participant_id: int
    address: str


def mailing_recipients(
    *, target: Target, organisation: Organisation, category: str | None, at: dt.datetime
) -> list[MailRecipient]:
    """Who gets the mailing: participants in the target and the organisation's area, confirmed,
    active, not paused on that (local) day, with a confirmed, reachable address, interested in
    `category` (if any) and not unsubscribed from Burgernetmail. Sorted by participant id."""
    ids = target_participant_ids(target=target, region_ids=sending_region_ids(organisation))
    day = at.astimezone(LOCAL_TZ).date()
    unsubscribed = MailPreference.objects.filter(unsubscribed_at__isnull=False).values(
        "participant_id"
    )
    recipients: list[MailRecipient] = []
    for chunk in _chunks(sorted(ids)):
        rows = (
            Participant.objects.filter(
                id__in=chunk,
                confirmed_at__isnull=False,
                deactivated_at__isnull=True,
                email_confirmed_at__isnull=False,
                email_unreachable=False,
            )
            .filter(Q(paused_until__isnull=True) | Q(paused_until__lt=day))
            .exclude(email="")
            .exclude(id__in=unsubscribed)
            .values_list("id", "email", "categories")
        )
        for participant_id, email, categories in rows:
            if category and category not in (categories or []):
                continue
            recipients.append(MailRecipient(participant_id=participant_id, address=email))
    return recipients


def mailing_target(mailing: Mailing) -> Target:
    """The stored target of a mailing."""
    from burgernet.geo.area import parse_area

    return Target(
        kind=mailing.target_kind,
        postcodes=tuple(mailing.postcodes or ()),
        region_id=mailing.target_region_id,
        area=parse_area(mailing.area) if mailing.area else None,
    )


def mailing_reach(*, mailing: Mailing) -> int:
    """How many addresses the mailing would reach now."""
    return len(
        mailing_recipients(
            target=mailing_target(mailing),
            organisation=mailing.organisation,
            category=mailing.category or None,
            at=clock.now(),
        )
    )


# --- Staff views: own organisation only --------------------------------------------------------


def _own(queryset: QuerySet[Any], user: StaffUser, lookup: str) -> QuerySet[Any]:
    if is_national(user):
        return queryset
    if user.organisation_id is None:
        return queryset.none()
    return queryset.filter(**{lookup: user.organisation_id})


def mailings_visible(*, user: StaffUser) -> QuerySet[Mailing]:
    """Mailings of the user's own organisation, newest first, with reply counts."""
    return _own(
        Mailing.objects.select_related("organisation", "created_by").annotate(
            reply_count=Count("replies")
        ),
        user,
        "organisation_id",
    )


def templates_visible(*, user: StaffUser) -> QuerySet[MailTemplate]:
    return _own(MailTemplate.objects.all(), user, "organisation_id")


def replies_visible(*, user: StaffUser, mailing_id: int | None = None) -> QuerySet[MailReply]:
    """The inbox: replies to mailings of the user's own organisation, newest first."""
    qs = _own(
        MailReply.objects.select_related("mailing", "participant"), user, "mailing__organisation_id"
    )
    if mailing_id is not None:
        qs = qs.filter(mailing_id=mailing_id)
    return qs


def mailing_progress(*, mailing: Mailing) -> dict[str, int]:
    """Deliveries per state of the mailing's dispatch message."""
    from burgernet.dispatch.models import Delivery

    if mailing.message_id is None:
        return {}
    return dict(
        Delivery.objects.filter(message_id=mailing.message_id)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
