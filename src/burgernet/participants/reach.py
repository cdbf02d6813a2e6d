"""Who would get a message in an area now: the selector the dispatch engine builds on.

`reachable_participants` returns one `Recipient` per (participant, address) for a channel:
- `sms` / `voice`: one row per phone number that has that channel switched on and is verified;
- `email`: one row per participant with a confirmed e-mail address not marked unreachable.

A participant counts when confirmed, not deactivated, not paused on the local date of `at`
(paused while `paused_until >= that date`), interested in `category` (if given), and has at least
one location inside the area whose time window (local time Europe/Amsterdam, may cross midnight)
includes `at`. Someone with home and work inside the area is contacted once per address; the
recipient records the matched location nearest to the area's centre and that distance.

Spatial part: `area.cover` gives interior cells (compacted) whose points are inside without
further test, and r9 boundary cells whose points get the exact `area.contains` test in Python.
On PostgreSQL the cover travels as runs of r9 ids (`Cover.finest_ranges`), one index-only range
scan each (ADR 0023): the selection is one statement, `reach_counts` two. On SQLite, IN lists
per stored resolution, chunked to the parameter limit (999). Measured figures:
docs/benchmarks.md.

These selectors are deliberately NOT scoped to a staff user: they run inside the dispatch engine
on behalf of an action or mailing that was already authorised (by the dispatcher's or sender's
scoped service). Never call them from a view to show personal data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import BooleanField, Count, F, Func, Q, QuerySet, Value
from django.db.models.lookups import Lookup

from burgernet.geo.area import Area, Circle
from burgernet.geo.distance import haversine_m
from burgernet.participants.models import Channel, Location, Participant, PhoneNumber

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


def _eligible_locations(*, at: dt.datetime, category: str | None) -> QuerySet[Location]:
    """Locations of reachable participants whose time window includes `at` (no area yet)."""
    day, moment = local_moment(at)
    qs = Location.objects.filter(
        participant__confirmed_at__isnull=False,
        participant__deactivated_at__isnull=True,
    ).filter(
        Q(participant__paused_until__isnull=True) | Q(participant__paused_until__lt=day),
        _window_q(moment),
    )
    if category is not None:
        qs = _with_category(qs, category)
    return qs


class _JsonListHas(Func):
    """SQLite: whether a JSON list column holds a value (`json_each` membership test).

    Compiled from expressions, so the column carries whatever alias the query gives its table
    (a hard-coded table name broke when the queryset became a subquery of another model's
    query: the reach preview on SQLite failed for every action type with a category).
    """

    output_field = BooleanField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        column, value = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        value_sql, value_params = compiler.compile(value)
        # Both parts are compiled expressions; the value travels as a parameter.
        sql = f"EXISTS (SELECT 1 FROM json_each({column_sql}) WHERE json_each.value = {value_sql})"  # noqa: S608
        return sql, [*column_params, *value_params]


def _with_category(qs: QuerySet[Location], category: str) -> QuerySet[Location]:
    """Participants whose `categories` JSON list holds `category`, on PostgreSQL and SQLite."""
    if connection.vendor == "postgresql":
        return qs.filter(participant__categories__contains=[category])
    # SQLite has no JSON containment lookup in Django; json_each does the same membership test.
    has = _JsonListHas(F("participant__categories"), Value(category))
    return qs.alias(has_category=has).filter(has_category=True)


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
    *, area: Area, at: dt.datetime, category: str | None
) -> dict[int, tuple[int, float]]:
    """participant id → (nearest matching location id, its distance to the area's centre)."""
    if connection.vendor == "postgresql":
        return _matched_postgres(area=area, at=at, category=category)
    base = _eligible_locations(at=at, category=category)
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
# on the r9 covering index (index-only: cell, participant, window, point), then one primary-key
# probe of the participant covering index per location. One statement, one round trip.
# Both are LATERAL subqueries fenced with OFFSET 0, so they can only run as parameterised
# nested loops: the planner cannot estimate a range per run (it guesses a ninth of the table
# each) and at 2 M participants chose to scan all 2.8 M locations, probe every participant and
# filter by the runs afterwards (minutes instead of tens of milliseconds).
_POSTGRES_RUNS = (
    "unnest(%(lo)s::bigint[], %(hi)s::bigint[], %(exact)s::boolean[]) AS r(lo, hi, exact)"
)
_POSTGRES_RUN_SCAN = """SELECT l.id, l.participant_id, l.lat, l.lon FROM {location} l
    WHERE l.h3_r9 BETWEEN r.lo AND r.hi AND {window} OFFSET 0"""
_POSTGRES_PERSON = """p.confirmed_at IS NOT NULL AND p.deactivated_at IS NULL
    AND (p.paused_until IS NULL OR p.paused_until < %(day)s)"""
_POSTGRES_CATEGORY = " AND p.categories @> %(category)s::jsonb"
_POSTGRES_MATCHED = """
SELECT l.id, l.participant_id, l.lat, l.lon, r.exact
FROM {runs}
CROSS JOIN LATERAL ({run_scan}) l
CROSS JOIN LATERAL (
    SELECT 1 FROM {participant} p WHERE p.id = l.participant_id AND {person} OFFSET 0
) ok
"""


def _run_scan() -> str:
    return _POSTGRES_RUN_SCAN.format(location=Location._meta.db_table, window=_POSTGRES_WINDOW)


def _runs_as_params(runs: list[tuple[int, int, bool]]) -> dict[str, list[Any]]:
    return {
        "lo": [lo for lo, _, _ in runs],
        "hi": [hi for _, hi, _ in runs],
        "exact": [exact for _, _, exact in runs],
    }


def _person_params(*, at: dt.datetime, category: str | None) -> tuple[str, dict[str, Any]]:
    """The participant conditions as SQL on `p`, and their parameters (with `moment`)."""
    day, moment = local_moment(at)
    person = _POSTGRES_PERSON
    params: dict[str, Any] = {"day": day, "moment": moment}
    if category is not None:
        person += _POSTGRES_CATEGORY
        params["category"] = json.dumps([category])
    return person, params


def _postgres_rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    # The planner cannot estimate a range scan per run (it guesses a ninth of the table for
    # each), so these statements look expensive: PostgreSQL's JIT must be off for them, which
    # settings.py does for every connection (measured 30-440 ms of compilation otherwise).
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _matched_postgres(
    *, area: Area, at: dt.datetime, category: str | None
) -> dict[int, tuple[int, float]]:
    """`_matched_locations` in one statement; the exact test and distances in Python."""
    runs = _runs_as_params(area.cover.finest_ranges())
    if not runs["lo"]:
        return {}
    person, params = _person_params(at=at, category=category)
    sql = _POSTGRES_MATCHED.format(
        runs=_POSTGRES_RUNS,
        run_scan=_run_scan(),
        participant=Participant._meta.db_table,
        person=person,
    )
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
    matched = _matched_locations(area=area, at=at, category=category)
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
                .values_list("id", "email", "languages")
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
                        languages=tuple(languages or ()),
                    )
                )
        else:
            phone_rows = list(
                PhoneNumber.objects.filter(
                    _id_in("participant_id", chunk), verified_at__isnull=False, **{channel: True}
                ).values_list("id", "participant_id", "e164", "participant__languages")
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
                        languages=tuple(languages or ()),
                    )
                )
    recipients.sort(key=lambda r: (r.distance_m, r.participant_id, r.phone_id or 0))
    return recipients


