"""Property tests for areas: containment, covers, GeoJSON in and out, rejected input.

The distances used to judge `Circle.contains` are written here independently of
`burgernet.geo.distance` (haversine in atan2 form, cross-checked with a unit-vector form on
the same sphere), so a mistake in one is not repeated in the other.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from burgernet.geo.area import MAX_RADIUS_M, AreaError, Circle, Polygon, parse_area
from burgernet.geo.cells import point_cells

R = 6_371_008.8
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sphere_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance via unit vectors and atan2 (well-conditioned at all distances)."""

    def vec(lat: float, lon: float) -> tuple[float, float, float]:
        p, q = math.radians(lat), math.radians(lon)
        return math.cos(p) * math.cos(q), math.cos(p) * math.sin(q), math.sin(p)

    ax, ay, az = vec(lat1, lon1)
    bx, by, bz = vec(lat2, lon2)
    cx, cy, cz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
    return R * math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine in its atan2 form, written here independently of the product's."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * R * math.atan2(math.sqrt(h), math.sqrt(1 - h))


def destination(
    lat: float, lon: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """The point `distance_m` from (lat, lon) along `bearing_deg` on the sphere."""
    delta = distance_m / R
    phi1, lmb1, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    return math.degrees(phi2), math.degrees(lmb2)


def cover_verdict(area: Circle | Polygon, lat: float, lon: float) -> bool | None:
    cells = point_cells(lat, lon)
    return area.cover.contains_cell_of({5: cells.r5, 7: cells.r7, 9: cells.r9})


# In and around the Netherlands, including the German and Belgian border strip and the sea.
nl_lat = st.floats(min_value=50.5, max_value=53.7)
nl_lon = st.floats(min_value=3.0, max_value=7.4)
radius = st.floats(min_value=50, max_value=30_000)
bearing = st.floats(min_value=0, max_value=360)
circles = st.builds(Circle, lat=nl_lat, lon=nl_lon, radius_m=radius)


@PROPERTY
@given(circle=circles, bearing=bearing, factor=st.floats(min_value=0, max_value=2.5))
def test_circle_contains_agrees_with_independent_distance(
    circle: Circle, bearing: float, factor: float
) -> None:
    lat, lon = destination(circle.lat, circle.lon, bearing, circle.radius_m * factor)
    distance = haversine_m(circle.lat, circle.lon, lat, lon)
    # Two independent formulas agree (far below a millimetre) ...
    assert distance == pytest.approx(sphere_distance_m(circle.lat, circle.lon, lat, lon), abs=1e-6)
    # ... and with Circle.contains, except within a micrometre of the edge.
    if abs(distance - circle.radius_m) > 1e-6:
        assert circle.contains(lat, lon) == (distance <= circle.radius_m)


@PROPERTY
@given(
    circle=circles,
    bearing=bearing,
    offset=st.sampled_from([-1.0, -0.05, -0.001, 0.001, 0.05, 1.0]),
)
def test_circle_contains_just_inside_and_just_outside_the_edge(
    circle: Circle, bearing: float, offset: float
) -> None:
    lat, lon = destination(circle.lat, circle.lon, bearing, circle.radius_m + offset)
    assert circle.contains(lat, lon) == (offset < 0)


@PROPERTY
@given(
    circle=circles,
    points=st.lists(
        st.tuples(bearing, st.floats(min_value=0, max_value=1.3)), min_size=20, max_size=60
    ),
)
def test_circle_cover_holds_every_inside_point_and_no_outside_point(
    circle: Circle, points: list[tuple[float, float]]
) -> None:
    # Most points in a band around the edge, where a wrong cover would show first.
    for bearing_deg, factor in points:
        lat, lon = destination(circle.lat, circle.lon, bearing_deg, circle.radius_m * factor)
        verdict = cover_verdict(circle, lat, lon)
        if circle.contains(lat, lon):
            assert verdict is not False, (lat, lon)
        else:
            assert verdict is not True, (lat, lon)


def star_ring(lat: float, lon: float, radii_m: list[float], rotation: float) -> list[list[float]]:
    """A closed star-shaped ring (never self-intersecting) of [lon, lat] around a centre."""
    step = 360 / len(radii_m)
    ring = []
    for i, r in enumerate(radii_m):
        plat, plon = destination(lat, lon, rotation + i * step, r)
        ring.append([plon, plat])
    return [*ring, ring[0]]


@st.composite
def polygons(draw: st.DrawFn) -> Polygon:
    """Polygons, polygons with a hole, and multipolygons of two separate parts."""
    lat, lon = draw(nl_lat), draw(nl_lon)
    size = draw(st.floats(min_value=300, max_value=8_000))
    kind = draw(st.sampled_from(["polygon", "hole", "multi"]))
    n = draw(st.integers(min_value=3, max_value=12))
    radii = draw(st.lists(st.floats(0.5, 1.0), min_size=n, max_size=n))
    rotation = draw(st.floats(0, 360))
    shell = star_ring(lat, lon, [size * r for r in radii], rotation)
    if kind == "polygon":
        return Polygon(polygons=(parse_ring_set([shell]),))
    if kind == "hole":
        hole_scale = draw(st.floats(0.1, 0.45))
        hole = star_ring(lat, lon, [size * hole_scale] * draw(st.integers(3, 8)), rotation)
        return Polygon(polygons=(parse_ring_set([shell, hole]),))
    other_lat, other_lon = destination(lat, lon, draw(bearing), size * 2.5)
    other = star_ring(other_lat, other_lon, [size * r for r in radii], rotation)
    return Polygon(polygons=(parse_ring_set([shell]), parse_ring_set([other])))


def parse_ring_set(rings: list[list[list[float]]]) -> tuple[tuple[tuple[float, float], ...], ...]:
    area = parse_area({"type": "Polygon", "coordinates": rings})
    assert isinstance(area, Polygon)
    return area.polygons[0]


@PROPERTY
@given(
    polygon=polygons(),
    points=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=30, max_size=80),
    vertex_points=st.lists(
        st.tuples(st.integers(0, 10_000), bearing, st.floats(1, 400)), min_size=5, max_size=20
    ),
)
def test_polygon_cover_holds_every_inside_point_and_no_outside_point(
    polygon: Polygon,
    points: list[tuple[float, float]],
    vertex_points: list[tuple[int, float, float]],
) -> None:
    min_lat, min_lon, max_lat, max_lon = polygon.bbox()
    pad_lat, pad_lon = (max_lat - min_lat) * 0.1, (max_lon - min_lon) * 0.1
    candidates = [
        (
            min_lat - pad_lat + fy * (max_lat - min_lat + 2 * pad_lat),
            min_lon - pad_lon + fx * (max_lon - min_lon + 2 * pad_lon),
        )
        for fy, fx in points
    ]
    # And points just around the vertices, where edges meet.
    vertices = [p for poly in polygon.polygons for ring in poly for p in ring]
    for index, bearing_deg, distance in vertex_points:
        vlon, vlat = vertices[index % len(vertices)]
        candidates.append(destination(vlat, vlon, bearing_deg, distance))
    for lat, lon in candidates:
        verdict = cover_verdict(polygon, lat, lon)
        if polygon.contains(lat, lon):
            assert verdict is not False, (lat, lon)
        else:
            assert verdict is not True, (lat, lon)


