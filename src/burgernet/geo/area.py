"""Areas: a circle (centre + radius) or a (multi)polygon, with exact containment and H3 covers.

GeoJSON in and out. A circle travels as a GeoJSON Feature with a Point geometry and a
`radius` property in metres (the convention Leaflet drawing tools use); polygons as Polygon or
MultiPolygon geometries (or Features holding one), coordinates `[lon, lat]` in WGS84.

Containment is exact: great-circle distance on the sphere for circles (the PostGIS
`use_spheroid=false` model), even-odd ray casting on lon/lat for polygons (GeoJSON, RFC 7946,
has straight edges in lon/lat). Circles are never clipped at the national border.

`cover()` splits the area into cells that lie wholly inside (compacted to coarser resolutions
where all children are inside) and finest-resolution boundary cells whose points still need the
exact test. A point inside the area is always in one of the two sets.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import h3.api.basic_int as h3

from burgernet.geo.cells import EARTH_RADIUS_M, FINEST, RESOLUTIONS, descendant_range, next_id
from burgernet.geo.distance import haversine_m

MAX_RADIUS_M = 100_000
MIN_RADIUS_M = 50
#: Bound on how far a cell's finest descendants reach, as a multiple of its circumradius:
#: children stick out of their parent (measured ≤ 1.06x) and cell sizes vary locally (~1 %).
_DESCENDANT_BOUND_FACTOR = 1.2
#: The same for a finest cell itself (only the local size variation and rounding).
_LEAF_BOUND_FACTOR = 1.1

LonLat = tuple[float, float]
Ring = tuple[LonLat, ...]


class AreaError(ValueError):
    """Malformed area input; `field` names where (e.g. `geometry.coordinates[0]`)."""

    def __init__(self, message: str, *, field: str = "area") -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Cover:
    """Cells covering an area.

    `interior[res]` holds cells (at resolution `res`) that lie wholly inside; `boundary` holds
    finest-resolution cells that may be partly inside.
    """

    interior: dict[int, frozenset[int]]
    boundary: frozenset[int]

    def all_finest(self) -> set[int]:
        """Every finest-resolution cell of the cover (interior uncompacted plus boundary)."""
        cells = set(self.boundary)
        for res, group in self.interior.items():
            for cell in group:
                cells.update(h3.cell_to_children(cell, FINEST) if res != FINEST else [cell])
        return cells

    def finest_ranges(self) -> list[tuple[int, int, bool]]:
        """The cover as sorted, merged runs of finest-resolution ids: (lo, hi, needs_exact).

        Interior cells (compacted further, to any resolution, where all children are inside)
        become the run of their finest descendants; boundary cells runs of their own, marked
        for the exact test. Runs with nothing possible between them merge. A point is in the
        cover exactly when its finest cell id falls in a run, so one index on the finest cell
        answers the whole cover with a range scan per run.
        """
        finest_interior = self.interior.get(FINEST, frozenset())
        cells = [
            *(c for res, group in self.interior.items() if res != FINEST for c in group),
            *h3.compact_cells(list(finest_interior)),
        ]
        runs = sorted(
            [(*descendant_range(c), False) for c in cells] + [(c, c, True) for c in self.boundary]
        )
        merged: list[tuple[int, int, bool]] = []
        for lo, hi, exact in runs:
            if merged:
                prev_lo, prev_hi, prev_exact = merged[-1]
                if prev_exact == exact and next_id(prev_hi) == lo:
                    merged[-1] = (prev_lo, hi, exact)
                    continue
            merged.append((lo, hi, exact))
        return merged

    def contains_cell_of(self, cells: dict[int, int]) -> bool | None:
        """For a point's cells by resolution: True inside, None needs the exact test, False out."""
        for res, group in self.interior.items():
            if cells[res] in group:
                return True
        return None if cells[FINEST] in self.boundary else False


