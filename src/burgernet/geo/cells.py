"""H3 cell ids for stored points.

Every stored point carries its cell at a few resolutions (`RESOLUTIONS`), as 64-bit integers,
indexed; an area becomes a set of covering cells and candidates come from an index lookup.
Resolution 5 (~250 km²) and 7 (~5 km²) serve compacted interiors, 9 (~0.1 km²) the boundary.
"""

from __future__ import annotations

from typing import NamedTuple

import h3.api.basic_int as h3

RESOLUTIONS: tuple[int, ...] = (5, 7, 9)
FINEST = RESOLUTIONS[-1]

#: Mean radius of the earth in metres (IUGG), the sphere PostGIS uses with use_spheroid=false.
EARTH_RADIUS_M = 6_371_008.8


class PointCells(NamedTuple):
    r5: int
    r7: int
    r9: int


def point_cells(lat: float, lon: float) -> PointCells:
    """The point's cells at every stored resolution, from the finest cell's parent chain."""
    r9 = h3.latlng_to_cell(lat, lon, 9)
    return PointCells(r5=h3.cell_to_parent(r9, 5), r7=h3.cell_to_parent(r9, 7), r9=r9)


def cell_field(resolution: int) -> str:
    """The model field holding cells of `resolution` (e.g. `h3_r7`)."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution {resolution} is not stored (stored: {RESOLUTIONS})")
    return f"h3_r{resolution}"
