"""Geocoders: the PDOK Locatieserver client against a real local HTTP server speaking its
format, and the offline demo geocoder."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ImproperlyConfigured

from burgernet.geo.area import parse_area
from burgernet.geo.geocoding import (
    GeocodingInputError,
    GeocodingUnavailable,
    OfflineGeocoder,
    PdokLocatieserverGeocoder,
    get_geocoder,
)
from burgernet.geo.models import Region

DOCS: list[dict[str, Any]] = [
    {
        "type": "adres",
        "weergavenaam": "Damrak 1, 1012LG Amsterdam",
        "straatnaam": "Damrak",
        "huisnummer": 1,
        "postcode": "1012LG",
        "woonplaatsnaam": "Amsterdam",
        "gemeentecode": "0363",
        "centroide_ll": "POINT(4.89513 52.37546)",
    },
    {
        "type": "adres",
        "weergavenaam": "Damrak 1A, 1012LG Amsterdam",
        "straatnaam": "Damrak",
        "huisnummer": 1,
        "huisletter": "A",
        "postcode": "1012LG",
        "woonplaatsnaam": "Amsterdam",
        "gemeentecode": "0363",
        "centroide_ll": "POINT(4.89520 52.37550)",
    },
    {
        "type": "adres",
        "weergavenaam": "Coolsingel 40, 3011AD Rotterdam",
        "straatnaam": "Coolsingel",
        "huisnummer": 40,
        "postcode": "3011AD",
        "woonplaatsnaam": "Rotterdam",
        "gemeentecode": "0599",
        "centroide_ll": "POINT(4.47917 51.92250)",
    },
]


class FakeLocatieserver(BaseHTTPRequestHandler):
    requests: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        FakeLocatieserver.requests.append(query)
        if url.path.startswith("/slow/"):
            time.sleep(1.5)
        if url.path.startswith("/broken/"):
            return self._send(503, b"Service Unavailable", "text/plain")
        if url.path.startswith("/nojson/"):
            return self._send(200, b"<html>maintenance</html>", "text/html")
        if url.path != "/search/v3_1/free" and not url.path.startswith("/slow/"):
            return self._send(404, b"not found", "text/plain")
        q = query.get("q", [""])[0]
        structured = re.fullmatch(r"postcode:(\w+) AND huisnummer:(\d+)", q)
        if structured:
            docs = [
                d
                for d in DOCS
                if d["postcode"] == structured.group(1)
                and str(d["huisnummer"]) == structured.group(2)
            ]
        else:
            terms = [t.replace("\\", "").lower() for t in q.split()]
            docs = [
                d for d in DOCS if all(t.strip(",") in d["weergavenaam"].lower() for t in terms)
            ]
        body = {"response": {"numFound": len(docs), "start": 0, "docs": docs}}
        self._send(200, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may have given up already (the timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def locatieserver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLocatieserver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeLocatieserver.requests = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def pdok(locatieserver: str, settings: Any) -> PdokLocatieserverGeocoder:
    settings.GEOCODER = "pdok"
    settings.PDOK_LOCATIESERVER_URL = f"{locatieserver}/search/v3_1"
    geocoder = get_geocoder()
    assert isinstance(geocoder, PdokLocatieserverGeocoder)
    return geocoder


def test_pdok_lookup_by_postcode_and_house_number(pdok: PdokLocatieserverGeocoder) -> None:
    result = pdok.lookup("1012 lg", "1")
    assert result is not None
    assert (result.street, result.house_number, result.postcode, result.city) == (
        "Damrak",
        "1",
        "1012LG",
        "Amsterdam",
    )
    assert (result.lat, result.lon) == (52.37546, 4.89513)
    assert result.municipality_code == "GM0363"
    assert result.label == "Damrak 1, 1012LG Amsterdam"
    sent = FakeLocatieserver.requests[-1]
    assert sent["q"] == ["postcode:1012LG AND huisnummer:1"]
    assert sent["fq"] == ["type:adres"]


def test_pdok_lookup_picks_the_house_letter(pdok: PdokLocatieserverGeocoder) -> None:
    result = pdok.lookup("1012LG", "1a")
    assert result is not None and result.house_number == "1A"
    assert result.lon == 4.8952
    # A letter that does not exist is no address (rather than the wrong one).
    assert pdok.lookup("1012LG", "1B") is None


def test_pdok_lookup_unknown_address_is_none(pdok: PdokLocatieserverGeocoder) -> None:
    assert pdok.lookup("9999ZZ", 1) is None


def test_pdok_search_free_text(pdok: PdokLocatieserverGeocoder) -> None:
    results = pdok.search("Coolsingel 40 Rotterdam")
    assert [r.label for r in results] == ["Coolsingel 40, 3011AD Rotterdam"]
    assert results[0].municipality_code == "GM0599"
    assert pdok.search("   ") == []


@pytest.mark.parametrize(
    ("postcode", "number", "field"),
    [
        ("1012", "1", "postcode"),
        ("0123AB", "1", "postcode"),
        ("1012LG", "", "house_number"),
        ("1012LG", "nul", "house_number"),
        ("1012LG", "0", "house_number"),
    ],
)
def test_malformed_input_is_refused_before_asking(
    pdok: PdokLocatieserverGeocoder, postcode: str, number: str, field: str
) -> None:
    with pytest.raises(GeocodingInputError) as info:
        pdok.lookup(postcode, number)
    assert info.value.field == field
    assert FakeLocatieserver.requests == []


def test_pdok_errors_are_clear(locatieserver: str) -> None:
    slow = PdokLocatieserverGeocoder(base_url=f"{locatieserver}/slow", timeout_s=0.2)
    with pytest.raises(GeocodingUnavailable, match=r"did not answer within 0.2 s"):
        slow.lookup("1012LG", 1)
    broken = PdokLocatieserverGeocoder(base_url=f"{locatieserver}/broken")
    with pytest.raises(GeocodingUnavailable, match="HTTP 503"):
        broken.search("Damrak")
    nojson = PdokLocatieserverGeocoder(base_url=f"{locatieserver}/nojson")
    with pytest.raises(GeocodingUnavailable, match="no JSON"):
        nojson.search("Damrak")
    # Nothing listens on port 9 of loopback.
    closed = PdokLocatieserverGeocoder(base_url="http://127.0.0.1:9/search", timeout_s=1)
    with pytest.raises(GeocodingUnavailable, match="unreachable"):
        closed.search("Damrak")


def test_unknown_geocoder_setting_is_a_configuration_error(settings: Any) -> None:
    settings.GEOCODER = "google"
    with pytest.raises(ImproperlyConfigured, match="GEOCODER='google'"):
        get_geocoder()


@pytest.mark.django_db
@pytest.mark.usefixtures("municipalities")
def test_offline_lookup_places_a_postcode_in_its_town(settings: Any) -> None:
    settings.GEOCODER = "offline"
    geocoder = get_geocoder()
    assert isinstance(geocoder, OfflineGeocoder)
    cases = {"1012LG": "GM0363", "3011 AD": "GM0599", "6211CK": "GM0935", "9711LM": "GM0014"}
    for postcode, code in cases.items():
        result = geocoder.lookup(postcode, 12)
        assert result is not None
        assert result.precision == "approximate"
        assert result.municipality_code == code, postcode
    # Deterministic, and different houses land on different spots.
    a, b = geocoder.lookup("1012LG", 12), geocoder.lookup("1012LG", 12)
    c = geocoder.lookup("1012LG", 14)
    assert a == b
    assert a is not None and c is not None and (a.lat, a.lon) != (c.lat, c.lon)


@pytest.mark.django_db
@pytest.mark.usefixtures("municipalities")
def test_offline_lookup_between_ranges_stays_in_the_region() -> None:
    # 1150 (Broek in Waterland) is not in the table: it falls back to the range below it.
    result = OfflineGeocoder().lookup("1151AB", 3)
    assert result is not None and result.city == "Diemen"
    assert Region.objects.filter(code=result.municipality_code).exists() or (
        result.municipality_code == ""
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("municipalities")
def test_offline_search_matches_towns() -> None:
    results = OfflineGeocoder().search("maastricht")
    assert results[0].city == "Maastricht"
    assert results[0].municipality_code == "GM0935"
    assert [r.city for r in OfflineGeocoder().search("Damrak 1, Amsterdam")][:1] == ["Amsterdam"]
    by_postcode = OfflineGeocoder().search("Coolsingel 40, 3011 AD Rotterdam")
    assert len(by_postcode) == 1 and by_postcode[0].house_number == "40"
    assert by_postcode[0].municipality_code == "GM0599"
    # A municipality named after no town, placed inside it.
    fryslan = OfflineGeocoder().search("Súdwest")
    assert [r.municipality_code for r in fryslan] == ["GM1900"]
    area = parse_area(Region.objects.get(code="GM1900").geometry)
    assert area.contains(fryslan[0].lat, fryslan[0].lon)
    assert OfflineGeocoder().search("x") == []
    assert OfflineGeocoder().search("Nergenshuizen") == []