class Area(ABC):
    """A search area: circle or (multi)polygon."""

    @abstractmethod
    def contains(self, lat: float, lon: float) -> bool:
        """Exact containment of a WGS84 point."""

    @abstractmethod
    def to_geojson(self) -> dict[str, Any]:
        """The area as a GeoJSON Feature."""

    @abstractmethod
    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon)."""

    @abstractmethod
    def area_m2(self) -> float:
        """Surface in square metres on the sphere."""

    @abstractmethod
    def _classify(self) -> tuple[set[int], set[int]]:
        """Finest or coarser interior cells, and finest boundary cells."""

    @cached_property
    def cover(self) -> Cover:
        interior, boundary = self._classify()
        return Cover(interior=_compact(interior), boundary=frozenset(boundary))

    @property
    def centre(self) -> tuple[float, float]:
        min_lat, min_lon, max_lat, max_lon = self.bbox()
        return (min_lat + max_lat) / 2, (min_lon + max_lon) / 2

    @staticmethod
    def from_geojson(data: Any) -> Area:
        """Parse a circle Feature or a (Multi)Polygon geometry/Feature; raise AreaError."""
        return parse_area(data)


@dataclass(frozen=True)
class Circle(Area):
    lat: float
    lon: float
    radius_m: float

    def __post_init__(self) -> None:
        _check_lat_lon(self.lat, self.lon, "geometry.coordinates")
        if not math.isfinite(self.radius_m) or not MIN_RADIUS_M <= self.radius_m <= MAX_RADIUS_M:
            raise AreaError(
                f"radius must be between {MIN_RADIUS_M} and {MAX_RADIUS_M} metres",
                field="properties.radius",
            )

    def contains(self, lat: float, lon: float) -> bool:
        return haversine_m(self.lat, self.lon, lat, lon) <= self.radius_m

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": {"radius": self.radius_m},
        }

    def bbox(self) -> tuple[float, float, float, float]:
        dlat = math.degrees(self.radius_m / EARTH_RADIUS_M)
        coslat = max(math.cos(math.radians(self.lat)), 1e-9)
        dlon = math.degrees(self.radius_m / (EARTH_RADIUS_M * coslat))
        return self.lat - dlat, self.lon - dlon, self.lat + dlat, self.lon + dlon

    def area_m2(self) -> float:
        # Spherical cap of angular radius radius/R.
        return 2 * math.pi * EARTH_RADIUS_M**2 * (1 - math.cos(self.radius_m / EARTH_RADIUS_M))

    @property
    def centre(self) -> tuple[float, float]:
        return self.lat, self.lon

    def _classify(self) -> tuple[set[int], set[int]]:
        interior, boundary = _circle_cells(self.lat, self.lon, self.radius_m)
        return set(interior), set(boundary)


@lru_cache(maxsize=256)
def _circle_cells(lat: float, lon: float, radius_m: float) -> tuple[frozenset[int], frozenset[int]]:
    """Interior and boundary cells of a circle (cached: a dispatcher redraws the same circle).

    Hierarchical: walk rings of coarse cells outwards from the centre, keep cells wholly
    inside, drop cells wholly outside and split the rest into their 7 children, down to the
    finest resolution. A cell is judged by its centre's distance to the circle's centre plus a
    bound on how far its *descendants* reach (H3 children stick out of their parent's hexagon:
    measured up to 1.06x the circumradius), so a point is classified by its own finest cell's
    parent chain, exactly as `point_cells` stores it. Distances are compared as dot products of
    unit vectors against precomputed cosines: no haversine per cell.
    """
    coarse = RESOLUTIONS[0]
    bounds = _descendant_bounds(lat, lon, radius_m)
    phi0, lmb0 = math.radians(lat), math.radians(lon)
    sin0, cos0 = math.sin(phi0), math.cos(phi0)
    # Per resolution: a cell is inside when cos(angle) >= inside_cos, outside when < outside_cos.
    thresholds: dict[int, tuple[float, float]] = {}
    for res, bound in bounds.items():
        inner = (radius_m - bound) / EARTH_RADIUS_M
        outer = min((radius_m + bound) / EARTH_RADIUS_M, math.pi)
        thresholds[res] = (math.cos(inner) if inner > 0 else 2.0, math.cos(outer))
    sin, cos, radians = math.sin, math.cos, math.radians
    latlng = h3.cell_to_latlng
    children_of = h3.cell_to_children

    interior: set[int] = set()
    boundary: set[int] = set()

    def verdict(cell: int, res: int) -> bool | None:
        clat, clon = latlng(cell)
        phi = radians(clat)
        dot = sin0 * sin(phi) + cos0 * cos(phi) * cos(radians(clon) - lmb0)
        inside_cos, outside_cos = thresholds[res]
        if dot >= inside_cos:
            return True
        if dot < outside_cos:
            return False
        return None

    def split(cell: int, res: int) -> None:
        # `cell` straddles the circle: judge its children one resolution finer.
        child_res = res + 1
        for child in children_of(cell, child_res):
            v = verdict(child, child_res)
            if v is True:
                interior.add(child)
            elif v is None:
                if child_res == FINEST:
                    boundary.add(child)
                else:
                    split(child, child_res)

    origin = h3.latlng_to_cell(lat, lon, coarse)
    # Walk outwards ring by ring until a whole ring lies outside: the ring's hexagons separate
    # the centre from everything farther out, and the bound covers each hexagon.
    k = 0
    while True:
        ring = [origin] if k == 0 else h3.grid_ring(origin, k)
        touching = False
        for cell in ring:
            v = verdict(cell, coarse)
            if v is True:
                interior.add(cell)
                touching = True
            elif v is None:
                touching = True
                split(cell, coarse)
        if not touching:
            break
        k += 1
    return frozenset(_expand_to_stored(interior)), frozenset(boundary)


def _descendant_bounds(lat: float, lon: float, radius_m: float) -> dict[int, float]:
    """Per resolution, a safe bound on how far a cell's finest descendants reach from its centre.

    The circumradius is sampled at the centre and at the four extremes of the circle's bounding
    box and the largest is taken (H3 cell sizes change by ~1 % over 100 km); the factor covers
    children sticking out of their parent (measured ≤ 1.06x at resolutions 5-8, see
    tests/test_cover_exactness.py) plus that local variation, with room to spare.
    """
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-9)
    samples = [
        (lat, lon),
        (min(lat + dlat, 89.9), lon),
        (max(lat - dlat, -89.9), lon),
        (lat, _wrap_lon(lon + dlon)),
        (lat, _wrap_lon(lon - dlon)),
    ]
    bounds: dict[int, float] = {}
    for res in range(RESOLUTIONS[0], FINEST + 1):
        largest = max(_circumradius(h3.latlng_to_cell(a, b, res)) for a, b in samples)
        factor = _LEAF_BOUND_FACTOR if res == FINEST else _DESCENDANT_BOUND_FACTOR
        bounds[res] = largest * factor
    return bounds


def _wrap_lon(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def _expand_to_stored(cells: Iterable[int]) -> set[int]:
    """Replace cells at resolutions that are not stored by their children one level finer."""
    out: set[int] = set()
    for cell in cells:
        res = h3.get_resolution(cell)
        if res in RESOLUTIONS:
            out.add(cell)
        else:
            nxt = min(r for r in RESOLUTIONS if r > res)
            out.update(h3.cell_to_children(cell, nxt))
    return out


@dataclass(frozen=True)
class Polygon(Area):
    """A polygon or multipolygon: polygons of rings of (lon, lat); the first ring is the shell."""

    polygons: tuple[tuple[Ring, ...], ...]
    _edges: list[tuple[float, float, float, float]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        edges: list[tuple[float, float, float, float]] = []
        for polygon in self.polygons:
            for ring in polygon:
                for (x1, y1), (x2, y2) in itertools.pairwise(ring):
                    edges.append((x1, y1, x2, y2))
        object.__setattr__(self, "_edges", edges)

    def contains(self, lat: float, lon: float) -> bool:
        # Even-odd rule over all rings: holes and separate parts come out right.
        inside = False
        for x1, y1, x2, y2 in self._edges:
            if (y1 > lat) != (y2 > lat):
                x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
                if lon < x_cross:
                    inside = not inside
        return inside

    def to_geojson(self) -> dict[str, Any]:
        coords = [[[list(p) for p in ring] for ring in polygon] for polygon in self.polygons]
        geometry: dict[str, Any] = (
            {"type": "Polygon", "coordinates": coords[0]}
            if len(coords) == 1
            else {"type": "MultiPolygon", "coordinates": coords}
        )
        return {"type": "Feature", "geometry": geometry, "properties": {}}

    def bbox(self) -> tuple[float, float, float, float]:
        lons = [p[0] for poly in self.polygons for p in poly[0]]
        lats = [p[1] for poly in self.polygons for p in poly[0]]
        return min(lats), min(lons), max(lats), max(lons)

    def area_m2(self) -> float:
        total = 0.0
        for polygon in self.polygons:
            shell, *holes = polygon
            total += abs(_ring_area_m2(shell)) - sum(abs(_ring_area_m2(h)) for h in holes)
        return total

    def _classify(self) -> tuple[set[int], set[int]]:
        shape = _to_h3shape(self.polygons)
        overlap = set(h3.h3shape_to_cells_experimental(shape, FINEST, "overlap"))
        full = set(h3.h3shape_to_cells_experimental(shape, FINEST, "full"))
        boundary = overlap - full
        # H3 tests overlap on its own edge model; keep one ring of margin around the boundary
        # so a cell is only called interior when it is clearly away from every edge.
        margin: set[int] = set()
        for cell in boundary:
            margin.update(h3.grid_ring(cell, 1))
        interior = full - margin
        boundary = (boundary | (margin & full) | margin) - interior
        return interior, boundary


def _to_h3shape(polygons: Sequence[Sequence[Ring]]) -> h3.H3Shape:
    parts = []
    for polygon in polygons:
        shell, *holes = polygon
        parts.append(
            h3.LatLngPoly(
                [(lat, lon) for lon, lat in shell[:-1]],
                *[[(lat, lon) for lon, lat in hole[:-1]] for hole in holes],
            )
        )
    return parts[0] if len(parts) == 1 else h3.LatLngMultiPoly(*parts)


def _circumradius(cell: int) -> float:
    """The largest distance from a cell's centre to its vertices, in metres."""
    clat, clon = h3.cell_to_latlng(cell)
    return max(haversine_m(clat, clon, lat, lon) for lat, lon in h3.cell_to_boundary(cell))


