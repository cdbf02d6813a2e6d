"""Great-circle distance on the sphere of mean radius 6,371,008.8 m.

The same model as PostGIS `ST_Distance(geography, geography, use_spheroid => false)`, so results
can be compared exactly.
"""

from __future__ import annotations

import math

from burgernet.geo.cells import EARTH_RADIUS_M


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres between two WGS84 points on the sphere."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
