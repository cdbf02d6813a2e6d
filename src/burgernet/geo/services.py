"""Writes for the geo app: importing region boundaries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import h3.api.basic_int as h3
from django.db import transaction

from burgernet.geo.area import AreaError, Polygon, parse_area
from burgernet.geo.models import Region, RegionCell, RegionKind

#: Resolution of the region lookup index (~5 km² cells: a handful of candidates per point).
LOOKUP_RES = 7


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int


class RegionImportError(ValueError):
    """A feature could not be imported; `index` is its position in the collection."""

    def __init__(self, message: str, *, index: int, field: str) -> None:
        super().__init__(f"feature {index}: {field}: {message}")
        self.index = index
        self.field = field


@transaction.atomic
def region_import_geojson(
    *,
    collection: Mapping[str, Any],
    kind: str = RegionKind.MUNICIPALITY,
    inhabitants: Mapping[str, int] | None = None,
    parent_codes: Mapping[str, str] | None = None,
) -> ImportReport:
    """Create or update regions from a CBS/PDOK-style FeatureCollection, all or nothing.

    Each feature needs `properties.statcode` and `properties.statnaam`; inhabitants come from
    `properties.inwoners`/`aantal_inwoners` or the `inhabitants` mapping by statcode.
    """
    features = collection.get("features")
    if collection.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise RegionImportError("not a GeoJSON FeatureCollection", index=-1, field="type")
    inhabitants = inhabitants or {}
    parent_codes = parent_codes or {}
    created = updated = 0
    for index, feature in enumerate(features):
        props = feature.get("properties") or {}
        code, name = props.get("statcode"), props.get("statnaam")
        if not code or not name:
            raise RegionImportError(
                "statcode and statnaam are required", index=index, field="properties"
            )
        try:
            area = parse_area(feature.get("geometry"))
        except AreaError as exc:
            raise RegionImportError(
                exc.message, index=index, field=f"geometry.{exc.field}"
            ) from exc
        if not isinstance(area, Polygon):
            raise RegionImportError(
                "must be a Polygon or MultiPolygon", index=index, field="geometry.type"
            )
        count = props.get("inwoners", props.get("aantal_inwoners", inhabitants.get(code)))
        min_lat, min_lon, max_lat, max_lon = area.bbox()
        parent = None
        if parent_code := parent_codes.get(code):
            parent = Region.objects.get(code=parent_code)
        region, was_created = Region.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "parent": parent,
                "inhabitants": int(str(count)) if count not in (None, "") else None,
                "geometry": area.to_geojson()["geometry"],
                "min_lat": min_lat,
                "min_lon": min_lon,
                "max_lat": max_lat,
                "max_lon": max_lon,
            },
        )
        created += was_created
        updated += not was_created
        _index_region(region, area)
    return ImportReport(created=created, updated=updated)


def _index_region(region: Region, area: Polygon) -> None:
    from burgernet.geo.area import _to_h3shape

    shape = _to_h3shape(area.polygons)
    overlap = set(h3.h3shape_to_cells_experimental(shape, LOOKUP_RES, "overlap"))
    full = set(h3.h3shape_to_cells_experimental(shape, LOOKUP_RES, "full"))
    # Margin of one ring: a cell is only "interior" when clearly away from the boundary.
    edge = overlap - full
    margin = {n for cell in edge for n in h3.grid_ring(cell, 1)}
    candidates = overlap | margin
    RegionCell.objects.filter(region=region).delete()
    RegionCell.objects.bulk_create(
        [
            RegionCell(region=region, cell=cell, interior=cell in full and cell not in margin)
            for cell in candidates
        ],
        batch_size=2000,
    )
