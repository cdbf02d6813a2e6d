"""Fixtures for the registry tests: two municipalities with real boundaries, staff, SMS capture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from burgernet.accounts.models import Organisation, OrganisationKind, Role
from burgernet.accounts.tests.factories import MunicipalityFactory, StaffUserFactory
from burgernet.geo.models import Region
from burgernet.geo.services import region_import_geojson
from burgernet.participants import services


def _square(code: str, name: str, lat: float, lon: float, size: float = 0.1) -> dict[str, Any]:
    ring = [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon, lat],
    ]
    return {
        "type": "Feature",
        "properties": {"statcode": code, "statnaam": name, "inwoners": 20000},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@pytest.fixture
def regions(db: None) -> tuple[Region, Region]:
    region_import_geojson(
        collection={
            "type": "FeatureCollection",
            "features": [
                _square("GM9001", "Testdam", 52.0, 5.0),
                _square("GM9002", "Andersdorp", 52.3, 5.5),
            ],
        }
    )
    return Region.objects.get(code="GM9001"), Region.objects.get(code="GM9002")


@pytest.fixture
def municipalities(regions: tuple[Region, Region]) -> tuple[Organisation, Organisation]:
    a = MunicipalityFactory(name="Gemeente Testdam", region=regions[0], inhabitants=20000)
    b = MunicipalityFactory(name="Gemeente Andersdorp", region=regions[1], inhabitants=10000)
    return a, b


@pytest.fixture
def officer_a(municipalities: tuple[Organisation, Organisation]) -> Any:
    return StaffUserFactory(organisation=municipalities[0], roles=[Role.REGISTRY_OFFICER])


@pytest.fixture
def national_officer(db: None) -> Any:
    org = Organisation.objects.create(kind=OrganisationKind.NATIONAL, name="Landelijk", code="NAT")
    return StaffUserFactory(organisation=org, roles=[Role.REGISTRY_OFFICER])


@pytest.fixture(autouse=True)
def _no_geocoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests place addresses in the fixture municipalities by name (the fallback), whatever
    geocoder the geo app ships; test_geocoding.py covers the geocoder path."""
    monkeypatch.setattr(services, "_geocoder", lambda: None)


@pytest.fixture(autouse=True)
def _clear_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sms_outbox(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """Every SMS the registry hands to dispatch, captured instead of sent."""
    sent: list[dict[str, str]] = []

    def capture(*, e164: str, text: str, idempotency_key: str) -> None:
        sent.append({"to": e164, "text": text, "key": idempotency_key})

    monkeypatch.setattr(services, "_send_sms_code", capture)
    return sent


def code_from(sms: dict[str, str]) -> str:
    import re

    match = re.search(r"\b(\d{6})\b", sms["text"])
    assert match, sms
    return match.group(1)


SIGNUP_DATA = {
    "name": "Anna de Vries",
    "email": "anna@example.nl",
    "postcode": "1234ab",
    "house_number": "12a",
    "city": "Testdam",
    "phone_1": "06-12345678",
    "phone_1_voice": "on",
    "phone_1_sms": "on",
    "phone_2": "",
    "languages": ["nl", "en"],
    "categories": ["missing_persons", "crime"],
    "age_confirmed": "on",
    "consent": "on",
}


@pytest.fixture
def signup_data() -> dict[str, Any]:
    return dict(SIGNUP_DATA)


@pytest.fixture
def run_on_commit(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Any]:
    """`with run_on_commit(): ...` executes on-commit side effects (mail, SMS) in the test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