def reach_counts(*, area: Area, at: dt.datetime, category: str | None = None) -> dict[str, int]:
    """How many addresses each channel would reach ({"sms": n, "voice": n, "email": n}).

    The same rules and the same numbers as `len(reachable_participants(...))` per channel, for
    the dispatcher's live preview while drawing. Counting happens in the database for interior
    cells; only boundary candidates come to Python for the exact test.

    Not staff-scoped: for the dispatch engine and the console of an authorised dispatcher.
    """
    if connection.vendor == "postgresql":
        return _counts_postgres(area=area, at=at, category=category)
    base = _eligible_locations(at=at, category=category)
    size = _chunk_size()
    interior_filters = _interior_filters(area, size)
    if len(interior_filters) > 1:
        # Too many cells for one statement (huge areas on SQLite): count the long way.
        matched = _matched_locations(area=area, at=at, category=category)
        return _count_for_participants(list(matched))
    interior_q = interior_filters[0] if interior_filters else None

    # Boundary candidates: exact test in Python.
    boundary_hits: set[int] = set()
    for chunk in _chunks(sorted(area.cover.boundary), size):
        for participant_id, lat, lon in base.filter(h3_r9__in=chunk).values_list(
            "participant_id", "lat", "lon"
        ):
            if participant_id not in boundary_hits and area.contains(lat, lon):
                boundary_hits.add(participant_id)

    counts = dict.fromkeys(CHANNELS, 0)
    extra = boundary_hits
    if interior_q is not None:
        interior_ids = base.filter(interior_q).values("participant_id")
        _add(counts, _count_query(interior_ids))
        # Boundary hits that also match through an interior location are already counted.
        budget = max(100, size - sum(len(c) for c in area.cover.interior.values()))
        already: set[int] = set()
        for chunk in _chunks(sorted(boundary_hits), budget):
            already.update(
                base.filter(interior_q, participant_id__in=chunk).values_list(
                    "participant_id", flat=True
                )
            )
        extra = boundary_hits - already
    for chunk in _chunks(sorted(extra), size):
        _add(counts, _count_query(chunk))
    return counts


