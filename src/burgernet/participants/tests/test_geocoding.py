"""The one geocoding function: geocoder first, municipality centre as the honest fallback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from burgernet.participants import services
from burgernet.participants.models import LocationPrecision
from burgernet.participants.services import LocationInput, ParticipantError, location_locate

pytestmark = pytest.mark.django_db


@dataclass
class _Found:
    lat: float
    lon: float
    precision: str = "address"


class _Geocoder:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str]] = []

    def lookup(self, postcode: str, house_number: str) -> Any:
        self.calls.append((postcode, house_number))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _use(monkeypatch: pytest.MonkeyPatch, geocoder: _Geocoder) -> None:
    monkeypatch.setattr(services, "_geocoder", lambda: geocoder)


def test_geocoder_point_wins_with_region_and_precision(
    monkeypatch: pytest.MonkeyPatch, regions: Any
) -> None:
    geocoder = _Geocoder(_Found(52.35, 5.55))
    _use(monkeypatch, geocoder)
    point = location_locate(
        data=LocationInput(postcode="1234 AB", house_number="12a", city="Testdam")
    )
    assert geocoder.calls == [("1234 AB", "12a")]
    assert (point.lat, point.lon, point.precision) == (52.35, 5.55, LocationPrecision.ADDRESS)
    assert point.region == regions[1]  # where the geocoder put it, not the typed town


def test_offline_geocoder_is_marked_approximate(
    monkeypatch: pytest.MonkeyPatch, regions: Any
) -> None:
    _use(monkeypatch, _Geocoder(_Found(52.05, 5.05, precision="approximate")))
    point = location_locate(data=LocationInput(postcode="1234 AB", house_number="1", city=""))
    assert point.precision == LocationPrecision.APPROXIMATE


@pytest.mark.parametrize("answer", [None, RuntimeError("service down")])
def test_nothing_found_or_outage_falls_back_to_the_municipality(
    monkeypatch: pytest.MonkeyPatch, regions: Any, answer: Any
) -> None:
    _use(monkeypatch, _Geocoder(answer))
    point = location_locate(
        data=LocationInput(postcode="1234 AB", house_number="1", city="andersdorp")
    )
    assert point.precision == LocationPrecision.MUNICIPALITY
    assert point.region == regions[1]


def test_unknown_place_names_the_field(monkeypatch: pytest.MonkeyPatch, regions: Any) -> None:
    with pytest.raises(ParticipantError) as info:
        location_locate(
            data=LocationInput(
                postcode="1234 AB", house_number="1", city="Atlantis", field_prefix="work_"
            )
        )
    assert info.value.field == "work_city"


def test_map_point_is_used_as_is(regions: Any) -> None:
    point = location_locate(data=LocationInput(lat=52.05, lon=5.05))
    assert point.precision == LocationPrecision.MAP and point.region == regions[0]
