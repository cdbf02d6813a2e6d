"""The demo generator: real municipalities, synthetic participants, loaded in bulk."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command

from burgernet.geo import demo as geo_demo
from burgernet.geo.cells import point_cells
from burgernet.geo.models import Region
from burgernet.geo.selectors import RegionLocator
from burgernet.participants.demo import _apportion, participants_generate
from burgernet.participants.models import Location, Participant, PhoneNumber
from burgernet.participants.phones import parse_phone, phone_hash
from burgernet.participants.reach import reach_counts, reachable_participants

NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def municipalities() -> None:
    geo_demo.load_municipalities()


def _snapshot() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for p in Participant.objects.order_by("id").prefetch_related("phones", "locations"):
        rows.append(
            (
                p.name,
                p.email,
                p.confirmed_at,
                p.paused_until,
                tuple(p.languages),
                tuple(p.categories),
                tuple(sorted((ph.e164, ph.voice, ph.sms) for ph in p.phones.all())),
                tuple(
                    sorted((loc.kind, loc.lat, loc.lon, loc.region_id) for loc in p.locations.all())
                ),
            )
        )
    return rows


def test_participants_follow_inhabitants_with_correct_regions_cells_and_hashes(
    municipalities: None,
) -> None:
    count = 3000
    report = participants_generate(count=count, seed=5, now=NOW)
    assert report.participants == Participant.objects.count() == count
    assert report.phones == PhoneNumber.objects.count()
    assert report.locations == Location.objects.count()

    # Every Dutch location has its municipality and the right H3 cells.
    locator = RegionLocator()
    dutch = list(
        Location.objects.filter(country="NL").values_list(
            "lat", "lon", "region_id", "h3_r5", "h3_r7", "h3_r9"
        )
    )
    assert dutch
    for lat, lon, region_id, r5, r7, r9 in dutch:
        assert region_id is not None
        assert region_id == locator.region_id(lat, lon)
        assert (r5, r7, r9) == tuple(point_cells(lat, lon))
    # A few live across the border, without a Dutch region.
    abroad = Location.objects.exclude(country="NL")
    assert set(abroad.values_list("country", flat=True)) <= {"BE", "DE"}
    assert abroad.exists()
    assert not abroad.filter(region__isnull=False).exists()

    # Every participant has exactly one home; homes follow inhabitants exactly.
    homes = Counter(Location.objects.filter(kind="home").values_list("region_id", flat=True))
    assert sum(homes.values()) == count
    regions = list(Region.objects.order_by("code").values_list("id", "inhabitants", "name"))
    dutch_homes = count - homes[None]
    expected = _apportion(dutch_homes, [inhabitants for _id, inhabitants, _name in regions])
    assert [homes.get(region_id, 0) for region_id, _i, _n in regions] == expected
    by_name = {name: homes.get(region_id, 0) for region_id, _i, name in regions}
    assert by_name["Amsterdam"] > 100 > by_name["Vlieland"]

    # Phone numbers are valid E.164 with their keyed hash; one or two per participant.
    for e164, number_hash in PhoneNumber.objects.values_list("e164", "number_hash"):
        assert parse_phone(e164) == e164
        assert number_hash == phone_hash(e164)
    per_participant = Counter(PhoneNumber.objects.values_list("participant_id", flat=True))
    assert set(per_participant.values()) <= {1, 2}
    assert len(per_participant) == count

    # The mix: mostly confirmed and active, a few paused and unconfirmed, some work windows.
    unconfirmed = Participant.objects.filter(confirmed_at__isnull=True).count()
    paused = Participant.objects.filter(paused_until__gt=NOW.date()).count()
    assert 0.005 * count < unconfirmed < 0.05 * count
    assert 0.01 * count < paused < 0.06 * count
    work = Location.objects.filter(kind="work")
    assert 0.3 * count < work.count() < 0.5 * count
    assert work.filter(window_start__isnull=False).exists()
    assert work.filter(window_start__gt=dt.time(12)).exists()  # night shifts cross midnight
    assert not Participant.objects.filter(confirmed_at__gt=NOW).exists()
    assert Participant.objects.filter(confirmed_at__lt=NOW - dt.timedelta(days=2 * 365)).exists()
    assert Participant.objects.exclude(email="").filter(email__endswith=".invalid").exists()


def test_same_seed_same_people_other_seed_other_people(municipalities: None) -> None:
    participants_generate(count=300, seed=9, now=NOW)
    first = _snapshot()
    Participant.objects.all().delete()
    participants_generate(count=300, seed=9, now=NOW)
    assert _snapshot() == first
    Participant.objects.all().delete()
    participants_generate(count=300, seed=10, now=NOW)
    assert _snapshot() != first


def test_new_rows_after_a_bulk_load_get_fresh_ids(municipalities: None) -> None:
    participants_generate(count=200, seed=1, now=NOW)
    participants_generate(count=100, seed=2, now=NOW)
    assert Participant.objects.count() == 300
    newcomer = Participant.objects.create(name="Nieuw", created_at=NOW, updated_at=NOW)
    assert newcomer.pk > max(
        Participant.objects.exclude(pk=newcomer.pk).values_list("pk", flat=True)
    )


def test_demo_command_adds_participants_who_can_be_reached() -> None:
    call_command("demo", participants=400, seed=3, verbosity=0)
    assert Participant.objects.count() == 400
    amsterdam = Region.objects.get(name="Amsterdam")
    from burgernet.geo.area import Circle

    lat = (amsterdam.min_lat + amsterdam.max_lat) / 2
    lon = (amsterdam.min_lon + amsterdam.max_lon) / 2
    circle = Circle(lat, lon, 10_000)
    at = dt.datetime.now(dt.UTC)
    counts = reach_counts(area=circle, at=at)
    assert counts["sms"] > 0
    assert counts["sms"] == len(reachable_participants(area=circle, channel="sms", at=at))
