"""Reads for the geo app: which region a point lies in."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import h3.api.basic_int as h3

from burgernet.geo.area import Polygon, parse_area
from burgernet.geo.models import Region, RegionCell, RegionKind
from burgernet.geo.services import LOOKUP_RES


@lru_cache(maxsize=1024)
def _region_area(region_id: int, geometry_key: str) -> Polygon:
    import json

    area = parse_area(json.loads(geometry_key))
    assert isinstance(area, Polygon)
    return area


def region_for_point(
    *, lat: float, lon: float, kind: str = RegionKind.MUNICIPALITY
) -> Region | None:
    """The region of `kind` containing the point, or None (at sea, abroad)."""
    cell = h3.latlng_to_cell(lat, lon, LOOKUP_RES)
    rows = list(RegionCell.objects.filter(cell=cell, region__kind=kind).select_related("region"))
    for row in rows:
        if row.interior:
            return row.region
    for row in rows:
        if region_contains(row.region, lat=lat, lon=lon):
            return row.region
    return None


def region_contains(region: Region, *, lat: float, lon: float) -> bool:
    import json

    return _region_area(region.pk, json.dumps(region.geometry, sort_keys=True)).contains(lat, lon)


class RegionLocator:
    """Bulk point → region lookup held in memory (demo data, imports)."""

    def __init__(self, kind: str = RegionKind.MUNICIPALITY) -> None:
        self._cells: dict[int, list[tuple[int, bool]]] = {}
        for region_id, cell, interior in RegionCell.objects.filter(region__kind=kind).values_list(
            "region_id", "cell", "interior"
        ):
            self._cells.setdefault(cell, []).append((region_id, interior))
        self._areas: dict[int, Polygon] = {}
        for region in Region.objects.filter(kind=kind).only("id", "geometry"):
            area = parse_area(region.geometry)
            assert isinstance(area, Polygon)
            self._areas[region.pk] = area

    def region_id(self, lat: float, lon: float) -> int | None:
        rows = self._cells.get(h3.latlng_to_cell(lat, lon, LOOKUP_RES), [])
        for region_id, interior in rows:
            if interior:
                return region_id
        for region_id, _interior in rows:
            if self._areas[region_id].contains(lat, lon):
                return region_id
        return None


BOUNDARIES_CACHE_KEY = "geo:boundaries:{kind}:v1"
#: Decimal places kept in served outlines (4 ≈ 10 m; the shipped boundaries are ≈ 100 m).
BOUNDARY_DECIMALS = 4


def region_boundaries_geojson(*, kind: str = RegionKind.MUNICIPALITY) -> bytes:
    """All regions of `kind` as one GeoJSON FeatureCollection for maps (rounded, cached).

    Properties: `code`, `name`. Cached until the next region import (see services).
    """
    from django.core.cache import cache

    key = BOUNDARIES_CACHE_KEY.format(kind=kind)
    cached = cache.get(key)
    if isinstance(cached, bytes):
        return cached
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name},
            "geometry": _rounded_geometry(geometry),
        }
        for code, name, geometry in Region.objects.filter(kind=kind)
        .order_by("code")
        .values_list("code", "name", "geometry")
    ]
    body = json.dumps(
        {"type": "FeatureCollection", "features": features}, separators=(",", ":")
    ).encode()
    cache.set(key, body, timeout=24 * 3600)
    return body


def _rounded_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    def ring(points: list[list[float]]) -> list[list[float]]:
        out: list[list[float]] = []
        for lon, lat, *_rest in points:
            point = [round(lon, BOUNDARY_DECIMALS), round(lat, BOUNDARY_DECIMALS)]
            if not out or out[-1] != point:
                out.append(point)
        return out

    if geometry.get("type") == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geometry["coordinates"]]}
    return {
        "type": "MultiPolygon",
        "coordinates": [[ring(r) for r in poly] for poly in geometry["coordinates"]],
    }
