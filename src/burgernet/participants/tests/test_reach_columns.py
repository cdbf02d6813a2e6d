"""The reach columns on locations follow every change to a participant and their numbers.

The reach selector reads only `Location.reach_*` (ADR 0086); database triggers keep them equal
to the participant's state. Each test changes the registry the way a user or a job does
(services, `.update()`, a stale instance saved back, raw SQL, import, erasure) and compares
every location with a recomputation in Python from the participant and phone tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction

from burgernet.core import clock
from burgernet.geo.area import Circle
from burgernet.participants import services
from burgernet.participants.demo import participants_generate
from burgernet.participants.models import (
    CATEGORY_BITS,
    Location,
    Participant,
    PhoneNumber,
)
from burgernet.participants.reach import reach_counts, reachable_participants
from burgernet.participants.tests.factories import make_participant
from burgernet.participants.tests.test_reach import AFTERNOON, DAM, offset
from burgernet.participants.tests.test_reach import make_participant as make_near_dam

pytestmark = pytest.mark.django_db

REACH = (
    "reach_active",
    "reach_paused_until",
    "reach_categories",
    "reach_sms",
    "reach_voice",
    "reach_email",
)


def expected(participant: Participant) -> tuple[Any, ...]:
    """The reach columns as the rules say, computed from the participant and phone rows."""
    phones = list(PhoneNumber.objects.filter(participant=participant, verified_at__isnull=False))
    return (
        participant.confirmed_at is not None and participant.deactivated_at is None,
        participant.paused_until,
        sum(CATEGORY_BITS[c] for c in set(participant.categories)),
        sum(1 for p in phones if p.sms),
        sum(1 for p in phones if p.voice),
        participant.email_confirmed_at is not None and not participant.email_unreachable,
    )


def assert_in_sync() -> int:
    """Every location's reach columns equal `expected` of its participant; returns how many."""
    people = {p.pk: p for p in Participant.objects.all()}
    rows = list(Location.objects.values_list("participant_id", *REACH))
    for participant_id, *stored in rows:
        assert tuple(stored) == expected(people[participant_id]), participant_id
    return len(rows)


@pytest.fixture
def person() -> Participant:
    participant = make_participant(region=None)
    services.location_add(
        participant=participant,
        data=services.LocationInput(kind="work", lat=52.06, lon=5.06, city="Testdam"),
    )
    return participant


def test_new_participants_and_locations_start_in_sync(person: Participant) -> None:
    make_participant(region=None, email="b@example.nl", phone="+31612345679", confirmed=False)
    assert assert_in_sync() == 3
    row = Location.objects.filter(participant=person).values_list(*REACH).first()
    assert row == (True, None, 15, 1, 1, True)


def test_pause_and_resume(person: Participant) -> None:
    until = clock.now().date() + dt.timedelta(days=10)
    services.participant_pause(participant=person, until=until)
    assert set(Location.objects.values_list("reach_paused_until", flat=True)) == {until}
    assert_in_sync()
    services.participant_pause(participant=person, until=None)
    assert assert_in_sync() == 2


def test_categories_email_and_deactivation(person: Participant) -> None:
    services.participant_update(
        participant=person, name="Piet", languages=["nl"], categories=["crime", "crisis"]
    )
    assert set(Location.objects.values_list("reach_categories", flat=True)) == {2 | 8}
    # The mail bounce handler flags with a queryset update, no model save.
    Participant.objects.filter(pk=person.pk).update(email_unreachable=True)
    assert set(Location.objects.values_list("reach_email", flat=True)) == {False}
    Participant.objects.filter(pk=person.pk).update(deactivated_at=clock.now())
    assert set(Location.objects.values_list("reach_active", flat=True)) == {False}
    assert_in_sync()


def test_phone_changes(person: Participant) -> None:
    second = services.phone_add(
        participant=person, data=services.PhoneInput(e164="+31687654321"), verified=True
    )
    assert set(Location.objects.values_list("reach_sms", "reach_voice")) == {(2, 2)}
    services.phone_update_channels(phone=second, voice=True, sms=False)
    assert set(Location.objects.values_list("reach_sms", "reach_voice")) == {(1, 2)}
    PhoneNumber.objects.filter(pk=second.pk).update(verified_at=None)
    assert set(Location.objects.values_list("reach_sms", "reach_voice")) == {(1, 1)}
    first = person.phones.exclude(pk=second.pk).get()
    services.phone_remove(participant=person, phone_id=first.pk)
    assert set(Location.objects.values_list("reach_sms", "reach_voice")) == {(0, 0)}
    assert_in_sync()