def test_polygon_with_hole_excludes_the_hole() -> None:
    shell = star_ring(52.0, 5.0, [4000] * 8, 0)
    hole = star_ring(52.0, 5.0, [1500] * 8, 0)
    area = Polygon(polygons=(parse_ring_set([shell, hole]),))
    assert not area.contains(52.0, 5.0)
    assert cover_verdict(area, 52.0, 5.0) is not True
    lat, lon = destination(52.0, 5.0, 45, 2800)
    assert area.contains(lat, lon)
    assert cover_verdict(area, lat, lon) is not False


@PROPERTY
@given(area=st.one_of(circles, polygons()))
def test_geojson_round_trip(area: Circle | Polygon) -> None:
    assert parse_area(area.to_geojson()) == area
    # And through JSON text, as it travels to the browser and back.
    assert parse_area(json.loads(json.dumps(area.to_geojson()))) == area


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


SQUARE = [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("not an object", "area"),
        ([5.0, 52.0], "area"),
        (feature(None), "geometry"),
        (feature({"type": "Line", "coordinates": []}), "geometry.type"),
        ({"type": "Circle", "coordinates": [5, 52]}, "type"),
        (feature({"type": "Point", "coordinates": [5.0, 52.0]}), "properties.radius"),
        (feature({"type": "Point", "coordinates": [5.0, 52.0]}, radius="500"), "properties.radius"),
        (feature({"type": "Point", "coordinates": [5.0, 52.0]}, radius=True), "properties.radius"),
        (
            feature({"type": "Point", "coordinates": [5.0, 52.0]}, radius=MAX_RADIUS_M + 1),
            "properties.radius",
        ),
        (feature({"type": "Point", "coordinates": [5.0, 52.0]}, radius=10), "properties.radius"),
        (
            feature({"type": "Point", "coordinates": [5.0, 52.0]}, radius=float("nan")),
            "properties.radius",
        ),
        (feature({"type": "Point", "coordinates": [5.0]}, radius=500), "geometry.coordinates"),
        (
            feature({"type": "Point", "coordinates": ["5", 52.0]}, radius=500),
            "geometry.coordinates[0]",
        ),
        (
            feature({"type": "Point", "coordinates": [5.0, 95.0]}, radius=500),
            "geometry.coordinates",
        ),
        (
            feature({"type": "Point", "coordinates": [190.0, 52.0]}, radius=500),
            "geometry.coordinates",
        ),
        ({"type": "Polygon", "coordinates": "x"}, "coordinates"),
        ({"type": "Polygon", "coordinates": []}, "coordinates"),
        ({"type": "Polygon", "coordinates": [SQUARE[:-1]]}, "coordinates[0]"),  # unclosed
        ({"type": "Polygon", "coordinates": [SQUARE[:3]]}, "coordinates[0]"),  # too short
        (
            {"type": "Polygon", "coordinates": [[*SQUARE[:2], [5.1, 91.0], *SQUARE[3:]]]},
            "coordinates[0][2]",
        ),
        (
            {"type": "Polygon", "coordinates": [[*SQUARE[:2], [5.1], *SQUARE[3:]]]},
            "coordinates[0][2]",
        ),
        (
            {"type": "Polygon", "coordinates": [[*SQUARE[:2], [5.1, None], *SQUARE[3:]]]},
            "coordinates[0][2][1]",
        ),
        (
            {"type": "Polygon", "coordinates": [[[5, 52], [5, 52], [5.1, 52], [5, 52]]]},
            "coordinates[0]",
        ),
        ({"type": "MultiPolygon", "coordinates": []}, "coordinates"),
        (
            {"type": "MultiPolygon", "coordinates": [[SQUARE], [[*SQUARE[:4], [5.0, 52.2]]]]},
            "coordinates[1][0]",
        ),
        (feature({"type": "Polygon", "coordinates": [SQUARE[:-1]]}), "geometry.coordinates[0]"),
    ],
)
def test_parse_area_rejects_malformed_input_naming_the_field(data: Any, field: str) -> None:
    with pytest.raises(AreaError) as info:
        parse_area(data)
    assert info.value.field == field


