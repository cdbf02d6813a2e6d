"""Reads for the geo app: which region a point lies in."""

from __future__ import annotations

from functools import lru_cache

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
