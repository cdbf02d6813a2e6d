"""Fixtures: two police units, three municipalities with square boundaries, teams, staff,
participants, and a real SMTP server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from burgernet.accounts.models import Organisation, OrganisationKind, Role, StaffUser
from burgernet.accounts.tests.factories import (
    MunicipalityFactory,
    PoliceUnitFactory,
    StaffUserFactory,
)
from burgernet.core import clock
from burgernet.dispatch import services as dispatch_services
from burgernet.geo.cells import point_cells
from burgernet.geo.models import Region
from burgernet.geo.services import region_import_geojson
from burgernet.participants.models import Location, Participant


def _square(code: str, name: str, lat: float, lon: float, size: float = 0.1) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"statcode": code, "statnaam": name, "inwoners": 20000},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@dataclass
class World:
    testdam: Organisation  # unit 1
    bijdorp: Organisation  # unit 1
    andersdorp: Organisation  # unit 2
    team_a: Organisation  # basic team of unit 1
    team_b: Organisation  # another basic team of unit 1
    comms: StaffUser  # communications officer of Testdam
    officer_a: StaffUser  # basic-team officer of team A
    officer_b: StaffUser  # basic-team officer of team B


@pytest.fixture
def world(db: None) -> World:
    region_import_geojson(
        collection={
            "type": "FeatureCollection",
            "features": [
                _square("GM9001", "Testdam", 52.0, 5.0),
                _square("GM9003", "Bijdorp", 52.0, 5.1),
                _square("GM9002", "Andersdorp", 52.3, 5.5),
            ],
        }
    )
    unit1, unit2 = PoliceUnitFactory(), PoliceUnitFactory()
    testdam = MunicipalityFactory(
        name="Gemeente Testdam", parent=unit1, region=Region.objects.get(code="GM9001")
    )
    bijdorp = MunicipalityFactory(
        name="Gemeente Bijdorp", parent=unit1, region=Region.objects.get(code="GM9003")
    )
    andersdorp = MunicipalityFactory(
        name="Gemeente Andersdorp", parent=unit2, region=Region.objects.get(code="GM9002")
    )
    team_a = Organisation.objects.create(
        kind=OrganisationKind.BASIC_TEAM, name="Basisteam A", code="BTA", parent=unit1
    )
    team_b = Organisation.objects.create(
        kind=OrganisationKind.BASIC_TEAM, name="Basisteam B", code="BTB", parent=unit1
    )
    return World(
        testdam=testdam,
        bijdorp=bijdorp,
        andersdorp=andersdorp,
        team_a=team_a,
        team_b=team_b,
        comms=StaffUserFactory(
            organisation=testdam, roles=[Role.COMMUNICATIONS_OFFICER], email="comms@testdam.nl"
        ),
        officer_a=StaffUserFactory(
            organisation=team_a, roles=[Role.BASIC_TEAM_OFFICER], email="a@politie.nl"
        ),
        officer_b=StaffUserFactory(
            organisation=team_b, roles=[Role.BASIC_TEAM_OFFICER], email="b@politie.nl"
        ),
    )


def make_participant(
    *,
    name: str,
    email: str,
    postcode: str,
    lat: float,
    lon: float,
    region: Region | None,
    **extra: Any,
) -> Participant:
    now = clock.now()
    participant = Participant.objects.create(
        name=name,
        email=email,
        email_confirmed_at=now,
        confirmed_at=now,
        created_at=now,
        updated_at=now,
        **extra,
    )
    r5, r7, r9 = point_cells(lat, lon)
    Location.objects.create(
        participant=participant,
        postcode=postcode,
        house_number="1",
        city="X",
        lat=lat,
        lon=lon,
        h3_r5=r5,
        h3_r7=r7,
        h3_r9=r9,
        region=region,
    )
    return participant


class Sink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Sink]:
    """A real SMTP server on 127.0.0.1 (random port); Django's SMTP backend points at it."""
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.PROVIDER_ACCOUNTS = ""
    settings.DEMO_MODE = False
    dispatch_services.reset_provider_state()
    try:
        yield sink
    finally:
        controller.stop()
        dispatch_services.reset_provider_state()


def drain() -> int:
    """Run the dispatch worker's e-mail drain synchronously, as a worker would."""
    return dispatch_services.deliveries_drain(channel="email", wait_for_retries=False)


@pytest.fixture
def people(world: World) -> dict[str, Any]:
    testdam = Region.objects.get(code="GM9001")
    andersdorp = Region.objects.get(code="GM9002")
    return {
        "anna": make_participant(
            name="Anna de Vries",
            email="anna@example.nl",
            postcode="1234 AB",
            lat=52.05,
            lon=5.05,
            region=testdam,
        ),
        "bob": make_participant(
            name="Bob Bakker",
            email="bob@example.nl",
            postcode="1234 CD",
            lat=52.06,
            lon=5.04,
            region=testdam,
        ),
        # Same town, other postcode: not targeted.
        "carla": make_participant(
            name="Carla Smit",
            email="carla@example.nl",
            postcode="5678 EF",
            lat=52.02,
            lon=5.02,
            region=testdam,
        ),
        # Not interested in crime: an inquiry skips her.
        "dirk": make_participant(
            name="Dirk Prins",
            email="dirk@example.nl",
            postcode="1234 AB",
            lat=52.05,
            lon=5.05,
            region=testdam,
            categories=["prevention"],
        ),
        # Other police unit.
        "eva": make_participant(
            name="Eva Jansen",
            email="eva@example.nl",
            postcode="9999 ZZ",
            lat=52.35,
            lon=5.55,
            region=andersdorp,
        ),
    }
