"""Criteria: each filter says why it excludes a location; each score is 0..1, higher is better."""

from __future__ import annotations

import pytest

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.sourcing import Criteria, OrderContext, RateCards, Weights
from ordermesh.domain.sourcing.criteria import (
    below_minimum_stock,
    capacity_full,
    cost_score,
    distance_score,
    excluded_by_profile,
    headroom_score,
    lacks_capability,
    missing_tags,
    no_stock,
    outside_radius,
    priority_score,
    rank,
    score_candidates,
    screen,
    stock_score,
)
from tests.unit.sourcing.builders import BERLIN, CAP, HAMBURG, MUNICH, POTSDAM, TEE, place, shipping

STORE = place(1, "STORE-BER", BERLIN, {TEE: 3}, type="store", tags=frozenset({"flagship"}), capacity_left=0,
              capabilities=frozenset({"pickup"}))
WAREHOUSE = place(2, "WH-HAM", HAMBURG, {TEE: 9, CAP: 9}, type="warehouse", capacity_left=5)


# -- filters ---------------------------------------------------------------------------------------

def test_a_location_without_the_methods_capability_is_excluded_and_a_cart_hold_needs_none() -> None:
    assert lacks_capability(STORE, DeliveryMethod.SHIP) == "no ship capability"
    assert lacks_capability(STORE, DeliveryMethod.LOCAL_DELIVERY) == "no local_delivery capability"
    assert lacks_capability(STORE, DeliveryMethod.PICKUP) is None
    assert lacks_capability(STORE, None) is None


def test_locations_the_profile_names_are_excluded() -> None:
    assert excluded_by_profile(STORE, frozenset({"STORE-BER"})) == "excluded by profile"
    assert excluded_by_profile(WAREHOUSE, frozenset({"STORE-BER"})) is None


def test_a_type_filter_names_the_type_and_the_allowed_ones() -> None:
    from ordermesh.domain.sourcing.criteria import wrong_type

    assert wrong_type(STORE, frozenset({"warehouse"})) == "type store not in [warehouse]"
    assert wrong_type(STORE, frozenset({"warehouse", "store"})) is None
    assert wrong_type(STORE, None) is None


def test_a_tag_filter_needs_any_one_of_the_tags() -> None:
    assert missing_tags(STORE, frozenset({"flagship", "outlet"})) is None
    assert missing_tags(WAREHOUSE, frozenset({"outlet", "flagship"})) == "no tag of [flagship, outlet]"
    assert missing_tags(WAREHOUSE, None) is None


def test_the_radius_says_how_far_the_location_is_and_is_moot_without_a_destination() -> None:
    assert outside_radius(83.24, 50) == "outside 50 km radius (83.2 km)"
    assert outside_radius(50.0, 50) is None
    assert outside_radius(None, 50) is None
    assert outside_radius(500.0, None) is None


def test_a_location_whose_daily_capacity_is_used_up_is_excluded() -> None:
    assert capacity_full(STORE, DeliveryMethod.SHIP) == "daily capacity for ship is full"
    assert capacity_full(WAREHOUSE, DeliveryMethod.SHIP) is None
    assert capacity_full(place(3, "X", BERLIN, {}), DeliveryMethod.SHIP) is None  # no limit


def test_stock_below_the_minimum_of_every_line_excludes_and_none_at_all_says_so() -> None:
    assert below_minimum_stock(STORE, {TEE: 1}, 5) == "stock below minimum"
    assert below_minimum_stock(WAREHOUSE, {TEE: 1, CAP: 1}, 5) is None
    assert below_minimum_stock(STORE, {TEE: 1}, 0) is None
    assert no_stock(STORE, {CAP: 1}) == "no stock for this order"
    assert no_stock(STORE, {TEE: 1, CAP: 1}) is None


def test_screening_keeps_the_first_reason_and_only_the_usable_stock() -> None:
    low = place(3, "STORE-POT", POTSDAM, {TEE: 1, CAP: 4})
    far = place(4, "WH-MUC", MUNICH, {TEE: 9})
    criteria = Criteria(max_distance_km=300, min_stock_units=2)
    screened = screen([STORE, WAREHOUSE, low, far], shipping(), criteria, {TEE: 2, CAP: 1},
                      excluded={2: "rejected this order (not_found)"})
    assert screened.excluded == {1: "no ship capability", 2: "rejected this order (not_found)",
                                 4: "outside 300 km radius (504.7 km)"}
    assert [(c.code, dict(c.stock)) for c in screened.eligible] == [("STORE-POT", {CAP: 4})]
    assert screened.distances[4] == pytest.approx(504, abs=1)


# -- scores ----------------------------------------------------------------------------------------

