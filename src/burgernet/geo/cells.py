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


# H3 index layout (64 bits): mode and resolution above the base cell, then 15 digits of 3 bits,
# digit 1 highest. Digits below the cell's resolution are 7. So ids of one resolution sort by
# base cell, then digit 1, digit 2, …: a cell's descendants at a finer resolution form one
# contiguous run of ids, which an index answers with a single range scan.
_RES_SHIFT = 52
_MAX_RES = 15
_DIGIT_BITS = 3


def _digit_shift(digit: int) -> int:
    return (_MAX_RES - digit) * _DIGIT_BITS


def descendant_range(cell: int, resolution: int = FINEST) -> tuple[int, int]:
    """The smallest and largest id a descendant of `cell` at `resolution` can have.

    Every descendant lies in between and no other cell of that resolution does, so
    `h3_r9 BETWEEN lo AND hi` selects exactly the points in `cell` (pentagons skip some ids in
    the run, which no stored point can have).
    """
    own = h3.get_resolution(cell)
    if resolution < own:
        raise ValueError(f"resolution {resolution} is coarser than the cell's ({own})")
    base = (cell & ~(0xF << _RES_SHIFT)) | (resolution << _RES_SHIFT)
    lo = hi = base
    for digit in range(own + 1, resolution + 1):
        shift = _digit_shift(digit)
        lo &= ~(7 << shift)
        hi = (hi & ~(7 << shift)) | (6 << shift)
    return lo, hi


def next_id(cell: int) -> int | None:
    """The smallest id after `cell` that a cell of the same resolution under the same base
    cell could have (digits count 0-6), or None after the last one. No valid cell of that
    resolution lies strictly between `cell` and the result."""
    resolution = h3.get_resolution(cell)
    value = cell
    for digit in range(resolution, 0, -1):
        shift = _digit_shift(digit)
        current = (value >> shift) & 7
        if current < 6:
            return (value & ~(7 << shift)) | ((current + 1) << shift)
        value &= ~(7 << shift)  # 6 rolls over to 0, carry into the next higher digit
    return None
