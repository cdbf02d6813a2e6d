"""Who would get a message in an area now: the selector the dispatch engine builds on.

`reachable_participants` returns one `Recipient` per (participant, address) for a channel:
- `sms` / `voice`: one row per phone number that has that channel switched on and is verified;
- `email`: one row per participant with a confirmed e-mail address not marked unreachable.

A participant counts when confirmed, not deactivated, not paused on the local date of `at`
(paused while `paused_until >= that date`), interested in `category` (if given), and has at least
one location inside the area whose time window (local time Europe/Amsterdam, may cross midnight)
includes `at`. These facts are read from the location's `reach_*` columns, which database
triggers keep equal to the participant and their phone numbers (migration 0005, ADR 0086), so
the selection never visits the participant or phone tables until it needs the addresses.
Someone with home and work inside the area is contacted once per address; the recipient records
the matched location nearest to the area's centre and that distance.

Spatial part: `area.cover` gives interior cells (compacted) whose points are inside without
further test, and r9 boundary cells whose points get the exact `area.contains` test in Python.
On PostgreSQL the cover travels as runs of r9 ids (`Cover.finest_ranges`), one index-only range
scan each (ADR 0023): the selection is one statement, `reach_counts` two. On SQLite, IN lists per
stored resolution, chunked to the parameter limit (999). Measured figures:
docs/benchmarks.md.

These selectors are deliberately NOT scoped to a staff user: they run inside the dispatch engine
on behalf of an action or mailing that was already authorised (by the dispatcher's or sender's
scoped service). Never call them from a view to show personal data.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import Lookup

from burgernet.geo.area import Area, Circle
from burgernet.geo.distance import haversine_m
from burgernet.participants.models import (
    CATEGORY_BITS,
    Channel,
    Location,
    Participant,
    PhoneNumber,
)

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
CHANNELS: tuple[str, ...] = (Channel.SMS.value, Channel.VOICE.value, Channel.EMAIL.value)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Recipient:
    """One address to contact: a phone number (sms/voice) or an e-mail address."""

    participant_id: int
    channel: str
    address: str
    #: The PhoneNumber row for sms/voice, None for e-mail.
    phone_id: int | None
    #: The matched location nearest to the area's centre, and its distance to that centre.
    location_id: int
    distance_m: float
    languages: tuple[str, ...]


def in_window(start: dt.time | None, end: dt.time | None, moment: dt.time) -> bool:
    """Whether a local time of day lies in the window [start, end).

    No window (either end missing) or start == end means all day; start > end crosses midnight
    (22:00–06:00 holds 23:30 and 05:59, not 06:00).
    """
    if start is None or end is None or start == end:
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _window_q(moment: dt.time) -> Q:
    """`in_window` as a database filter on Location."""
    return (
        Q(window_start__isnull=True)
        | Q(window_end__isnull=True)
        | Q(window_start=F("window_end"))
        | Q(window_start__lt=F("window_end"), window_start__lte=moment, window_end__gt=moment)
        | (
            Q(window_start__gt=F("window_end"))
            & (Q(window_start__lte=moment) | Q(window_end__gt=moment))
        )
    )


def local_moment(at: dt.datetime) -> tuple[dt.date, dt.time]:
    """The local (Europe/Amsterdam) date and time of day, to the second, of an aware `at`."""
    if at.tzinfo is None:
        raise ValueError("`at` must be an aware datetime")
    local = at.astimezone(LOCAL_TZ)
    return local.date(), local.time().replace(microsecond=0, tzinfo=None)


def _category_bit(category: str) -> int:
    """The category's bit in `Location.reach_categories`; 0 (nobody) for an unknown one."""
    return CATEGORY_BITS.get(category, 0)


#: Per channel, the location condition "has something to send to" (reach columns).
_CHANNEL_Q: dict[str, Q] = {
    Channel.SMS.value: Q(reach_sms__gt=0),
    Channel.VOICE.value: Q(reach_voice__gt=0),
    Channel.EMAIL.value: Q(reach_email=True),
}


def _eligible_locations(
    *, at: dt.datetime, category: str | None, channel: str | None = None
) -> QuerySet[Location]:
    """Locations of reachable participants whose time window includes `at` (no area yet).

    Reads only the location's own reach columns, which the database keeps equal to the
    participant's state (migration 0005, ADR 0086); with `channel`, only participants with an
    address on it.
    """
    day, moment = local_moment(at)
    qs = Location.objects.filter(
        Q(reach_paused_until__isnull=True) | Q(reach_paused_until__lt=day),
        _window_q(moment),
        reach_active=True,
    )
    if category is not None:
        qs = qs.alias(category_hit=F("reach_categories").bitand(_category_bit(category))).filter(
            category_hit__gt=0
        )
    if channel is not None:
        qs = qs.filter(_CHANNEL_Q[channel])
    return qs


