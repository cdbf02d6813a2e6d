"""The fast circle cover is exact: a randomized check against the point-by-point answer.

`Circle.cover` judges whole cells by a bound on how far their finest descendants reach; these
tests check that bound against H3 itself and check the cover against `Circle.contains` for many
points, most of them in a thin band around the edge where a wrong bound would show first.
"""

from __future__ import annotations

import math
import random

import h3.api.basic_int as h3
import pytest

from burgernet.geo.area import (
    _DESCENDANT_BOUND_FACTOR,
    Circle,
    _circle_cells,
    _circumradius,
)
from burgernet.geo.cells import FINEST, RESOLUTIONS, point_cells
from burgernet.geo.distance import haversine_m

R = 6_371_008.8


def offset_point(lat: float, lon: float, bearing: float, distance: float) -> tuple[float, float]:
    # Small-distance flat offset: exact enough to place points around an edge; the verdict is
    # always taken from Circle.contains, never from this.
    dlat = math.degrees(distance * math.cos(bearing) / R)
    dlon = math.degrees(distance * math.sin(bearing) / (R * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


@pytest.mark.parametrize("seed", range(4))
def test_circle_cover_matches_exact_containment_for_random_points(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(10):
        circle = Circle(rng.uniform(50.5, 53.6), rng.uniform(3.2, 7.3), rng.uniform(50, 25_000))
        cover = circle.cover
        for _ in range(1_500):
            lat, lon = offset_point(
                circle.lat,
                circle.lon,
                rng.uniform(0, 2 * math.pi),
                circle.radius_m * rng.choice([rng.uniform(0.95, 1.05), rng.uniform(0, 1.5)]),
            )
            cells = point_cells(lat, lon)
            verdict = cover.contains_cell_of({5: cells.r5, 7: cells.r7, 9: cells.r9})
            if circle.contains(lat, lon):
                assert verdict is not False, (circle, lat, lon)
            else:
                assert verdict is not True, (circle, lat, lon)


def test_every_finest_cell_of_the_cover_is_judged_like_its_points() -> None:
    """Interior cells lie wholly inside (all vertices of all finest cells), none is missed."""
    circle = Circle(52.37, 4.89, 2_500)
    cover = circle.cover
    for cell in cover.all_finest() - cover.boundary:
        for lat, lon in h3.cell_to_boundary(cell):
            assert circle.contains(lat, lon)
    # Every finest cell near the circle whose centre is inside is in the cover.
    origin = h3.latlng_to_cell(circle.lat, circle.lon, FINEST)
    covered = cover.all_finest()
    for cell in h3.grid_disk(origin, 20):
        if circle.contains(*h3.cell_to_latlng(cell)):
            assert cell in covered


@pytest.mark.parametrize("res", list(range(RESOLUTIONS[0], FINEST)))
def test_descendant_bound_factor_covers_how_far_children_stick_out(res: int) -> None:
    rng = random.Random(res)
    for _ in range(8 if res <= 6 else 25):
        cell = h3.latlng_to_cell(rng.uniform(-60, 70), rng.uniform(-180, 180), res)
        clat, clon = h3.cell_to_latlng(cell)
        reach = max(
            haversine_m(clat, clon, lat, lon)
            for child in h3.cell_to_children(cell, FINEST)
            for lat, lon in h3.cell_to_boundary(child)
        )
        # Keep at least 10 % of room for local variation in cell size.
        assert reach * 1.1 <= _circumradius(cell) * _DESCENDANT_BOUND_FACTOR


def test_cover_is_cached_per_exact_circle() -> None:
    _circle_cells.cache_clear()
    a = Circle(52.0, 5.0, 3_000).cover
    b = Circle(52.0, 5.0, 3_000).cover
    c = Circle(52.0, 5.0, 3_001).cover
    assert a == b
    assert _circle_cells.cache_info().hits == 1
    assert c != a


def test_circle_cover_is_exact_around_an_h3_pentagon() -> None:
    """Cells are most distorted at the twelve pentagons (validation allows any place on earth)."""
    rng = random.Random(12)
    for pentagon in list(h3.get_pentagons(5))[:3]:
        lat, lon = h3.cell_to_latlng(pentagon)
        circle = Circle(lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05), 20_000)
        cover = circle.cover
        for _ in range(1_000):
            plat, plon = offset_point(
                circle.lat, circle.lon, rng.uniform(0, 2 * math.pi), 20_000 * rng.uniform(0.9, 1.1)
            )
            cells = point_cells(plat, plon)
            verdict = cover.contains_cell_of({5: cells.r5, 7: cells.r7, 9: cells.r9})
            if circle.contains(plat, plon):
                assert verdict is not False
            else:
                assert verdict is not True