def test_a_stale_location_saved_back_keeps_the_current_state(person: Participant) -> None:
    stale = Location.objects.filter(participant=person).first()
    assert stale is not None and stale.reach_active
    Participant.objects.filter(pk=person.pk).update(deactivated_at=clock.now())
    stale.label = "thuis"
    stale.save()  # writes the old reach_active=True from memory
    stale.refresh_from_db()
    assert stale.label == "thuis"
    assert stale.reach_active is False
    assert_in_sync()


def test_raw_sql_and_erasure_are_followed(person: Participant) -> None:
    table = Participant._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET confirmed_at = NULL WHERE id = %s", [person.pk])  # noqa: S608
    assert set(Location.objects.values_list("reach_active", flat=True)) == {False}
    assert_in_sync()
    services.participant_erase(participant=person)
    assert not Location.objects.exists()


def test_a_location_written_before_its_participant_gets_the_columns_when_they_come() -> None:
    """Foreign keys are deferred: fixtures and restores may write a location first."""
    now = clock.now()
    with transaction.atomic():
        Location.objects.create(
            participant_id=987_654, lat=52.0, lon=5.0, h3_r5=1, h3_r7=2, h3_r9=3
        )
        Participant.objects.create(
            id=987_654,
            name="Later",
            email="later@example.nl",
            email_confirmed_at=now,
            confirmed_at=now,
            created_at=now,
            updated_at=now,
        )
    assert Location.objects.values_list("reach_active", "reach_email").get() == (True, True)
    assert_in_sync()


def test_phones_and_locations_can_outlive_their_participant_within_a_transaction(
    person: Participant,
) -> None:
    """A test database flush (and a cascade) may delete the participant's row first."""
    table = Participant._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [person.pk])  # noqa: S608
        PhoneNumber.objects.filter(participant_id=person.pk).delete()  # touches the locations
        Location.objects.filter(participant_id=person.pk).delete()
    assert not Location.objects.exists()


def test_the_selector_sees_a_pause_made_after_the_locations() -> None:
    """End to end: reach follows a change made later through the service."""
    person = make_near_dam([offset(*DAM, 300, 0)])
    circle = Circle(*DAM, 1000)
    assert reach_counts(area=circle, at=AFTERNOON) == {"sms": 1, "voice": 1, "email": 1}
    day = AFTERNOON.date()
    Participant.objects.filter(pk=person.pk).update(paused_until=day + dt.timedelta(days=3))
    assert reach_counts(area=circle, at=AFTERNOON) == {"sms": 0, "voice": 0, "email": 0}
    assert reachable_participants(area=circle, channel="sms", at=AFTERNOON) == []
    assert_in_sync()


def test_the_bulk_loader_writes_the_same_columns_the_triggers_would() -> None:
    from burgernet.geo import demo as geo_demo

    geo_demo.load_municipalities()
    indexes_before = _indexes()
    report = participants_generate(count=300, seed=7, now=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    # PostgreSQL's loader drops the secondary indexes for the COPY and builds them again.
    assert _indexes() == indexes_before
    assert assert_in_sync() == report.locations
    # And the triggers agree with the loader: recompute every row and compare again.
    Location.objects.update(label="")
    assert assert_in_sync() == report.locations


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        return {
            model._meta.db_table: sorted(
                index["columns"].__repr__() + name
                for name, index in connection.introspection.get_constraints(
                    cursor, model._meta.db_table
                ).items()
                if index["index"]
            )
            for model in (Participant, PhoneNumber, Location)
        }


TRIGGERS = {
    "postgresql": {
        "participants_location_reach",
        "participants_participant_reach",
        "participants_participant_reach_insert",
        "participants_phone_reach_insert_delete",
        "participants_phone_reach_update",
    },
    "sqlite": {
        "participants_location_reach_insert",
        "participants_location_reach_update",
        "participants_participant_reach",
        "participants_participant_reach_insert",
        "participants_phone_reach_insert",
        "participants_phone_reach_delete",
        "participants_phone_reach_update",
    },
}


def test_the_triggers_are_installed() -> None:
    """A table rebuild (SQLite's way to alter a table) drops its triggers silently: a later
    migration that rebuilds one of the three tables must create them again."""
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = {row[0] for row in cursor.fetchall()}
    assert TRIGGERS[connection.vendor] <= names
