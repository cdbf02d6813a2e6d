"""A cover as runs of finest-cell ids selects exactly the points the cover's cells select.

The reach selector on PostgreSQL reads a whole cover with one range scan per run of the r9
index, so a wrong run would silently drop or add people: these tests check the H3 id
arithmetic against H3 itself and the runs against the cell-by-cell verdict.
"""

from __future__ import annotations

import bisect
import itertools
import random

import h3.api.basic_int as h3
import pytest

from burgernet.geo.area import Area, Circle, parse_area
from burgernet.geo.cells import FINEST, descendant_range, next_id, point_cells


@pytest.mark.parametrize("resolution", [5, 6, 7, 8, 9])
def test_descendants_of_a_cell_are_exactly_one_run_of_ids(resolution: int) -> None:
    rng = random.Random(resolution)
    for _ in range(20):
        cell = h3.latlng_to_cell(rng.uniform(50.7, 53.5), rng.uniform(3.3, 7.2), resolution)
        lo, hi = descendant_range(cell)
        children = h3.cell_to_children(cell, FINEST)
        assert min(children) == lo
        assert max(children) == hi
        # Neighbouring cells' descendants stay outside the run.
        for neighbour in h3.grid_ring(cell, 1):
            n_lo, n_hi = descendant_range(neighbour)
            assert n_hi < lo or n_lo > hi


def test_pentagon_descendants_stay_inside_their_run() -> None:
    pentagon = h3.get_pentagons(5)[0]
    lo, hi = descendant_range(pentagon)
    assert all(lo <= child <= hi for child in h3.cell_to_children(pentagon, FINEST))


def test_next_id_is_the_following_sibling_or_the_parents_next() -> None:
    parent = h3.latlng_to_cell(52.37, 4.89, 8)
    children = sorted(h3.cell_to_children(parent, FINEST))
    for first, second in itertools.pairwise(children):
        assert next_id(first) == second
    following = next_id(parent)
    assert following is not None
    assert next_id(children[-1]) == descendant_range(following)[0]


def _verdict_by_runs(runs: list[tuple[int, int, bool]], r9: int) -> bool | None:
    i = bisect.bisect_right([lo for lo, _, _ in runs], r9) - 1
    if i < 0 or r9 > runs[i][1]:
        return False
    return None if runs[i][2] else True


@pytest.mark.parametrize(
    "area",
    [
        Circle(52.3731, 4.8926, 5_000),
        Circle(51.44, 5.48, 12_000),
        Circle(53.2, 6.56, 300),
        parse_area(
            {
                "type": "Polygon",
                "coordinates": [
                    [[4.80, 52.30], [5.00, 52.31], [4.95, 52.42], [4.86, 52.40], [4.80, 52.30]],
                    [[4.88, 52.34], [4.92, 52.34], [4.90, 52.37], [4.88, 52.34]],
                ],
            }
        ),
    ],
    ids=["5 km", "12 km", "300 m", "polygon with hole"],
)
def test_runs_classify_every_point_like_the_cover(area: Area) -> None:
    cover = area.cover
    runs = cover.finest_ranges()
    assert runs == sorted(runs)
    assert all(lo <= hi < next_lo for (lo, hi, _), (next_lo, _, _) in itertools.pairwise(runs))
    min_lat, min_lon, max_lat, max_lon = area.bbox()
    pad = 0.02
    rng = random.Random(7)
    for _ in range(20_000):
        lat = rng.uniform(min_lat - pad, max_lat + pad)
        lon = rng.uniform(min_lon - pad, max_lon + pad)
        cells = point_cells(lat, lon)
        expected = cover.contains_cell_of({5: cells.r5, 7: cells.r7, 9: cells.r9})
        assert _verdict_by_runs(runs, cells.r9) == expected, (lat, lon)
    # Far fewer runs than finest cells in a large area: that is the point of it.
    finest = len(cover.all_finest())
    if finest > 1_000:
        assert len(runs) < finest / 3
