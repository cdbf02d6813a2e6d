"""Time `Circle.cover` (the H3 cells of a dispatcher's search circle) for a few radii.

Not a test: prints median and worst of a few runs, cache cleared before each run, e.g.

    .venv/bin/python bench/geo_cover.py
"""

from __future__ import annotations

import statistics
import time

from burgernet.geo.area import Circle, _circle_cells

CENTRE = (52.37, 4.89)  # Amsterdam
RUNS = 20


def main() -> None:
    for radius in (1_000, 3_000, 5_000, 10_000, 50_000):
        times = []
        for i in range(RUNS):
            _circle_cells.cache_clear()
            # A slightly different centre each run, as while dragging a circle on the map.
            circle = Circle(CENTRE[0] + i * 1e-4, CENTRE[1], radius)
            start = time.perf_counter()
            cover = circle.cover
            times.append((time.perf_counter() - start) * 1000)
        cells = sum(len(group) for group in cover.interior.values()) + len(cover.boundary)
        print(
            f"{radius / 1000:>5.0f} km: median {statistics.median(times):6.2f} ms, "
            f"max {max(times):6.2f} ms, {cells} cells ({len(cover.boundary)} boundary)"
        )


if __name__ == "__main__":
    main()
