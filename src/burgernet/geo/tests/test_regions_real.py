"""Point → municipality on the real shipped boundaries (342 municipalities of 2025)."""

from __future__ import annotations

import pytest

from burgernet.geo.models import Region
from burgernet.geo.selectors import RegionLocator, region_for_point

PLACES = [
    ("Amsterdam, Dam", 52.3731, 4.8926, "GM0363"),
    ("Rotterdam, Coolsingel", 51.9225, 4.4792, "GM0599"),
    ("Maastricht, Vrijthof", 50.8489, 5.6881, "GM0935"),
    ("Groningen, Grote Markt", 53.2194, 6.5665, "GM0014"),
    ("Utrecht, Domplein", 52.0907, 5.1214, "GM0344"),
    ("North Sea off Egmond", 52.62, 4.30, None),
    ("Gronau, Germany", 52.2122, 7.0236, None),
    ("Poppel, Belgium", 51.4436, 5.0379, None),
    ("Straelen-Herongen, Germany", 51.3695, 6.2440, None),
]


@pytest.mark.django_db
@pytest.mark.usefixtures("municipalities")
@pytest.mark.parametrize(("place", "lat", "lon", "code"), PLACES)
def test_region_for_point_on_real_boundaries(
    place: str, lat: float, lon: float, code: str | None
) -> None:
    region = region_for_point(lat=lat, lon=lon)
    assert (region.code if region else None) == code, place


@pytest.mark.django_db
@pytest.mark.usefixtures("municipalities")
def test_region_locator_agrees_with_region_for_point() -> None:
    assert Region.objects.count() == 342
    locator = RegionLocator()
    codes = dict(Region.objects.values_list("id", "code"))
    for place, lat, lon, code in PLACES:
        region_id = locator.region_id(lat, lon)
        assert (codes[region_id] if region_id else None) == code, place
