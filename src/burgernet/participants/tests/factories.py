"""Participants with numbers and a home location, for tests."""

from __future__ import annotations

from typing import Any

from burgernet.core import clock
from burgernet.geo.cells import point_cells
from burgernet.geo.models import Region
from burgernet.participants._phone_tmp import phone_hash
from burgernet.participants.models import Location, Participant, PhoneNumber, Source


def make_participant(
    *,
    region: Region | None,
    name: str = "Piet Jansen",
    email: str = "piet@example.nl",
    phone: str = "+31612345678",
    lat: float = 52.05,
    lon: float = 5.05,
    confirmed: bool = True,
    **extra: Any,
) -> Participant:
    now = clock.now()
    participant = Participant.objects.create(
        name=name,
        email=email,
        email_confirmed_at=now if confirmed else None,
        confirmed_at=now if confirmed else None,
        created_at=now,
        updated_at=now,
        source=extra.pop("source", Source.WEB),
        **extra,
    )
    PhoneNumber.objects.create(
        participant=participant,
        e164=phone,
        number_hash=phone_hash(phone),
        verified_at=now if confirmed else None,
    )
    r5, r7, r9 = point_cells(lat, lon)
    Location.objects.create(
        participant=participant,
        postcode="1234 AB",
        house_number="1",
        city="Testdam",
        lat=lat,
        lon=lon,
        h3_r5=r5,
        h3_r7=r7,
        h3_r9=r9,
        region=region,
    )
    return participant
