"""The order stream: deterministic, realistic baskets, Zipf popularity, the delivery mix and nearest stores."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest

from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.sourcing import haversine_km
from ordermesh.service.simulation.network import Network
from ordermesh.service.simulation.orders import (
    PICKUP_REACH_KM,
    POSTAL_CODE_PLACEHOLDER,
    SIM_CHANNELS,
    SimOrder,
    generate_orders,
)


def share(orders: list[SimOrder], method: str) -> float:
    return sum(1 for o in orders if o.method == method) / len(orders)


def test_the_same_seed_generates_the_same_orders(network: Network) -> None:
    assert generate_orders(network, 300, 42) == generate_orders(network, 300, 42)


def test_another_seed_generates_other_orders(network: Network) -> None:
    first, second = generate_orders(network, 300, 42), generate_orders(network, 300, 43)
    assert [o.lines for o in first] != [o.lines for o in second]
    assert [o.address for o in first] != [o.address for o in second]


def test_a_prefix_of_a_longer_stream_is_the_shorter_stream(network: Network) -> None:
    assert generate_orders(network, 1_000, 42)[:100] == generate_orders(network, 100, 42)


def test_most_orders_have_one_line_and_none_more_than_eight(stream: list[SimOrder]) -> None:
    counts = [len(o.lines) for o in stream]
    assert 1.6 < statistics.mean(counts) < 1.85
    assert max(counts) == 8
    assert min(counts) == 1
    assert 0.58 < counts.count(1) / len(counts) < 0.66
    assert 0.05 < sum(1 for c in counts if c >= 4) / len(counts) < 0.11


def test_an_order_never_repeats_a_sku(stream: list[SimOrder]) -> None:
    assert all(len({line.sku for line in o.lines}) == len(o.lines) for o in stream)


def test_the_top_tenth_of_skus_takes_most_of_the_lines(network: Network, stream: list[SimOrder]) -> None:
    lines = Counter(line.sku for o in stream for line in o.lines)
    top_tenth = sorted(network.skus, key=lambda sku: sku.popularity, reverse=True)[:len(network.skus) // 10]
    top_share = sum(lines[sku.code] for sku in top_tenth) / sum(lines.values())
    assert 0.5 < top_share < 0.8  # uniform demand would give 0.1
    assert lines.most_common(1)[0][0] == top_tenth[0].code


def test_quantities_are_mostly_one_and_bulky_items_always_one(network: Network, stream: list[SimOrder]) -> None:
    bulky = {sku.code for sku in network.skus if sku.bulky}
    quantities = [line.quantity for o in stream for line in o.lines]
    assert quantities.count(1) / len(quantities) > 0.8
    assert max(quantities) == 3
    assert all(line.quantity == 1 for o in stream for line in o.lines if line.sku in bulky)


def test_lines_carry_the_catalogue_price(network: Network, stream: list[SimOrder]) -> None:
    prices = {sku.code: sku.unit_price_minor for sku in network.skus}
    assert all(line.unit_price_minor == prices[line.sku] for o in stream for line in o.lines)
    assert {o.currency for o in stream} == {"USD"}


def test_the_default_delivery_mix_is_seventy_twenty_ten(stream: list[SimOrder]) -> None:
    assert share(stream, "ship") == pytest.approx(0.70, abs=0.02)
    assert share(stream, "pickup") == pytest.approx(0.20, abs=0.02)
    assert share(stream, "curbside") == pytest.approx(0.10, abs=0.02)


def test_a_custom_delivery_mix_is_honoured(network: Network) -> None:
    orders = generate_orders(network, 500, 1, delivery_mix={"ship": 1.0})
    assert {o.method for o in orders} == {"ship"}
    assert all(o.pickup_location is None for o in orders)


def test_an_unknown_delivery_method_is_refused(network: Network) -> None:
    with pytest.raises(InvalidInput, match="teleport"):
        generate_orders(network, 5, 1, delivery_mix={"teleport": 1.0})


def test_pickup_and_curbside_orders_go_to_the_store_nearest_the_customer(
    network: Network, stream: list[SimOrder]
) -> None:
    collected = [o for o in stream if o.method in ("pickup", "curbside")]
    assert collected
    for order in collected:
        nearest = min(network.stores, key=lambda s: haversine_km(order.address.latitude, order.address.longitude,
                                                                 s.latitude, s.longitude))
        assert order.pickup_location == nearest.code


def test_collecting_customers_live_within_reach_of_their_store(network: Network, stream: list[SimOrder]) -> None:
    distances = [network.nearest_store(o.address.latitude, o.address.longitude, o.method)[1]
                 for o in stream if o.pickup_location]
    assert sum(1 for km in distances if km <= PICKUP_REACH_KM) / len(distances) > 0.99


def test_shipped_orders_name_no_store(stream: list[SimOrder]) -> None:
    assert all(o.pickup_location is None for o in stream if o.method == "ship")


def test_orders_carry_a_complete_address_and_identity(stream: list[SimOrder]) -> None:
    assert len({o.external_id for o in stream}) == len(stream)
    assert len({o.customer_email for o in stream}) == len(stream)
    for order in stream[:500]:
        address = order.address
        assert address.country == "US" and address.region and address.city and address.line1
        assert address.postal_code == POSTAL_CODE_PLACEHOLDER
        assert 18 < address.latitude < 72 and -180 < address.longitude < -65


def test_orders_come_from_the_web_and_the_app_only(stream: list[SimOrder]) -> None:
    channels = Counter(o.channel for o in stream)
    assert set(channels) == set(SIM_CHANNELS) == {"web", "app"}
    assert channels["web"] / len(stream) == pytest.approx(0.6, abs=0.02)


def test_zero_orders_is_an_empty_stream_and_a_negative_count_is_refused(network: Network) -> None:
    assert generate_orders(network, 0, 1) == []
    with pytest.raises(InvalidInput, match="negative"):
        generate_orders(network, -1, 1)
