"""Who gets a message in an area: the reach selector and its live counts."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from burgernet.geo.area import Area, Circle, parse_area
from burgernet.geo.cells import point_cells
from burgernet.geo.distance import haversine_m
from burgernet.participants.models import Location, Participant, PhoneNumber
from burgernet.participants.phones import phone_hash
from burgernet.participants.reach import in_window, reach_counts, reachable_participants

AMS = ZoneInfo("Europe/Amsterdam")
DAM = (52.3731, 4.8926)
# A Wednesday in winter, 14:00 local time (13:00 UTC).
AFTERNOON = dt.datetime(2025, 1, 15, 14, 0, tzinfo=AMS).astimezone(dt.UTC)
CREATED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """A point `north_m`/`east_m` metres from (lat, lon) (small distances)."""
    dlat = math.degrees(north_m / 6_371_008.8)
    dlon = math.degrees(east_m / (6_371_008.8 * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def make_participant(
    points: Sequence[tuple[float, float]] = (DAM,),
    *,
    windows: Sequence[tuple[dt.time | None, dt.time | None]] | None = None,
    phones: Sequence[tuple[bool, bool, bool]] = ((True, True, True),),
    email: bool = True,
    confirmed: bool = True,
    paused_until: dt.date | None = None,
    deactivated: bool = False,
    categories: list[str] | None = None,
    email_unreachable: bool = False,
) -> Participant:
    """A participant with one location per point and one phone per (voice, sms, verified)."""
    n = _next()
    participant = Participant.objects.create(
        name=f"Deelnemer {n}",
        email=f"p{n}@example.nl" if email else "",
        email_confirmed_at=CREATED if email else None,
        email_unreachable=email_unreachable,
        confirmed_at=CREATED if confirmed else None,
        paused_until=paused_until,
        deactivated_at=CREATED if deactivated else None,
        categories=categories if categories is not None else ["missing_persons", "crime"],
        created_at=CREATED,
        updated_at=CREATED,
    )
    for i, (lat, lon) in enumerate(points):
        start, end = windows[i] if windows else (None, None)
        cells = point_cells(lat, lon)
        Location.objects.create(
            participant=participant,
            kind="home" if i == 0 else "work",
            lat=lat,
            lon=lon,
            h3_r5=cells.r5,
            h3_r7=cells.r7,
            h3_r9=cells.r9,
            window_start=start,
            window_end=end,
        )
    for j, (voice, sms, verified) in enumerate(phones):
        e164 = f"+3161{n:05d}{j:02d}"
        PhoneNumber.objects.create(
            participant=participant,
            e164=e164,
            number_hash=phone_hash(e164),
            voice=voice,
            sms=sms,
            verified_at=CREATED if verified else None,
        )
    return participant


def ids(area: Area, channel: str = "sms", at: dt.datetime = AFTERNOON, **kw: object) -> set[int]:
    return {
        r.participant_id for r in reachable_participants(area=area, channel=channel, at=at, **kw)
    }  # type: ignore[arg-type]


def assert_counts_agree(
    area: Area, at: dt.datetime = AFTERNOON, category: str | None = None
) -> None:
    counts = reach_counts(area=area, at=at, category=category)
    for channel in ("sms", "voice", "email"):
        assert counts[channel] == len(
            reachable_participants(area=area, channel=channel, at=at, category=category)
        ), channel


pytestmark = pytest.mark.django_db


def test_inside_is_reached_and_twenty_km_away_is_not() -> None:
    near = make_participant([offset(*DAM, 1000, 500)])
    far = make_participant([offset(*DAM, 20_000, 0)])
    circle = Circle(*DAM, 5000)
    for channel in ("sms", "voice", "email"):
        found = ids(circle, channel)
        assert near.pk in found
        assert far.pk not in found
    assert reach_counts(area=circle, at=AFTERNOON) == {"sms": 1, "voice": 1, "email": 1}


def _population(rng: random.Random, size: int, spread_m: float) -> list[Participant]:
    people = []
    for _ in range(size):
        points = [offset(*DAM, rng.gauss(0, spread_m), rng.gauss(0, spread_m))]
        if rng.random() < 0.4:
            points.append(offset(*DAM, rng.gauss(0, spread_m), rng.gauss(0, spread_m)))
        people.append(make_participant(points))
    return people


def test_matches_an_independent_haversine_recount_for_random_circles() -> None:
    rng = random.Random(7)
    _population(rng, 250, 12_000)
    rows = list(Location.objects.values_list("participant_id", "lat", "lon"))
    # The 25 and 40 km circles need more cells than SQLite takes in one statement: chunked path.
    radii = [800, 3000, 5000, 9000, 25_000, 40_000]
    for radius in radii:
        clat, clon = offset(*DAM, rng.uniform(-5000, 5000), rng.uniform(-5000, 5000))
        circle = Circle(clat, clon, radius)
        expected = {pid for pid, lat, lon in rows if haversine_m(clat, clon, lat, lon) <= radius}
        assert ids(circle, "sms") == expected, radius
        assert ids(circle, "email") == expected, radius
        assert reach_counts(area=circle, at=AFTERNOON)["sms"] == len(expected)
        assert_counts_agree(circle)


def _brute_polygon_contains(ring: list[tuple[float, float]], lat: float, lon: float) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_matches_an_independent_recount_for_a_polygon() -> None:
    rng = random.Random(11)
    _population(rng, 200, 6000)
    lat, lon = DAM
    # A concave "L" shape around the Dam.
    ring = [
        (lon - 0.06, lat - 0.03),
        (lon + 0.05, lat - 0.03),
        (lon + 0.05, lat - 0.005),
        (lon - 0.01, lat - 0.005),
        (lon - 0.01, lat + 0.04),
        (lon - 0.06, lat + 0.04),
        (lon - 0.06, lat - 0.03),
    ]
    area = parse_area({"type": "Polygon", "coordinates": [[list(p) for p in ring]]})
    rows = Location.objects.values_list("participant_id", "lat", "lon")
    expected = {pid for pid, plat, plon in rows if _brute_polygon_contains(ring, plat, plon)}
    assert expected, "the test polygon should hold some participants"
    assert ids(area, "voice") == expected
    assert_counts_agree(area)


def test_paused_unconfirmed_deactivated_and_other_category_are_left_out() -> None:
    day = AFTERNOON.astimezone(AMS).date()
    ok = make_participant()
    paused_today = make_participant(paused_until=day)
    paused_later = make_participant(paused_until=day + dt.timedelta(days=30))
    pause_over = make_participant(paused_until=day - dt.timedelta(days=1))
    unconfirmed = make_participant(confirmed=False)
    deactivated = make_participant(deactivated=True)
    prevention_only = make_participant(categories=["prevention"])
    circle = Circle(*DAM, 2000)
    assert ids(circle) == {ok.pk, pause_over.pk, prevention_only.pk}
    assert ids(circle, category="crime") == {ok.pk, pause_over.pk}
    assert ids(circle, category="prevention") == {prevention_only.pk}
    assert ids(circle, "email", category="missing_persons") == {ok.pk, pause_over.pk}
    for person in (paused_today, paused_later, unconfirmed, deactivated):
        assert person.pk not in ids(circle, "voice")
    assert_counts_agree(circle, category="crime")
    assert reach_counts(area=circle, at=AFTERNOON, category="crime")["sms"] == 2


def test_pause_uses_the_local_date() -> None:
    # 23:30 UTC on 15 January is already 16 January in Amsterdam: a pause until the 15th is over.
    late = dt.datetime(2025, 1, 15, 23, 30, tzinfo=dt.UTC)
    person = make_participant(paused_until=dt.date(2025, 1, 15))
    assert ids(Circle(*DAM, 1000), at=late) == {person.pk}
    assert ids(Circle(*DAM, 1000), at=late - dt.timedelta(hours=1)) == set()


@pytest.mark.parametrize(
    ("window", "local_time", "reached"),
    [
        ((dt.time(8), dt.time(17)), dt.time(14), True),
        ((dt.time(8), dt.time(17)), dt.time(7, 59), False),
        ((dt.time(8), dt.time(17)), dt.time(17), False),
        ((dt.time(22), dt.time(6)), dt.time(23, 30), True),
        ((dt.time(22), dt.time(6)), dt.time(2), True),
        ((dt.time(22), dt.time(6)), dt.time(6), False),
        ((dt.time(22), dt.time(6)), dt.time(14), False),
        ((dt.time(22), dt.time(6)), dt.time(22), True),
        ((dt.time(9), dt.time(9)), dt.time(3), True),
        ((None, None), dt.time(3), True),
    ],
)
def test_time_windows_in_the_database(
    window: tuple[dt.time | None, dt.time | None], local_time: dt.time, reached: bool
) -> None:
    person = make_participant(windows=[window])
    # A summer date too, so the UTC offset differs from winter (+02:00).
    for day in (dt.date(2025, 1, 15), dt.date(2025, 7, 15)):
        at = dt.datetime.combine(day, local_time, tzinfo=AMS).astimezone(dt.UTC)
        assert (person.pk in ids(Circle(*DAM, 1000), at=at)) is reached
        assert (reach_counts(area=Circle(*DAM, 1000), at=at)["sms"] == 1) is reached
        assert in_window(*window, local_time) is reached


def test_work_location_outside_its_window_does_not_count_but_home_does() -> None:
    home = offset(*DAM, 30_000, 0)
    night = dt.datetime(2025, 1, 15, 23, 0, tzinfo=AMS).astimezone(dt.UTC)
    person = make_participant([home, DAM], windows=[(None, None), (dt.time(8), dt.time(17))])
    assert ids(Circle(*DAM, 1000)) == {person.pk}
    assert ids(Circle(*DAM, 1000), at=night) == set()
    assert ids(Circle(*home, 1000), at=night) == {person.pk}


def test_home_and_work_inside_are_contacted_once_per_number_via_the_nearest() -> None:
    home = offset(*DAM, 1500, 0)
    work = offset(*DAM, 300, 0)
    person = make_participant([home, work], phones=[(True, True, True), (True, True, True)])
    circle = Circle(*DAM, 3000)
    sms = reachable_participants(area=circle, channel="sms", at=AFTERNOON)
    assert len(sms) == 2
    assert {r.address for r in sms} == set(person.phones.values_list("e164", flat=True))
    work_location = person.locations.get(kind="work")
    assert {r.location_id for r in sms} == {work_location.pk}
    assert sms[0].distance_m == pytest.approx(haversine_m(*DAM, *work), abs=0.01)
    email = reachable_participants(area=circle, channel="email", at=AFTERNOON)
    assert [(r.participant_id, r.address, r.phone_id) for r in email] == [
        (person.pk, person.email, None)
    ]
    assert reach_counts(area=circle, at=AFTERNOON) == {"sms": 2, "voice": 2, "email": 1}


def test_channels_follow_the_phone_switches_and_verification() -> None:
    # voice only, sms only, unverified.
    person = make_participant(
        phones=[(True, False, True), (False, True, True), (True, True, False)]
    )
    circle = Circle(*DAM, 1000)
    sms = reachable_participants(area=circle, channel="sms", at=AFTERNOON)
    voice = reachable_participants(area=circle, channel="voice", at=AFTERNOON)
    phones = {p.e164: p for p in person.phones.all()}
    assert [r.address for r in sms] == [e for e, p in phones.items() if p.sms and p.verified_at]
    assert [r.address for r in voice] == [e for e, p in phones.items() if p.voice and p.verified_at]
    assert all(r.phone_id == phones[r.address].pk for r in sms + voice)


def test_email_needs_a_confirmed_reachable_address() -> None:
    no_email = make_participant(email=False)
    bouncing = make_participant(email_unreachable=True)
    fine = make_participant()
    circle = Circle(*DAM, 1000)
    assert ids(circle, "email") == {fine.pk}
    assert ids(circle, "sms") == {no_email.pk, bouncing.pk, fine.pk}
    assert_counts_agree(circle)


def test_results_are_nearest_first() -> None:
    rng = random.Random(3)
    _population(rng, 40, 2000)
    result = reachable_participants(area=Circle(*DAM, 4000), channel="sms", at=AFTERNOON)
    distances = [r.distance_m for r in result]
    assert distances == sorted(distances)
    assert len(result) > 10


def test_naive_datetimes_and_unknown_channels_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        reachable_participants(area=Circle(*DAM, 1000), channel="sms", at=dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="channel"):
        reachable_participants(area=Circle(*DAM, 1000), channel="fax", at=AFTERNOON)


SECONDS = st.integers(min_value=0, max_value=86_399)


def _time(seconds: int) -> dt.time:
    return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


@given(SECONDS, SECONDS, SECONDS)
def test_in_window_matches_the_clock_arithmetic(start: int, end: int, moment: int) -> None:
    # Independent formulation: walk forward from the start; the window lasts (end - start) mod
    # a day (a full day when start == end).
    duration = (end - start) % 86_400 or 86_400
    expected = (moment - start) % 86_400 < duration
    assert in_window(_time(start), _time(end), _time(moment)) is expected


@given(SECONDS, SECONDS)
def test_a_midnight_crossing_window_is_the_complement_of_its_reverse(start: int, end: int) -> None:
    if start == end:
        return
    for moment in (start, end, (start + 1) % 86_400, (end - 1) % 86_400):
        assert in_window(_time(start), _time(end), _time(moment)) != in_window(
            _time(end), _time(start), _time(moment)
        )


def test_recipients_carry_the_participants_languages_in_their_order() -> None:
    french = make_participant()
    Participant.objects.filter(pk=french.pk).update(languages=["fr", "nl"])
    dutch = make_participant()
    none = make_participant()
    Participant.objects.filter(pk=none.pk).update(languages=[])
    circle = Circle(*DAM, 1000)
    for channel in ("sms", "email"):
        found = {
            r.participant_id: r.languages
            for r in reachable_participants(area=circle, channel=channel, at=AFTERNOON)
        }
        assert found == {french.pk: ("fr", "nl"), dutch.pk: ("nl",), none.pk: ()}, channel
