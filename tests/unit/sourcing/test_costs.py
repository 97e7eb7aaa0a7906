"""Plan costs: one parcel per location, priced by the location type's card, plus a penalty per extra shipment."""

from __future__ import annotations

import pytest

from ordermesh.domain.sourcing import Allocation, RateCard, RateCards, plan_cost
from ordermesh.domain.sourcing.distance import haversine_km
from tests.unit.sourcing.builders import BERLIN, CAP, CUSTOMER_IN_BERLIN, HAMBURG, MUG, TEE, place, shipping

RATES = RateCards({"warehouse": RateCard(per_parcel_minor=400, per_kg_minor=100, per_km_minor=2, handling_minor=50),
                   "store": RateCard(per_parcel_minor=500, per_kg_minor=200, per_km_minor=1, handling_minor=300)},
                  split_penalty_minor=250)
WAREHOUSE = place(1, "WH-HAM", HAMBURG, {TEE: 9, CAP: 9}, type="warehouse")
STORE = place(2, "STORE-BER", BERLIN, {MUG: 9}, type="store")


def test_one_shipment_costs_parcel_handling_weight_and_distance() -> None:
    ctx = shipping()  # TEE 200 g, CAP 100 g
    cost = plan_cost([Allocation(1, TEE, 3), Allocation(1, CAP, 2)], ctx, [WAREHOUSE], RATES)
    km = haversine_km(*CUSTOMER_IN_BERLIN, *HAMBURG)
    shipment, = cost.shipments
    assert shipment.weight_kg == pytest.approx(0.8)
    assert (shipment.parcel, shipment.handling) == (400, 50)
    assert shipment.per_kg == pytest.approx(80)
    assert shipment.per_km == pytest.approx(2 * km, abs=0.01)
    assert cost.split_penalty == 0
    assert cost.total == pytest.approx(400 + 50 + 80 + 2 * km, abs=0.01)


def test_each_location_ships_one_parcel_and_every_extra_one_pays_the_split_penalty() -> None:
    ctx = shipping(destination=None)
    cost = plan_cost([Allocation(1, TEE, 1), Allocation(2, MUG, 1), Allocation(1, CAP, 1)], ctx, [WAREHOUSE, STORE],
                     RATES)
    assert [s.location_id for s in cost.shipments] == [1, 2]
    assert cost.split_penalty == 250
    assert cost.total == pytest.approx((400 + 50 + 100 * 0.3) + (500 + 300 + 200 * 0.4) + 250)


def test_without_a_destination_distance_costs_nothing() -> None:
    cost = plan_cost([Allocation(1, TEE, 1)], shipping(destination=None), [WAREHOUSE], RATES)
    assert cost.shipments[0].distance_km is None and cost.shipments[0].per_km == 0


def test_a_location_type_without_its_own_card_uses_the_default_card_for_it() -> None:
    supplier = place(3, "SUP", HAMBURG, {TEE: 1}, type="supplier")
    assert RATES.for_type("supplier") == RateCards().for_type("supplier")
    assert plan_cost([Allocation(3, TEE, 1)], shipping(destination=None), [supplier], RATES).shipments[0].parcel == 600


def test_the_breakdown_reads_as_a_dict_with_location_codes() -> None:
    cost = plan_cost([Allocation(1, TEE, 1), Allocation(2, MUG, 1)], shipping(), [WAREHOUSE, STORE], RATES)
    out = cost.as_dict({1: "WH-HAM", 2: "STORE-BER"})
    assert [s["location"] for s in out["shipments"]] == ["WH-HAM", "STORE-BER"]
    assert out["shipping_per_parcel"] == 900 and out["handling"] == 350 and out["split_penalty"] == 250
    assert out["total"] == pytest.approx(out["shipping_per_parcel"] + out["shipping_per_kg"] + out["shipping_per_km"]
                                         + out["handling"] + out["split_penalty"], abs=0.02)
