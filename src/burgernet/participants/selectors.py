"""Reads for the participant registry, always scoped to what the acting staff member may see."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from burgernet.accounts.models import StaffUser
from burgernet.accounts.scoping import municipalities_in_scope, restrict_to_municipalities
from burgernet.participants._phone_tmp import PhoneError, parse_phone, phone_hash
from burgernet.participants.models import Participant, ParticipantStatus


def participant_registry_list(
    *,
    user: StaffUser,
    q: str = "",
    status: str = "",
    source: str = "",
    category: str = "",
) -> QuerySet[Participant]:
    """The participants of `user`'s municipalities, searched and filtered, ready for a list."""
    qs = restrict_to_municipalities(
        Participant.objects.all(), user, region_lookup="locations__region"
    )
    q = q.strip()
    if q:
        match = Q(name__icontains=q) | Q(email__icontains=q)
        compact = q.replace(" ", "").upper()
        if len(compact) >= 4 and compact[:4].isdigit():
            postcode = f"{compact[:4]} {compact[4:6]}".strip()
            match |= Q(locations__postcode__startswith=postcode)
        with contextlib.suppress(PhoneError):
            match |= Q(phones__number_hash=phone_hash(parse_phone(q)))
        qs = qs.filter(match).distinct()
    today = timezone.localdate()
    if status == ParticipantStatus.DEACTIVATED:
        qs = qs.filter(deactivated_at__isnull=False)
    elif status == ParticipantStatus.UNCONFIRMED:
        qs = qs.filter(deactivated_at__isnull=True, confirmed_at__isnull=True)
    elif status == ParticipantStatus.PAUSED:
        qs = qs.filter(
            deactivated_at__isnull=True, confirmed_at__isnull=False, paused_until__gte=today
        )
    elif status == ParticipantStatus.ACTIVE:
        qs = qs.filter(deactivated_at__isnull=True, confirmed_at__isnull=False).exclude(
            paused_until__gte=today
        )
    if source:
        qs = qs.filter(source=source)
    if category:
        # JSON list membership that works on SQLite and PostgreSQL alike.
        qs = qs.filter(categories__icontains=f'"{category}"')
    return qs.prefetch_related("locations__region").order_by("name", "pk")


def participant_for_staff(*, user: StaffUser, pk: int) -> Participant:
    """One participant in `user`'s scope (raises Participant.DoesNotExist outside it)."""
    qs = restrict_to_municipalities(
        Participant.objects.filter(pk=pk), user, region_lookup="locations__region"
    )
    return qs.prefetch_related("phones", "locations__region").get()


@dataclass(frozen=True)
class RecruitmentRow:
    municipality: str
    code: str
    inhabitants: int | None
    participants: int
    per_1000: float | None


def recruitment_by_municipality(*, user: StaffUser) -> list[RecruitmentRow]:
    """Per municipality in scope: inhabitants, active participants (with a place there) and
    participants per 1,000 inhabitants, for recruitment. Ordered by that rate, lowest first."""
    today = timezone.localdate()
    prefix = "region__locations__participant__"
    active = Q(
        **{f"{prefix}confirmed_at__isnull": False, f"{prefix}deactivated_at__isnull": True}
    ) & (Q(**{f"{prefix}paused_until__isnull": True}) | Q(**{f"{prefix}paused_until__lt": today}))
    orgs = (
        municipalities_in_scope(user)
        .exclude(region=None)
        .select_related("region")
        .annotate(
            n=Count("region__locations__participant", filter=active, distinct=True),
        )
    )
    rows = []
    for org in orgs:
        inhabitants = org.inhabitants or (org.region.inhabitants if org.region else None)
        rate = round(org.n * 1000 / inhabitants, 2) if inhabitants else None
        rows.append(
            RecruitmentRow(
                municipality=org.name,
                code=org.region.code if org.region else org.code,
                inhabitants=inhabitants,
                participants=org.n,
                per_1000=rate,
            )
        )
    rows.sort(key=lambda r: (r.per_1000 is None, r.per_1000 or 0, r.municipality))
    return rows