def _compact(cells: Iterable[int]) -> dict[int, frozenset[int]]:
    """Group interior cells by resolution, replacing full sets of children by their parent
    at the next stored resolution (only stored resolutions are used)."""
    by_res: dict[int, set[int]] = defaultdict(set)
    for cell in cells:
        by_res[h3.get_resolution(cell)].add(cell)
    for fine, coarse in reversed(list(itertools.pairwise(RESOLUTIONS))):
        # fine < coarse here means: promote `coarse`-resolution cells to resolution `fine`.
        groups: dict[int, set[int]] = defaultdict(set)
        for cell in by_res.get(coarse, set()):
            groups[h3.cell_to_parent(cell, fine)].add(cell)
        for parent, children in groups.items():
            if (
                len(children) == h3.cell_to_children_size(parent, coarse)
                and set(h3.cell_to_children(parent, coarse)) == children
            ):
                by_res[fine].add(parent)
                by_res[coarse] -= children
    return {res: frozenset(group) for res, group in sorted(by_res.items()) if group}


def _ring_area_m2(ring: Ring) -> float:
    """Signed spherical area of a ring (lon/lat degrees), in m²."""
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(ring):
        total += math.radians(lon2 - lon1) * (
            2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2))
        )
    return total * EARTH_RADIUS_M**2 / 2


