"""A reference network on real geography: warehouses near the centres of demand, stores in the biggest cities.

``build_network`` is deterministic for a seed. Stores always sit in the country's most populous cities
(one per city, at least STORE_SPACING_KM apart); the seed decides warehouse placement (k-means++
seeding), the assortment, stock and capacities.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ordermesh.domain.catalogue import Capability, LocationType
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.sourcing import haversine_km
from ordermesh.service.simulation.assortment import SimSku, build_skus, store_stock, warehouse_stock
from ordermesh.service.simulation.geography import (
    Place,
    Vector,
    country_places,
    currency_of,
    customer_pool,
    dot,
    jitter,
    spaced,
    unit_vector,
    warehouse_sites,
)

STORE_SPACING_KM = 10.0
MAX_CODE_LENGTH = 64
WAREHOUSE_CAPABILITIES = (Capability.SHIP.value,)
STORE_CAPABILITIES = (Capability.SHIP.value, Capability.PICKUP.value, Capability.CURBSIDE.value,
                      Capability.RETURNS.value)
# Orders a location can hand over per day, by method: (low, high), drawn per location.
WAREHOUSE_CAPACITY = {Capability.SHIP.value: (3_000, 6_000)}
STORE_CAPACITY = {Capability.SHIP.value: (20, 60), Capability.PICKUP.value: (40, 120),
                  Capability.CURBSIDE.value: (15, 40)}


@dataclass(frozen=True, slots=True)
class SimLocation:
    code: str
    name: str
    type: str  # a LocationType value
    latitude: float
    longitude: float
    country: str
    region: str
    capabilities: tuple[str, ...]  # Capability values
    daily_capacity: Mapping[str, int]  # capability value → orders per day
    stock: Mapping[str, int]  # sku code → units on hand


@dataclass(frozen=True, slots=True)
class Network:
    seed: int
    country: str
    currency: str
    warehouses: tuple[SimLocation, ...]
    stores: tuple[SimLocation, ...]
    skus: tuple[SimSku, ...]
    _store_points: tuple[Vector, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Unit vectors of the stores, so that finding the nearest one is a dot product per store.
        points = tuple(unit_vector(s.latitude, s.longitude) for s in self.stores)
        object.__setattr__(self, "_store_points", points)

    @property
    def locations(self) -> tuple[SimLocation, ...]:
        return self.warehouses + self.stores

    def nearest_store(self, latitude: float, longitude: float, capability: str) -> tuple[SimLocation, float]:
        """The store with ``capability`` closest to the point, and its distance in km."""
        point = unit_vector(latitude, longitude)
        able = [i for i, store in enumerate(self.stores) if capability in store.capabilities]
        if not able:
            raise InvalidInput(f"no store offers {capability}", field="capability")
        store = self.stores[max(able, key=lambda i: dot(point, self._store_points[i]))]
        return store, haversine_km(latitude, longitude, store.latitude, store.longitude)


@dataclass(frozen=True, slots=True)
class SimCustomer:
    city: str
    region: str
    country: str
    latitude: float
    longitude: float


def draw_customer(rng: random.Random, country: str = "US") -> SimCustomer:
    """A customer in one of the country's cities, drawn in proportion to population, a few km off centre."""
    country = country.upper()
    place = customer_pool(country).draw(rng)
    latitude, longitude = jitter(place, rng)
    return SimCustomer(place.name, place.region, country, latitude, longitude)


def build_network(seed: int, warehouses: int = 3, stores: int = 50, skus: int = 200, country: str = "US") -> Network:
    for name, count in (("warehouses", warehouses), ("stores", stores), ("skus", skus)):
        if count < 1:
            raise InvalidInput(f"{name} must be at least 1, not {count}", field=name)
    country = country.upper()
    rng = random.Random(f"network:{seed}")  # a string seed keeps it apart from the order stream's
    places = country_places(country)
    currency = currency_of(country)
    catalogue = build_skus(skus, rng, currency)
    taken: set[str] = set()
    warehouse_locations = tuple(
        _location(place, LocationType.WAREHOUSE, country, _code("WH", place, taken), rng, catalogue)
        for place in warehouse_sites(places, warehouses, rng))
    store_locations = tuple(
        _location(place, LocationType.STORE, country, _code("ST", place, taken), rng, catalogue)
        for place in spaced(places, stores, STORE_SPACING_KM))
    return Network(seed, country, currency, warehouse_locations, store_locations, catalogue)


def _location(place: Place, kind: LocationType, country: str, code: str, rng: random.Random,
              catalogue: Sequence[SimSku]) -> SimLocation:
    warehouse = kind is LocationType.WAREHOUSE
    capacity_ranges = WAREHOUSE_CAPACITY if warehouse else STORE_CAPACITY
    return SimLocation(
        code=code,
        name=f"{'Distribution centre' if warehouse else 'Store'} {place.name}",
        type=kind.value,
        latitude=place.latitude,
        longitude=place.longitude,
        country=country,
        region=place.region,
        capabilities=WAREHOUSE_CAPABILITIES if warehouse else STORE_CAPABILITIES,
        daily_capacity={method: rng.randint(low, high) for method, (low, high) in capacity_ranges.items()},
        stock=warehouse_stock(catalogue, rng) if warehouse else store_stock(catalogue, rng),
    )


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").upper()


def _code(prefix: str, place: Place, taken: set[str]) -> str:
    """``WH-DALLAS``; a second Springfield becomes ``ST-SPRINGFIELD-IL``, then the GeoNames id decides."""
    city = _slug(place.name) or str(place.geonameid)
    candidates = [f"{prefix}-{city[:MAX_CODE_LENGTH - len(prefix) - len(tail) - 1]}{tail}"
                  for tail in ("", f"-{_slug(place.region)}", f"-{place.geonameid}")]
    code = next((c for c in candidates if c not in taken), candidates[-1])  # GeoNames ids are unique
    taken.add(code)
    return code