_POSTGRES_WINDOW = """(l.window_start IS NULL OR l.window_end IS NULL
        OR l.window_start = l.window_end
        OR (l.window_start < l.window_end
            AND l.window_start <= %(moment)s AND l.window_end > %(moment)s)
        OR (l.window_start > l.window_end
            AND (l.window_start <= %(moment)s OR l.window_end > %(moment)s)))"""
# The interior runs' people ∪ the exactly tested boundary hits (`extra`), deduplicated; then
# each person's eligibility and phones by primary-key/foreign-key probes of covering indexes
# (LATERAL … OFFSET 0 keeps them nested loops: the planner overestimates the runs and would
# otherwise scan the whole participant and phone tables).
_POSTGRES_COUNTS = """
WITH hits AS (
    SELECT l.participant_id AS id FROM {runs} CROSS JOIN LATERAL ({run_scan}) l
    UNION
    SELECT unnest(%(extra)s::bigint[])
), people AS MATERIALIZED (
    SELECT hits.id, ok.mail
    FROM hits
    JOIN LATERAL (
        SELECT (p.email_confirmed_at IS NOT NULL AND NOT p.email_unreachable) AS mail
        FROM {participant} p WHERE p.id = hits.id AND {person} OFFSET 0
    ) ok ON true
)
SELECT count(*) FILTER (WHERE people.mail), coalesce(sum(ph.sms), 0), coalesce(sum(ph.voice), 0)
FROM people
JOIN LATERAL (
    SELECT count(*) FILTER (WHERE x.sms) AS sms, count(*) FILTER (WHERE x.voice) AS voice
    FROM {phone} x WHERE x.participant_id = people.id AND x.verified_at IS NOT NULL OFFSET 0
) ph ON true
"""
# Boundary candidates only: their eligibility is checked by the count statement.
_POSTGRES_BOUNDARY = """
SELECT l.participant_id, l.lat, l.lon FROM {runs} CROSS JOIN LATERAL ({run_scan}) l
"""


def _counts_postgres(*, area: Area, at: dt.datetime, category: str | None) -> dict[str, int]:
    """Two statements: the boundary candidates (exact test here), then the counts."""
    runs = area.cover.finest_ranges()
    interior = [run for run in runs if not run[2]]
    boundary = [run for run in runs if run[2]]
    person, params = _person_params(at=at, category=category)
    tables = {
        "runs": _POSTGRES_RUNS,
        "run_scan": _run_scan(),
        "participant": Participant._meta.db_table,
        "phone": PhoneNumber._meta.db_table,
        "person": person,
    }
    extra: set[int] = set()
    if boundary:
        rows = _postgres_rows(
            _POSTGRES_BOUNDARY.format(**tables), {**_runs_as_params(boundary), **params}
        )
        extra = {pid for pid, lat, lon in rows if area.contains(lat, lon)}
    if not interior and not extra:
        return dict.fromkeys(CHANNELS, 0)
    rows = _postgres_rows(
        _POSTGRES_COUNTS.format(**tables),
        {**_runs_as_params(interior), **params, "extra": sorted(extra)},
    )
    email, sms, voice = rows[0] if rows else (0, 0, 0)
    return {"sms": int(sms), "voice": int(voice), "email": int(email)}


def _count_query(participant_ids: QuerySet[Any] | list[int]) -> dict[str, int]:
    """Counts per channel for the participants in `participant_ids` (a list or a subquery)."""
    phones = PhoneNumber.objects.filter(
        participant_id__in=participant_ids, verified_at__isnull=False
    ).aggregate(sms=Count("id", filter=Q(sms=True)), voice=Count("id", filter=Q(voice=True)))
    email = Participant.objects.filter(
        id__in=participant_ids, email_confirmed_at__isnull=False, email_unreachable=False
    ).count()
    return {"sms": phones["sms"], "voice": phones["voice"], "email": email}


def _count_for_participants(participant_ids: list[int]) -> dict[str, int]:
    counts = dict.fromkeys(CHANNELS, 0)
    for chunk in _chunks(sorted(participant_ids), _chunk_size()):
        _add(counts, _count_query(chunk))
    return counts


def _add(total: dict[str, int], part: dict[str, int]) -> None:
    for key, value in part.items():
        total[key] += value
