"""The reference network: deterministic, on real geography, stores in the big cities, warehouses spread out."""

from __future__ import annotations

import re
from itertools import combinations

import pytest

from ordermesh.domain.catalogue import Capability, LocationType
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.sourcing import haversine_km
from ordermesh.service.simulation.assortment import BULKY_GRAMS
from ordermesh.service.simulation.geography import Place, country_places
from ordermesh.service.simulation.network import (
    STORE_SPACING_KM,
    Network,
    SimLocation,
    _code,
    build_network,
)

# (min lat, max lat, min lon, max lon), generous enough for Alaska and Hawaii.
US_BOX = (18.0, 72.0, -180.0, -65.0)
DE_BOX = (47.2, 55.1, 5.8, 15.1)
CODE = re.compile(r"^(WH|ST)-[A-Z0-9-]+$")


def inside(location: SimLocation, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= location.latitude <= box[1] and box[2] <= location.longitude <= box[3]


def km(a: SimLocation, b: SimLocation) -> float:
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


def test_the_same_seed_builds_the_same_network() -> None:
    assert build_network(3) == build_network(3)


def test_another_seed_builds_another_network() -> None:
    first, second = build_network(3), build_network(4)
    assert first.skus != second.skus
    assert [s.stock for s in first.stores] != [s.stock for s in second.stores]


def test_the_default_network_has_three_warehouses_fifty_stores_and_two_hundred_skus(network: Network) -> None:
    assert len(network.warehouses) == 3
    assert len(network.stores) == 50
    assert len(network.skus) == 200
    assert network.country == "US"
    assert network.currency == "USD"


def test_location_codes_are_unique_uppercase_ascii_and_short(network: Network) -> None:
    codes = [location.code for location in network.locations]
    assert len(set(codes)) == len(codes)
    assert all(CODE.match(code) and len(code) <= 64 for code in codes), codes
    assert all(w.code.startswith("WH-") for w in network.warehouses)
    assert all(s.code.startswith("ST-") for s in network.stores)


def test_every_location_lies_inside_the_country(network: Network) -> None:
    assert all(inside(location, US_BOX) for location in network.locations)
    assert {location.country for location in network.locations} == {"US"}
    assert all(location.region for location in network.locations)


def test_stores_sit_in_the_most_populous_cities_one_per_city(network: Network) -> None:
    store_codes = {s.code for s in network.stores}
    assert {"ST-NEW-YORK-CITY", "ST-LOS-ANGELES", "ST-CHICAGO", "ST-HOUSTON"} <= store_codes
    top_hundred = {p.name for p in country_places("US")[:100]}
    assert all(s.name.removeprefix("Store ") in top_hundred for s in network.stores)
    assert min(km(a, b) for a, b in combinations(network.stores, 2)) >= STORE_SPACING_KM


def test_boroughs_next_to_a_store_city_do_not_get_a_second_store(network: Network) -> None:
    codes = {s.code for s in network.stores}
    assert "ST-BROOKLYN" not in codes  # 9 km from the New York City point
    assert "ST-MANHATTAN" not in codes


def test_warehouses_are_in_large_cities_far_apart(network: Network) -> None:
    large = {p.name for p in country_places("US")[:40]}
    assert all(w.name.removeprefix("Distribution centre ") in large for w in network.warehouses)
    assert min(km(a, b) for a, b in combinations(network.warehouses, 2)) > 800


def test_warehouses_ship_and_stores_also_serve_customers_in_person(network: Network) -> None:
    for warehouse in network.warehouses:
        assert warehouse.type == LocationType.WAREHOUSE.value
        assert warehouse.capabilities == (Capability.SHIP.value,)
    for store in network.stores:
        assert store.type == LocationType.STORE.value
        assert set(store.capabilities) == {c.value for c in (Capability.SHIP, Capability.PICKUP,
                                                              Capability.CURBSIDE, Capability.RETURNS)}


def test_stores_have_small_daily_capacity_and_warehouses_large(network: Network) -> None:
    assert all(20 <= s.daily_capacity["ship"] <= 60 for s in network.stores)
    assert all(s.daily_capacity["pickup"] > 0 and s.daily_capacity["curbside"] > 0 for s in network.stores)
    assert all(w.daily_capacity["ship"] >= 1_000 for w in network.warehouses)


def test_warehouses_hold_deep_stock_and_stores_shallow_with_gaps(network: Network) -> None:
    warehouse_units = min(sum(w.stock.values()) for w in network.warehouses)
    store_units = max(sum(s.stock.values()) for s in network.stores)
    assert warehouse_units > 20 * store_units
    store_positions = [units for s in network.stores for units in s.stock.values()]
    assert 0.15 < store_positions.count(0) / len(store_positions) < 0.7
    assert all(set(location.stock) == {sku.code for sku in network.skus} for location in network.locations)


def test_popular_skus_are_stocked_deeper(network: Network) -> None:
    by_popularity = sorted(network.skus, key=lambda sku: sku.popularity, reverse=True)

    def mean_units(skus: list[str]) -> float:
        return sum(loc.stock[code] for loc in network.locations for code in skus) / len(skus)

    head = [sku.code for sku in by_popularity[:20]]
    tail = [sku.code for sku in by_popularity[100:]]
    assert mean_units(head) > 5 * mean_units(tail)


def test_skus_span_light_to_bulky_with_positive_prices(network: Network) -> None:
    weights = [sku.weight_grams for sku in network.skus]
    assert 100 <= min(weights) < 300
    assert BULKY_GRAMS < max(weights) <= 15_000
    assert all(("bulky" in sku.tags) == (sku.weight_grams >= BULKY_GRAMS) for sku in network.skus)
    assert all(sku.unit_price_minor > 0 for sku in network.skus)
    assert len({sku.code for sku in network.skus}) == len(network.skus)
    assert sum(sku.popularity for sku in network.skus) == pytest.approx(1.0)


def test_a_network_can_be_built_for_another_country() -> None:
    germany = build_network(1, warehouses=2, stores=20, skus=30, country="de")
    assert (len(germany.warehouses), len(germany.stores), len(germany.skus)) == (2, 20, 30)
    assert germany.currency == "EUR"
    assert all(inside(location, DE_BOX) for location in germany.locations)
    assert "ST-KOLN" in {s.code for s in germany.stores}  # Köln, transliterated to ASCII


def test_a_large_network_keeps_codes_unique_when_city_names_repeat() -> None:
    big = build_network(1, stores=400, skus=5)
    codes = [s.code for s in big.stores]
    assert len(set(codes)) == 400
    assert any(re.search(r"-[A-Z]{2}$", code) and code.rsplit("-", 1)[0] in codes for code in codes)


def test_a_second_city_of_the_same_name_gets_its_region_then_its_geonames_id() -> None:
    taken: set[str] = set()
    springfield = Place(1, "Springfield", 39.8, -89.6, 100_000, "IL")
    assert _code("ST", springfield, taken) == "ST-SPRINGFIELD"
    assert _code("ST", springfield, taken) == "ST-SPRINGFIELD-IL"
    assert _code("ST", springfield, taken) == "ST-SPRINGFIELD-1"


def test_a_very_long_city_name_is_cut_to_sixty_four_characters() -> None:
    place = Place(2, "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch-on-Sea-by-the-Bay", 53.2, -4.2,
                  3_000, "WLS")
    code = _code("WH", place, set())
    assert len(code) == 64
    assert code.startswith("WH-LLANFAIR")


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no cities"):
        build_network(1, country="XX")


@pytest.mark.parametrize(("warehouses", "stores", "skus"), [(0, 50, 200), (3, 0, 200), (3, 50, 0)])
def test_empty_networks_are_refused(warehouses: int, stores: int, skus: int) -> None:
    with pytest.raises(InvalidInput, match="at least 1"):
        build_network(1, warehouses=warehouses, stores=stores, skus=skus)


def test_the_nearest_store_to_a_point_in_chicago_is_the_chicago_store(network: Network) -> None:
    store, distance = network.nearest_store(41.88, -87.63, Capability.PICKUP.value)
    assert store.code == "ST-CHICAGO"
    assert distance == pytest.approx(haversine_km(41.88, -87.63, store.latitude, store.longitude))
    assert distance < 10


def test_asking_for_a_store_capability_no_store_has_is_refused(network: Network) -> None:
    with pytest.raises(InvalidInput, match="local_delivery"):
        network.nearest_store(41.88, -87.63, Capability.LOCAL_DELIVERY.value)
