"""The fixed dataset every dashboard test checks figures against."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine

from burgernet.accounts.models import Organisation, Role
from burgernet.accounts.tests.factories import (
    DispatchCentreFactory,
    OrganisationFactory,
    PoliceUnitFactory,
    StaffUserFactory,
)
from burgernet.actions.models import ActionStatus
from burgernet.dashboard import services
from burgernet.dashboard.tests.factories import (
    make_action,
    make_delivery,
    make_municipality,
    make_participant,
)
from burgernet.participants.models import CounterKind, RegistryCounter

AMS = ZoneInfo("Europe/Amsterdam")
DAY = dt.date(2026, 3, 10)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS)


def days_before(n: int) -> dt.date:
    return DAY - dt.timedelta(days=n)


@dataclass
class World:
    unit1: Organisation
    unit2: Organisation
    centre1: Organisation
    centre2: Organisation
    a: Organisation
    b: Organisation
    c: Organisation
    national: Organisation


@pytest.fixture
def clock_after_day():
    with time_machine.travel(at(DAY + dt.timedelta(days=1), 9), tick=False):
        yield


@pytest.fixture
def world(db, clock_after_day) -> World:
    unit1, unit2 = PoliceUnitFactory(), PoliceUnitFactory()
    centre1 = DispatchCentreFactory(parent=unit1)
    centre2 = DispatchCentreFactory(parent=unit2)
    a = make_municipality("GM0001", 52.0, 5.0, 10_000, unit1)
    b = make_municipality("GM0002", 52.2, 5.2, 40_000, unit1)
    c = make_municipality("GM0003", 51.8, 4.8, 30_000, unit2)
    ra, rb, rc = a.region, b.region, c.region
    assert ra and rb and rc
    national = OrganisationFactory(kind="national", name="Landelijk")
    pa = (ra, 52.0, 5.0)
    pa2 = (ra, 52.01, 5.01)
    pb = (rb, 52.2, 5.2)
    pc = (rc, 51.8, 4.8)
    make_participant(
        name="Anna Web",
        places=[pa],
        confirmed_at=at(days_before(10), 12),
        created_at=at(days_before(10), 11),
        email_confirmed=True,
        phone=(True, True, True),
    )
    make_participant(
        name="Bram Paper",
        places=[pa2],
        confirmed_at=at(DAY, 23, 30),  # 22:30 UTC: still DAY in local time
        created_at=at(DAY, 9),
        source="paper",
        phone=(False, True, True),
    )
    make_participant(
        name="Cor Twee",
        places=[pa, pb],
        confirmed_at=at(days_before(5), 8),
        created_at=at(days_before(5), 7),
        source="staff",
        phone=(True, True, False),
        email_confirmed=True,
    )
    make_participant(
        name="Dirk Weg",
        places=[pa],
        confirmed_at=at(days_before(20), 8),
        created_at=at(days_before(20), 7),
        deactivated_at=at(DAY, 0, 30),  # 23:30 UTC the day before, DAY in local time
    )
    make_participant(
        name="Eva Nooit", places=[pa], confirmed_at=None, created_at=at(days_before(2), 7)
    )
    make_participant(
        name="Fleur Pauze",
        places=[pa],
        confirmed_at=at(days_before(30), 8),
        created_at=at(days_before(30), 7),
        paused_until=DAY + dt.timedelta(days=3),
    )
    make_participant(
        name="Gijs Bee",
        places=[pb],
        confirmed_at=at(days_before(1), 8),
        created_at=at(days_before(1), 7),
        email_confirmed=True,
    )
    make_participant(
        name="Hans Cee",
        places=[pc],
        confirmed_at=at(days_before(3), 8),
        created_at=at(days_before(3), 7),
        phone=(True, False, True),
    )
    RegistryCounter.objects.create(
        date=DAY, region_code="GM0001", kind=CounterKind.SIGNOFF, count=2
    )
    RegistryCounter.objects.create(date=DAY, region_code="GM0001", kind=CounterKind.SIGNUP, count=9)

    d1 = StaffUserFactory(organisation=centre1, roles=[Role.DISPATCHER])
    d2 = StaffUserFactory(organisation=centre2, roles=[Role.DISPATCHER])
    a1 = make_action(
        centre=centre1,
        by=d1,
        type="missing_child",
        started_at=at(DAY, 10),
        regions=[ra],
        responses_after_min=[3, 10],
        outcome="found",
        contributed=True,
        recipients=[(1, "sms"), (1, "voice"), (3, "sms")],
    )
    make_action(
        centre=centre1,
        by=d1,
        type="robbery",
        started_at=at(DAY, 12),
        regions=[ra, rb],
        outcome="no_result",
        recipients=[(3, "sms")],
    )
    a3 = make_action(
        centre=centre2,
        by=d2,
        type="burglary",
        started_at=at(DAY, 14),
        regions=[rc],
        responses_after_min=[5],
        outcome="apprehended",
        contributed=False,
    )
    a4 = make_action(
        centre=centre1,
        by=d1,
        type="robbery",
        started_at=at(DAY, 15),
        regions=[ra],
        responses_after_min=[1],
        exercise=True,
        outcome="apprehended",
        contributed=True,
    )
    make_action(
        centre=centre1,
        by=d1,
        type="robbery",
        started_at=at(DAY, 16),
        regions=[ra],
        status=ActionStatus.DRAFT,
    )
    make_action(
        centre=centre1,
        by=d1,
        type="theft",
        started_at=at(days_before(40), 9),
        regions=[rb],
        responses_after_min=[7],
        outcome="apprehended",
        contributed=True,
    )
    sent = at(DAY, 10, 1)
    make_delivery(source=("action", a1.pk), channel="sms", cost="0.0700", sent_at=sent)
    make_delivery(source=("action", a1.pk), channel="sms", cost="0.1400", sent_at=sent)
    make_delivery(source=("action", a1.pk), channel="voice", cost="0.1200", sent_at=sent)
    make_delivery(source=("action", a1.pk), channel="sms", cost=None, sent_at=None)  # queued
    make_delivery(source=("action", a3.pk), channel="sms", cost="0.0700", sent_at=sent)
    make_delivery(
        source=("action", a4.pk), channel="sms", cost="0.0700", sent_at=sent, exercise=True
    )
    make_delivery(source=("mailing", 1), channel="email", cost="0.0010", sent_at=sent)
    for n in range(41):
        services.aggregates_rebuild(day=days_before(n))
    return World(unit1, unit2, centre1, centre2, a, b, c, national)


@pytest.fixture
def staff_of():
    def make(org: Organisation, *roles: str):
        return StaffUserFactory(organisation=org, roles=list(roles or [Role.DASHBOARD_VIEWER]))

    return make