@PROPERTY
@given(
    garbage=st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_parse_area_never_fails_other_than_with_area_error(garbage: Any) -> None:
    for data in (
        garbage,
        {"type": "Polygon", "coordinates": garbage},
        feature({"type": "Point", "coordinates": garbage}, radius=500),
    ):
        try:
            parse_area(data)
        except AreaError as exc:
            assert exc.field


@pytest.mark.parametrize(
    ("town", "centre", "abroad"),
    [
        # Enschede: Gronau (Westfalen) lies across the German border, ~9 km east.
        ("Enschede", (52.2215, 6.8937), (52.2122, 7.0236)),
        # Venlo: Straelen-Herongen, Germany, ~6 km east.
        ("Venlo", (51.3704, 6.1724), (51.3695, 6.2440)),
        # Baarle-Nassau: Poppel, Belgium, ~7.5 km east.
        ("Baarle-Nassau", (51.4450, 4.9300), (51.4436, 5.0379)),
    ],
)
def test_circles_are_never_clipped_at_the_national_border(
    town: str, centre: tuple[float, float], abroad: tuple[float, float]
) -> None:
    circle = Circle(lat=centre[0], lon=centre[1], radius_m=10_000)
    assert circle.contains(*abroad), town
    assert cover_verdict(circle, *abroad) is not False, town