#: Ids per statement on PostgreSQL, where they travel as one array parameter.
_ID_ARRAY_CHUNK = 500_000


class _AnyOf(Lookup[Any]):
    """`field = ANY(%s)` with the values as one array parameter (PostgreSQL).

    Tens of thousands of ids as `IN (%s, %s, …)` cost more to send and plan than to run.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


def _id_in(field: str, ids: list[int]) -> Q | _AnyOf:
    """A filter `field IN ids`: one array parameter on PostgreSQL, a plain IN elsewhere."""
    if connection.vendor == "postgresql":
        return _AnyOf(F(field), ids)
    return Q(**{f"{field}__in": ids})


def _chunk_size() -> int:
    limit = connection.features.max_query_params or 60_000
    # Leave room for the other parameters of the statement.
    return max(100, min(limit, 60_000) - 50)


def _chunks(values: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _interior_filters(area: Area, size: int) -> list[Q]:
    """Filters on interior cells, each with at most `size` parameters."""
    filters = []
    for res, cells in sorted(area.cover.interior.items()):
        for chunk in _chunks(sorted(cells), size):
            filters.append(Q(**{f"h3_r{res}__in": chunk}))
    return filters


def _matched_locations(
    *, area: Area, at: dt.datetime, category: str | None, channel: str | None = None
) -> dict[int, tuple[int, float]]:
    """participant id → (nearest matching location id, its distance to the area's centre)."""
    if connection.vendor == "postgresql":
        return _matched_postgres(area=area, at=at, category=category, channel=channel)
    base = _eligible_locations(at=at, category=category, channel=channel)
    size = _chunk_size()
    clat, clon = area.centre
    best: dict[int, tuple[int, float]] = {}

    def offer(location_id: int, participant_id: int, lat: float, lon: float) -> None:
        distance = haversine_m(clat, clon, lat, lon)
        current = best.get(participant_id)
        if current is None or (distance, location_id) < (current[1], current[0]):
            best[participant_id] = (location_id, distance)

    columns = ("id", "participant_id", "lat", "lon")
    for interior in _interior_filters(area, size):
        for row in base.filter(interior).values_list(*columns):
            offer(*row)
    for chunk in _chunks(sorted(area.cover.boundary), size):
        for location_id, participant_id, lat, lon in base.filter(h3_r9__in=chunk).values_list(
            *columns
        ):
            if area.contains(lat, lon):
                offer(location_id, participant_id, lat, lon)
    return best


# PostgreSQL: the cover travels as runs of r9 ids (`Cover.finest_ranges`), one range scan each
# on the r9 covering index, which holds everything the selection needs: cell, participant,
# window, point and the participant's reach columns (ADR 0023, 0086). One statement, one
# round trip, index-only, no visit to the participant or phone tables. The scan is a LATERAL
# subquery fenced with OFFSET 0, so it can only run as a parameterised nested loop: the
# planner cannot estimate a range per run (it guesses a ninth of the table each) and at 2 M
# participants chose to scan all 2.8 M locations and filter by the runs afterwards.
_POSTGRES_RUNS = (
    "unnest(%(lo)s::bigint[], %(hi)s::bigint[], %(exact)s::boolean[]) AS r(lo, hi, exact)"
)
_POSTGRES_RUN_SCAN = """SELECT l.id, l.participant_id, l.lat, l.lon,
        l.reach_sms, l.reach_voice, l.reach_email
    FROM {location} l
    WHERE l.h3_r9 BETWEEN r.lo AND r.hi AND {window} AND {person} OFFSET 0"""
_POSTGRES_PERSON = """l.reach_active
    AND (l.reach_paused_until IS NULL OR l.reach_paused_until < %(day)s)"""
_POSTGRES_CATEGORY = " AND (l.reach_categories & %(category_bit)s) <> 0"
_POSTGRES_CHANNEL = {
    Channel.SMS.value: " AND l.reach_sms > 0",
    Channel.VOICE.value: " AND l.reach_voice > 0",
    Channel.EMAIL.value: " AND l.reach_email",
}
_POSTGRES_MATCHED = """
SELECT l.id, l.participant_id, l.lat, l.lon, r.exact
FROM {runs}
CROSS JOIN LATERAL ({run_scan}) l
"""


def _run_scan(person: str) -> str:
    return _POSTGRES_RUN_SCAN.format(
        location=Location._meta.db_table, window=_POSTGRES_WINDOW, person=person
    )


def _runs_as_params(runs: list[tuple[int, int, bool]]) -> dict[str, list[Any]]:
    return {
        "lo": [lo for lo, _, _ in runs],
        "hi": [hi for _, hi, _ in runs],
        "exact": [exact for _, _, exact in runs],
    }


def _person_params(
    *, at: dt.datetime, category: str | None, channel: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The participant conditions as SQL on the location `l`, and their parameters."""
    day, moment = local_moment(at)
    person = _POSTGRES_PERSON
    params: dict[str, Any] = {"day": day, "moment": moment}
    if category is not None:
        person += _POSTGRES_CATEGORY
        params["category_bit"] = _category_bit(category)
    if channel is not None:
        person += _POSTGRES_CHANNEL[channel]
    return person, params


def _postgres_rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    # The planner cannot estimate a range scan per run (it guesses a ninth of the table for
    # each), so these statements look expensive: PostgreSQL's JIT must be off for them, which
    # settings.py does for every connection (measured 30-440 ms of compilation otherwise).
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _matched_postgres(
    *, area: Area, at: dt.datetime, category: str | None, channel: str | None
) -> dict[int, tuple[int, float]]:
    """`_matched_locations` in one statement; the exact test and distances in Python."""
    runs = _runs_as_params(area.cover.finest_ranges())
    if not runs["lo"]:
        return {}
    person, params = _person_params(at=at, category=category, channel=channel)
    sql = _POSTGRES_MATCHED.format(runs=_POSTGRES_RUNS, run_scan=_run_scan(person))
    rows = _postgres_rows(sql, {**runs, **params})
    clat, clon = area.centre
    # A circle's exact test is the distance to its centre: compute it once per row.
    radius = area.radius_m if isinstance(area, Circle) else None
    contains = area.contains
    best: dict[int, tuple[int, float]] = {}
    for location_id, participant_id, lat, lon, exact in rows:
        distance = haversine_m(clat, clon, lat, lon)
        if exact and not (distance <= radius if radius is not None else contains(lat, lon)):
            continue
        current = best.get(participant_id)
        if current is None or (distance, location_id) < (current[1], current[0]):
            best[participant_id] = (location_id, distance)
    return best


#: The languages as their JSON text: a few distinct lists among millions of people, decoded
#: once each by `_languages` instead of once per row (0.6 s of a 90,000-number list).
_LANGUAGES_TEXT = Cast("languages", TextField())


@functools.lru_cache(maxsize=1024)
def _languages(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text) or ()) if text else ()


def reachable_participants(
    *, area: Area, channel: str, at: dt.datetime, category: str | None = None
) -> list[Recipient]:
    """Everyone who would get a message on `channel` in `area` at `at`, nearest first.

    One Recipient per phone number (sms/voice: channel enabled and number verified) or per
    e-mail address (email: confirmed and not unreachable); a participant with several matching
    locations appears once per address, with the nearest matching location. Sorted by distance
    to the area's centre, then participant and phone id, so the result is deterministic.

    Not staff-scoped: for the dispatch engine acting on an authorised action or mailing.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r} (known: {', '.join(CHANNELS)})")
    matched = _matched_locations(area=area, at=at, category=category, channel=channel)
    recipients: list[Recipient] = []
    size = _chunk_size()
    id_chunk = _ID_ARRAY_CHUNK if connection.vendor == "postgresql" else size
    for chunk in _chunks(sorted(matched), id_chunk):
        if channel == Channel.EMAIL:
            rows: Sequence[tuple[Any, ...]] = list(
                Participant.objects.filter(
                    _id_in("id", chunk), email_confirmed_at__isnull=False, email_unreachable=False
                )
                # A confirmed address is never empty (changing it clears email_confirmed_at);
                # skip one anyway rather than hand the sender an empty address. The counts
                # do not look at the address, so they can use index-only scans.
                .exclude(email="")
                .values_list("id", "email", _LANGUAGES_TEXT)
            )
            for participant_id, email, languages in rows:
                location_id, distance = matched[participant_id]
                recipients.append(
                    Recipient(
                        participant_id=participant_id,
                        channel=channel,
                        address=email,
                        phone_id=None,
                        location_id=location_id,
                        distance_m=distance,
                        languages=_languages(languages),
                    )
                )
        else:
            phone_rows = list(
                PhoneNumber.objects.filter(
                    _id_in("participant_id", chunk), verified_at__isnull=False, **{channel: True}
                ).values_list(
                    "id", "participant_id", "e164", Cast("participant__languages", TextField())
                )
            )
            for phone_id, participant_id, e164, languages in phone_rows:
                location_id, distance = matched[participant_id]
                recipients.append(
                    Recipient(
                        participant_id=participant_id,
                        channel=channel,
                        address=e164,
                        phone_id=phone_id,
                        location_id=location_id,
                        distance_m=distance,
                        languages=_languages(languages),
                    )
                )
    recipients.sort(key=lambda r: (r.distance_m, r.participant_id, r.phone_id or 0))
    return recipients


def reach_counts(*, area: Area, at: dt.datetime, category: str | None = None) -> dict[str, int]:
    """How many addresses each channel would reach ({"sms": n, "voice": n, "email": n}).

    The same rules and the same numbers as `len(reachable_participants(...))` per channel, for
    the dispatcher's live preview while drawing. Everything comes from the locations' reach
    columns: on PostgreSQL the interior is counted in the database (deduplicated per
    participant) and only boundary candidates come to Python for the exact test.

    Not staff-scoped: for the dispatch engine and the console of an authorised dispatcher.
    """
    if connection.vendor == "postgresql":
        return _counts_postgres(area=area, at=at, category=category)
    base = _eligible_locations(at=at, category=category)
    size = _chunk_size()
    columns = ("participant_id", "reach_sms", "reach_voice", "reach_email")
    people: dict[int, tuple[int, int, bool]] = {}
    for interior in _interior_filters(area, size):
        for participant_id, sms, voice, email in base.filter(interior).values_list(*columns):
            people[participant_id] = (sms, voice, email)
    for chunk in _chunks(sorted(area.cover.boundary), size):
        for participant_id, sms, voice, email, lat, lon in base.filter(h3_r9__in=chunk).values_list(
            *columns, "lat", "lon"
        ):
            if participant_id not in people and area.contains(lat, lon):
                people[participant_id] = (sms, voice, email)
    return {
        "sms": sum(sms for sms, _, _ in people.values()),
        "voice": sum(voice for _, voice, _ in people.values()),
        "email": sum(1 for _, _, email in people.values() if email),
    }


_POSTGRES_WINDOW = """(l.window_start IS NULL OR l.window_end IS NULL
        OR l.window_start = l.window_end
        OR (l.window_start < l.window_end
            AND l.window_start <= %(moment)s AND l.window_end > %(moment)s)
        OR (l.window_start > l.window_end
            AND (l.window_start <= %(moment)s OR l.window_end > %(moment)s)))"""
# The interior runs' locations plus the exactly tested boundary hits (`extra_*`), one row per
# participant (a participant's locations all carry the same reach columns), summed.
_POSTGRES_COUNTS = """
WITH hits AS (
    SELECT l.participant_id AS id, l.reach_sms AS sms, l.reach_voice AS voice,
           l.reach_email AS mail
    FROM {runs} CROSS JOIN LATERAL ({run_scan}) l
    UNION
    SELECT * FROM unnest(%(extra_id)s::bigint[], %(extra_sms)s::smallint[],
                         %(extra_voice)s::smallint[], %(extra_mail)s::boolean[])
)
SELECT count(*) FILTER (WHERE mail), coalesce(sum(sms), 0), coalesce(sum(voice), 0) FROM hits
"""
# Boundary candidates only, with their reach columns.
_POSTGRES_BOUNDARY = """
SELECT l.participant_id, l.lat, l.lon, l.reach_sms, l.reach_voice, l.reach_email
FROM {runs} CROSS JOIN LATERAL ({run_scan}) l
"""


def _counts_postgres(*, area: Area, at: dt.datetime, category: str | None) -> dict[str, int]:
    """Two statements: the boundary candidates (exact test here), then the counts."""
    runs = area.cover.finest_ranges()
    interior = [run for run in runs if not run[2]]
    boundary = [run for run in runs if run[2]]
    person, params = _person_params(at=at, category=category)
    tables = {"runs": _POSTGRES_RUNS, "run_scan": _run_scan(person)}
    extra: dict[int, tuple[int, int, bool]] = {}
    if boundary:
        rows = _postgres_rows(
            _POSTGRES_BOUNDARY.format(**tables), {**_runs_as_params(boundary), **params}
        )
        for participant_id, lat, lon, sms, voice, email in rows:
            if participant_id not in extra and area.contains(lat, lon):
                extra[participant_id] = (sms, voice, email)
    if not interior and not extra:
        return dict.fromkeys(CHANNELS, 0)
    ids = sorted(extra)
    rows = _postgres_rows(
        _POSTGRES_COUNTS.format(**tables),
        {
            **_runs_as_params(interior),
            **params,
            "extra_id": ids,
            "extra_sms": [extra[i][0] for i in ids],
            "extra_voice": [extra[i][1] for i in ids],
            "extra_mail": [extra[i][2] for i in ids],
        },
    )
    email, sms, voice = rows[0] if rows else (0, 0, 0)
    return {"sms": int(sms), "voice": int(voice), "email": int(email)}