def _check_lat_lon(lat: float, lon: float, where: str) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise AreaError("coordinates must be finite numbers", field=where)
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise AreaError("coordinates must be [longitude, latitude] in WGS84", field=where)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AreaError("must be a number", field=where)
    return float(value)


def _parse_ring(raw: Any, where: str) -> Ring:
    if not isinstance(raw, list) or len(raw) < 4:
        raise AreaError("a ring needs at least 4 positions", field=where)
    points: list[LonLat] = []
    for i, pos in enumerate(raw):
        if not isinstance(pos, list) or len(pos) < 2:
            raise AreaError("a position is [longitude, latitude]", field=f"{where}[{i}]")
        lon, lat = _number(pos[0], f"{where}[{i}][0]"), _number(pos[1], f"{where}[{i}][1]")
        _check_lat_lon(lat, lon, f"{where}[{i}]")
        points.append((lon, lat))
    if points[0] != points[-1]:
        raise AreaError("a ring must end where it starts", field=where)
    if len(set(points)) < 3:
        raise AreaError("a ring needs at least 3 distinct positions", field=where)
    return tuple(points)


def _parse_polygon(raw: Any, where: str) -> tuple[Ring, ...]:
    if not isinstance(raw, list) or not raw:
        raise AreaError("a polygon is a list of rings", field=where)
    return tuple(_parse_ring(ring, f"{where}[{i}]") for i, ring in enumerate(raw))


def parse_area(data: Any) -> Area:
    """Parse GeoJSON into an Area, raising AreaError that names the offending field."""
    if not isinstance(data, dict):
        raise AreaError("area must be a GeoJSON object")
    properties: dict[str, Any] = {}
    geometry: Any = data
    prefix = ""
    if data.get("type") == "Feature":
        geometry = data.get("geometry")
        props = data.get("properties") or {}
        properties = props if isinstance(props, dict) else {}
        prefix = "geometry."
        if not isinstance(geometry, dict):
            raise AreaError("a Feature needs a geometry", field="geometry")
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    where = f"{prefix}coordinates"
    if kind == "Point":
        if not isinstance(coords, list) or len(coords) < 2:
            raise AreaError("a point is [longitude, latitude]", field=where)
        if "radius" not in properties:
            raise AreaError("a circle needs a radius in metres", field="properties.radius")
        lon, lat = _number(coords[0], f"{where}[0]"), _number(coords[1], f"{where}[1]")
        return Circle(lat=lat, lon=lon, radius_m=_number(properties["radius"], "properties.radius"))
    if kind == "Polygon":
        return Polygon(polygons=(_parse_polygon(coords, where),))
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise AreaError("a multipolygon is a list of polygons", field=where)
        return Polygon(
            polygons=tuple(_parse_polygon(p, f"{where}[{i}]") for i, p in enumerate(coords))
        )
    raise AreaError(
        "type must be a Point with a radius (circle), Polygon or MultiPolygon",
        field=f"{prefix}type",
    )
