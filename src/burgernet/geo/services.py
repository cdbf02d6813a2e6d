"""Writes for the geo app: importing region boundaries."""

from __future__ import annotations

import csv
import io
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
        self.message = message


@transaction.atomic
def region_import_geojson(
    *,
    collection: Mapping[str, Any],
    kind: str = RegionKind.MUNICIPALITY,
    inhabitants: Mapping[str, int] | None = None,
    parent_codes: Mapping[str, str] | None = None,
    parent_field: str | None = None,
) -> ImportReport:
    """Create or update regions from a CBS/PDOK-style FeatureCollection, all or nothing.

    Each feature needs `properties.statcode` and `properties.statnaam`; inhabitants come from
    `properties.inwoners`/`aantal_inwoners` or the `inhabitants` mapping by statcode. A parent
    region (e.g. the municipality of a neighbourhood) is named by statcode, either through
    `parent_codes` (statcode → parent statcode) or the feature property `parent_field`; the
    parent must exist already or come earlier in the same collection. Any bad feature raises
    RegionImportError naming its index and field, and nothing is saved.
    """
    if not isinstance(collection, Mapping):
        raise RegionImportError("not a GeoJSON object", index=-1, field="type")
    features = collection.get("features")
    if collection.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise RegionImportError("not a GeoJSON FeatureCollection", index=-1, field="type")
    if kind not in RegionKind.values:
        raise RegionImportError(f"unknown region kind {kind!r}", index=-1, field="kind")
    inhabitants = inhabitants or {}
    parent_codes = parent_codes or {}
    created = updated = 0
    seen: set[str] = set()
    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise RegionImportError("not a GeoJSON Feature", index=index, field="type")
        props = feature.get("properties") or {}
        if not isinstance(props, Mapping):
            raise RegionImportError("must be an object", index=index, field="properties")
        code, name = props.get("statcode"), props.get("statnaam")
        for key, value in (("statcode", code), ("statnaam", name)):
            if not isinstance(value, str) or not value.strip():
                raise RegionImportError(
                    "is required (a non-empty text)", index=index, field=f"properties.{key}"
                )
        assert isinstance(code, str) and isinstance(name, str)
        code, name = code.strip(), name.strip()
        if code in seen:
            raise RegionImportError(
                f"{code} occurs twice in the file", index=index, field="properties.statcode"
            )
        seen.add(code)
        try:
            area = parse_area(feature.get("geometry"))
        except AreaError as exc:
            raise RegionImportError(
                exc.message, index=index, field=_geometry_field(exc.field)
            ) from exc
        if not isinstance(area, Polygon):
            raise RegionImportError(
                "must be a Polygon or MultiPolygon", index=index, field="geometry.type"
            )
        count = _inhabitants(props, inhabitants.get(code), index=index)
        parent = None
        parent_code = parent_codes.get(code)
        if parent_field:
            raw_parent = props.get(parent_field)
            if not isinstance(raw_parent, str) or not raw_parent.strip():
                raise RegionImportError(
                    "is required (the parent's statcode)",
                    index=index,
                    field=f"properties.{parent_field}",
                )
            parent_code = raw_parent.strip()
        if parent_code:
            parent = Region.objects.filter(code=parent_code).first()
            if parent is None:
                raise RegionImportError(
                    f"no region with code {parent_code}",
                    index=index,
                    field=f"properties.{parent_field}" if parent_field else "parent",
                )
        min_lat, min_lon, max_lat, max_lon = area.bbox()
        region, was_created = Region.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "parent": parent,
                "inhabitants": count,
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
    transaction.on_commit(lambda: _forget_boundaries(kind))
    return ImportReport(created=created, updated=updated)


def _forget_boundaries(kind: str) -> None:
    from django.core.cache import cache

    from burgernet.geo.selectors import BOUNDARIES_CACHE_KEY

    cache.delete(BOUNDARIES_CACHE_KEY.format(kind=kind))


def inhabitants_from_csv(text: str) -> dict[str, int]:
    """Inhabitants by statcode from CSV text with the columns `statcode` and `inwoners`.

    Raises RegionImportError naming the line (as `index`) and column of a bad row.
    """
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    for column in ("statcode", "inwoners"):
        if column not in columns:
            raise RegionImportError("column is missing", index=1, field=column)
    result: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        code = (row.get("statcode") or "").strip()
        if not code:
            raise RegionImportError("is required", index=line, field="statcode")
        raw = (row.get("inwoners") or "").strip()
        if not raw.isdigit():
            raise RegionImportError(
                f"must be a whole number, not {raw!r}", index=line, field="inwoners"
            )
        result[code] = int(raw)
    return result


def _inhabitants(props: Mapping[str, Any], fallback: int | None, *, index: int) -> int | None:
    for key in ("inwoners", "aantal_inwoners"):
        value = props.get(key)
        if value in (None, ""):
            continue
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        if number is None or number < 0:
            raise RegionImportError(
                f"must be a whole number of at least 0, not {value!r}",
                index=index,
                field=f"properties.{key}",
            )
        return number
    return fallback


def _geometry_field(area_field: str) -> str:
    # parse_area names fields relative to the geometry it was given.
    return "geometry" if area_field == "area" else f"geometry.{area_field}"


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
