"""Great-circle distance between a location and the customer."""

from __future__ import annotations

import math
from collections.abc import Iterable

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


def distances_km(destination: tuple[float, float] | None,
                 locations: Iterable[tuple[int, float, float]]) -> dict[int, float | None]:
    """``distance_km`` to each (id, latitude, longitude), in one loop: the same arithmetic as ``haversine_km``
    in the same order (so the same floats), without two function calls per location."""
    if destination is None:
        return {i: None for i, _, _ in locations}
    sin, cos, asin, sqrt = math.sin, math.cos, math.asin, math.sqrt
    lat1, lon1 = destination
    p1 = lat1 * _RADIANS
    cos_p1 = cos(p1)
    km: dict[int, float | None] = {}
    for i, lat2, lon2 in locations:
        p2 = lat2 * _RADIANS
        half_dp, half_dl = (p2 - p1) / 2, (lon2 - lon1) * _RADIANS / 2
        a = sin(half_dp) ** 2 + cos_p1 * cos(p2) * sin(half_dl) ** 2
        km[i] = round(2 * EARTH_RADIUS_KM * asin(sqrt(a)), 3)
    return km
