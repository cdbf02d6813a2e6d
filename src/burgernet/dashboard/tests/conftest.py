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
    make_mailing,
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
    team1: Organisation | None = None


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
    team1 = OrganisationFactory(kind="basic_team", name="Basisteam Een", parent=unit1)
    _mailings(a=a, b=b, c=c, team1=team1)
    for n in range(41):
        services.aggregates_rebuild(day=days_before(n))
    return World(unit1, unit2, centre1, centre2, a, b, c, national, team1)


def _mailings(*, a: Organisation, b: Organisation, c: Organisation, team1: Organisation) -> None:
    """Burgernetmail of every kind of outcome: delivered, bounced (refused, and a bounce
    report in and outside the window), cancelled, replies, unsubscribes, a draft and one
    scheduled for later."""
    from burgernet.mailings.models import MailBounce, MailPreference
    from burgernet.participants.models import Participant

    people = {p.name.split()[0]: p for p in Participant.objects.all()}
    anna, bram, cor, dirk = people["Anna"], people["Bram"], people["Cor"], people["Dirk"]
    gijs, hans = people["Gijs"], people["Hans"]
    make_mailing(
        org=a,
        kind="inquiry",
        sent_at=at(DAY, 11),
        deliveries=[
            (anna, "sent", ""),
            (bram, "sent", ""),  # bounce report the next day
            (cor, "undeliverable", "550 mailbox unknown"),
            (dirk, "failed", "unsubscribed"),  # cancelled before sending: not a bounce
        ],
        replies=[anna, anna, cor],
    )
    make_mailing(
        org=a,
        kind="newsletter",
        sent_at=at(days_before(40), 10),
        deliveries=[(anna, "delivered", ""), (cor, "sent", "")],
        allow_replies=False,
    )
    make_mailing(org=a, kind="inquiry", sent_at=None, deliveries=[], status="draft")
    make_mailing(
        org=a,
        kind="invitation",
        sent_at=at(DAY + dt.timedelta(days=1), 18),  # scheduled: after "now"
        deliveries=[(anna, "queued", "")],
        status="scheduled",
    )
    make_mailing(org=b, kind="prevention", sent_at=at(DAY, 9), deliveries=[(gijs, "sent", "")])
    make_mailing(
        org=team1,
        kind="inquiry",
        sent_at=at(days_before(3), 14),
        deliveries=[(cor, "sent", ""), (gijs, "sent", "")],
        replies=[gijs],
    )
    make_mailing(
        org=c, kind="inquiry", sent_at=at(DAY, 8), deliveries=[(hans, "sent", "")], replies=[hans]
    )
    MailBounce.objects.create(
        address=bram.email, kind="hard", participant=bram, received_at=at(DAY, 23)
    )
    # Anna's bounce comes 10 days after her mail: about something else.
    MailBounce.objects.create(
        address=anna.email,
        kind="soft",
        participant=anna,
        received_at=at(days_before(40), 10) + dt.timedelta(days=10),
    )
    MailPreference.objects.create(participant=cor, unsubscribed_at=at(DAY, 20))  # a and b
    MailPreference.objects.create(participant=hans, unsubscribed_at=at(days_before(2), 20))
    MailPreference.objects.create(participant=gijs, quiet_start=dt.time(22), quiet_end=dt.time(7))


@pytest.fixture
def staff_of():
    def make(org: Organisation, *roles: str):
        return StaffUserFactory(organisation=org, roles=list(roles or [Role.DASHBOARD_VIEWER]))

    return make
