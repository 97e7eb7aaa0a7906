"""Great-circle distance between a location and the customer."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


_RADIANS = math.pi / 180


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Runs for every candidate location of every order: plain arithmetic, no helper calls.
    p1, p2 = lat1 * _RADIANS, lat2 * _RADIANS
    half_dp, half_dl = (p2 - p1) / 2, (lon2 - lon1) * _RADIANS / 2
    a = math.sin(half_dp) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(half_dl) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def distance_km(destination: tuple[float, float] | None, latitude: float, longitude: float) -> float | None:
    """Distance from a location to the destination, rounded to metres; None when the destination is unknown."""
    if destination is None:
        return None
    return round(haversine_km(destination[0], destination[1], latitude, longitude), 3)