def test_distance_scores_one_at_the_door_and_zero_at_the_farthest() -> None:
    assert distance_score(0.0, 100.0) == 1.0
    assert distance_score(25.0, 100.0) == 0.75
    assert distance_score(100.0, 100.0) == 0.0
    assert distance_score(None, 100.0) == 0.0
    assert distance_score(0.0, 0.0) == 1.0


def test_stock_scores_the_share_of_the_order_a_location_could_ship() -> None:
    assert stock_score(3, 4) == 0.75
    assert stock_score(0, 4) == 0.0


def test_priority_scores_the_lowest_number_highest() -> None:
    assert priority_score(1, best=1, worst=5) == 1.0
    assert priority_score(3, best=1, worst=5) == 0.5
    assert priority_score(5, best=1, worst=5) == 0.0
    assert priority_score(7, best=7, worst=7) == 1.0


def test_capacity_headroom_scores_unlimited_highest() -> None:
    assert headroom_score(None, 10) == 1.0
    assert headroom_score(5, 10) == 0.5
    assert headroom_score(0, 0) == 0.0


def test_cost_scores_the_cheapest_highest() -> None:
    assert cost_score(10.0, cheapest=10.0, dearest=30.0) == 1.0
    assert cost_score(20.0, cheapest=10.0, dearest=30.0) == 0.5
    assert cost_score(30.0, cheapest=10.0, dearest=30.0) == 0.0
    assert cost_score(5.0, cheapest=5.0, dearest=5.0) == 1.0


def test_scores_are_within_0_and_1_and_the_total_is_the_weighted_mean() -> None:
    near = place(1, "NEAR", POTSDAM, {TEE: 1}, priority=5, capacity_left=2)
    far = place(2, "FAR", MUNICH, {TEE: 2}, priority=1)
    ctx = shipping()
    criteria = Criteria(weights=Weights(distance=3.0, priority=1.0))
    screened = screen([near, far], ctx, criteria, {TEE: 2})
    scores = score_candidates(screened, ctx, {TEE: 2}, criteria, RateCards())
    near_km, far_km = screened.distances[1], screened.distances[2]
    assert near_km is not None and far_km is not None
    assert scores[1].parts["distance"] == pytest.approx(1 - near_km / far_km)
    assert scores[2].parts == {"distance": 0.0, "stock": 1.0, "priority": 1.0, "capacity_headroom": 1.0,
                               "cost": pytest.approx(scores[2].parts["cost"])}
    assert scores[1].parts["stock"] == 0.5 and scores[1].parts["priority"] == 0.0
    assert scores[1].total == pytest.approx((3 * scores[1].parts["distance"] + 0.0) / 4)
    assert scores[2].total == pytest.approx(0.25)
    for s in scores.values():
        assert all(0.0 <= v <= 1.0 for v in s.parts.values()) and 0.0 <= s.total <= 1.0
    assert [c.code for c in rank(screened.eligible, scores)] == ["NEAR", "FAR"]


def test_the_radius_is_the_distance_scale_when_set() -> None:
    near = place(1, "NEAR", POTSDAM, {TEE: 1})
    ctx = shipping()
    criteria = Criteria(weights=Weights(distance=1.0), max_distance_km=100)
    screened = screen([near], ctx, criteria, {TEE: 1})
    km = screened.distances[1]
    assert km is not None
    assert score_candidates(screened, ctx, {TEE: 1}, criteria, RateCards())[1].total == pytest.approx(1 - km / 100)


def test_the_cheaper_location_to_ship_from_scores_higher_on_cost() -> None:
    warehouse = place(1, "WH", POTSDAM, {TEE: 2}, type="warehouse")
    store = place(2, "ST", POTSDAM, {TEE: 2}, type="store")  # dearer parcel and handling
    ctx = OrderContext(method=DeliveryMethod.SHIP, destination=BERLIN, sku_weight_grams={TEE: 500})
    criteria = Criteria(weights=Weights(cost=1.0))
    scores = score_candidates(screen([warehouse, store], ctx, criteria, {TEE: 2}), ctx, {TEE: 2}, criteria,
                              RateCards())
    assert scores[1].total == 1.0 and scores[2].total == 0.0


def test_equal_scores_rank_by_code_whatever_the_input_order() -> None:
    a, b = place(2, "A", BERLIN, {TEE: 1}), place(1, "B", BERLIN, {TEE: 1})
    ctx = shipping(destination=None)
    criteria = Criteria(weights=Weights(distance=1.0))
    for order in ([a, b], [b, a]):
        screened = screen(order, ctx, criteria, {TEE: 1})
        assert [c.code for c in rank(screened.eligible, score_candidates(screened, ctx, {TEE: 1}, criteria,
                                                                          RateCards()))] == ["A", "B"]
