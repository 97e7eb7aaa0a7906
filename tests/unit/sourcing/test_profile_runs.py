"""Running a profile: strategies in turn, then the fallback; the decision says why; a refusal says why per SKU."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.adapters.solver import HighsSolver
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock
from ordermesh.domain.sourcing import (
    DEFAULT_PROFILE,
    Candidate,
    Decision,
    OrderContext,
    Profile,
    StrategyType,
    default_strategy,
    parse_profile,
    run_profile,
)
from tests.unit.sourcing.builders import (
    BERLIN,
    CAP,
    HAMBURG,
    MUG,
    MUNICH,
    POTSDAM,
    SKU_CODES,
    TEE,
    chosen,
    orders,
    place,
    shipping,
    units_at,
)

BER = place(1, "STORE-BER", BERLIN, {TEE: 2}, type="store", priority=1)
POT = place(2, "STORE-POT", POTSDAM, {TEE: 5, CAP: 1}, type="store", priority=2)
HAM = place(3, "WH-HAM", HAMBURG, {TEE: 9, CAP: 9, MUG: 9}, type="warehouse", priority=3)
MUC = place(4, "WH-MUC", MUNICH, {MUG: 4}, type="warehouse", priority=3)
NETWORK = [BER, POT, HAM, MUC]
SOLVER = HighsSolver()


def run(doc: dict[str, object], demand: dict[int, int], ctx: OrderContext | None = None,
        candidates: list = NETWORK, **kwargs: object) -> Decision:  # type: ignore[type-arg]
    return run_profile(parse_profile(doc), ctx or shipping(), demand, candidates, SKU_CODES, **kwargs)  # type: ignore[arg-type]


def test_the_first_strategy_that_finds_a_plan_decides_and_the_explanation_says_which() -> None:
    decision = run({"strategies": [{"type": "nearest", "name": "one parcel"}, {"type": "priority"}]},
                   {TEE: 1, MUG: 1})
    assert chosen(decision) == ["WH-HAM"] and decision.strategy == "one parcel"
    explained = decision.explanation()
    assert explained["strategy_type"] == "nearest"
    assert explained["tried"] == [{"strategy": "one parcel", "type": "nearest", "outcome": "chosen"}]
    assert json.loads(json.dumps(explained)) == explained


def test_a_strategy_that_fails_hands_over_to_the_next_and_the_reason_is_kept() -> None:
    decision = run({"strategies": [{"type": "nearest"}], "fallback": {"type": "priority"}}, {TEE: 12})
    assert units_at(decision.allocations) == {(1, TEE): 2, (2, TEE): 5, (3, TEE): 5}
    failed, won = decision.tried
    assert failed == {"strategy": "nearest", "type": "nearest", "outcome": "failed",
                      "reason": "no single eligible location has every line",
                      "skus": {"TEE": "needs more than 1 location"}}
    assert won["outcome"] == "chosen" and won["strategy"] == "priority"


def test_strategies_whose_conditions_the_order_does_not_meet_are_skipped_with_the_reason() -> None:
    doc = {"strategies": [{"type": "nearest", "conditions": {"channels": ["pos"]}},
                          {"type": "nearest", "name": "big", "conditions": {"order_value_min_minor": 10000}},
                          {"type": "nearest", "name": "de", "conditions": {"destination_countries": ["DE"]}}]}
    decision = run(doc, {TEE: 1}, shipping(channel="web", order_value_minor=2500, country="de"))
    assert [(t["strategy"], t["outcome"], t.get("reason")) for t in decision.tried] == [
        ("nearest", "skipped", "channel web not in [pos]"),
        ("big", "skipped", "order value 2500 below the minimum 10000"),
        ("de", "chosen", None)]


def test_sku_tag_conditions_match_when_any_line_carries_a_tag() -> None:
    doc = {"strategies": [{"type": "nearest", "name": "bulky", "conditions": {"sku_tags_any": ["bulky"]}}],
           "fallback": {"type": "priority"}}
    tagged = shipping(sku_tags={MUG: frozenset({"bulky", "fragile"})})
    assert run(doc, {TEE: 1, MUG: 1}, tagged).strategy == "bulky"
    assert run(doc, {TEE: 1}, tagged).strategy == "priority"


def test_the_default_profile_ships_at_min_cost_and_a_cart_hold_falls_back_to_fewest_splits() -> None:
    shipped = run_profile(DEFAULT_PROFILE, shipping(), {TEE: 1, MUG: 1}, NETWORK, SKU_CODES)
    assert shipped.strategy_type == "min_cost" and chosen(shipped) == ["WH-HAM"]
    assert shipped.optimisation is not None and shipped.optimisation["method"] in ("heuristic", "greedy:nearest")
    held = run_profile(DEFAULT_PROFILE, OrderContext(), {TEE: 3}, NETWORK, SKU_CODES)
    assert held.strategy_type == "fewest_splits"
    assert held.tried[0]["reason"] == "delivery method unknown not in [local_delivery, ship]"


def test_every_candidate_is_explained_chosen_first_with_scores_or_the_reason_it_was_excluded() -> None:
    pickup_only = place(5, "STORE-X", BERLIN, {TEE: 9}, capabilities=frozenset({"pickup"}))
    decision = run({"strategies": [{"type": "nearest"}]}, {TEE: 3}, candidates=[*NETWORK, pickup_only],
                   excluded={1: "rejected this order (not_found)"})
    rows = decision.candidates
    assert [r["location"] for r in rows][:1] == ["STORE-POT"] and rows[0]["chosen"] and rows[0]["units"] == 3
    by_code = {r["location"]: r for r in rows}
    assert by_code["STORE-X"]["excluded"] == "no ship capability" and by_code["STORE-X"]["scores"] is None
    assert by_code["STORE-BER"]["excluded"] == "rejected this order (not_found)"
    assert by_code["WH-MUC"]["excluded"] == "no stock for this order"
    assert set(by_code["WH-HAM"]["scores"]) == {"distance", "stock", "priority", "capacity_headroom", "cost", "total"}
    assert [r["excluded"] is None for r in rows] == [True, True, False, False, False]


def test_weights_blend_distance_and_priority() -> None:
    far_but_preferred = place(1, "FAR", MUNICH, {TEE: 1}, priority=1)
    near = place(2, "NEAR", POTSDAM, {TEE: 1}, priority=9)
    candidates = [far_but_preferred, near]
    by_distance = run({"strategies": [{"type": "nearest"}]}, {TEE: 1}, candidates=candidates)
    by_priority = run({"strategies": [{"type": "nearest", "criteria": {"weights": {"distance": 1, "priority": 2}}}]},
                      {TEE: 1}, candidates=candidates)
    assert chosen(by_distance) == ["NEAR"] and chosen(by_priority) == ["FAR"]


def test_location_filters_of_the_profile_apply() -> None:
    doc = {"strategies": [{"type": "priority", "criteria": {"location_types": ["warehouse"],
                                                            "exclude_locations": ["WH-MUC"]}}]}
    decision = run(doc, {TEE: 1, MUG: 1})
    assert chosen(decision) == ["WH-HAM"]
    reasons = {r["location"]: r["excluded"] for r in decision.candidates}
    assert reasons == {"WH-HAM": None, "STORE-BER": "type store not in [warehouse]",
                       "STORE-POT": "type store not in [warehouse]", "WH-MUC": "excluded by profile"}


def test_a_location_at_capacity_is_not_used() -> None:
    full = place(3, "WH-HAM", HAMBURG, {TEE: 9}, capacity_left=0)
    decision = run({"strategies": [{"type": "nearest"}]}, {TEE: 3}, candidates=[BER, full, POT])
    assert chosen(decision) == ["STORE-POT"]
    assert {r["location"]: r["excluded"] for r in decision.candidates}["WH-HAM"] == "daily capacity for ship is full"


def test_allow_partial_fills_what_it_can_and_lists_the_shortfall() -> None:
    doc = {"strategies": [{"type": "fewest_splits", "allow_partial": True}]}
    decision = run(doc, {TEE: 20, CAP: 2, MUG: 1}, candidates=[BER, POT])
    assert units_at(decision.allocations) == {(1, TEE): 2, (2, TEE): 5, (2, CAP): 1}
    assert decision.shortfall == {"CAP": 1, "MUG": 1, "TEE": 13}
    assert decision.explanation()["shortfall"] == {"CAP": 1, "MUG": 1, "TEE": 13}


def test_allow_partial_within_the_split_limit_fills_from_the_best_ranked() -> None:
    doc = {"strategies": [{"type": "priority", "max_splits": 1, "allow_partial": True}]}
    decision = run(doc, {TEE: 4}, candidates=[BER, POT])
    assert units_at(decision.allocations) == {(1, TEE): 2} and decision.shortfall == {"TEE": 2}


def test_a_shipment_below_the_minimum_value_is_avoided_when_there_is_another_way() -> None:
    ctx = shipping(unit_value_minor={TEE: 1000, CAP: 300})
    doc = {"strategies": [{"type": "priority", "min_shipment_value_minor": 2000}]}
    # By priority BER then POT would split (BER 2 TEE, POT the CAP at 300); POT alone can fill the order.
    decision = run(doc, {TEE: 2, CAP: 1}, ctx)
    assert units_at(decision.allocations) == {(2, TEE): 2, (2, CAP): 1}
    without_minimum = run({"strategies": [{"type": "priority"}]}, {TEE: 2, CAP: 1}, ctx)
    assert chosen(without_minimum) == ["STORE-BER", "STORE-POT"]


def test_a_shipment_below_the_minimum_value_stays_when_it_is_the_only_way() -> None:
    ctx = shipping(unit_value_minor={TEE: 1000, MUG: 100})
    doc = {"strategies": [{"type": "priority", "min_shipment_value_minor": 2000}]}
    decision = run(doc, {TEE: 2, MUG: 1}, ctx, candidates=[BER, MUC])
    assert chosen(decision) == ["STORE-BER", "WH-MUC"]


def refused(doc: dict[str, object], demand: dict[int, int], **kwargs: object) -> InsufficientStock:
    with pytest.raises(InsufficientStock) as refusal:
        run(doc, demand, **kwargs)  # type: ignore[arg-type]
    return refusal.value


def test_a_refusal_names_each_short_sku_with_its_reason() -> None:
    pickup_only = place(5, "STORE-X", BERLIN, {CAP: 50}, capabilities=frozenset({"pickup"}))
    full = place(6, "WH-FULL", HAMBURG, {MUG: 50}, capacity_left=0)
    error = refused({"strategies": [{"type": "fewest_splits"}]}, {TEE: 99, CAP: 20, MUG: 20},
                    candidates=[*NETWORK, pickup_only, full])
    assert error.skus == ["CAP", "MUG", "TEE"]
    assert error.extra["reasons"] == {"TEE": "no stock", "CAP": "no capable location", "MUG": "no capacity"}
    assert error.extra["skus"] == ["CAP", "MUG", "TEE"]
    assert "TEE (no stock)" in error.detail


def test_a_refusal_says_when_the_profiles_filters_or_split_limit_are_in_the_way() -> None:
    radius = refused({"strategies": [{"type": "fewest_splits", "criteria": {"max_distance_km": 100}}]}, {MUG: 1})
    assert radius.extra["reasons"] == {"MUG": "no location the profile allows has enough"}
    splits = refused({"strategies": [{"type": "nearest"}]}, {TEE: 1, MUG: 10})
    assert splits.skus == ["MUG", "TEE"]
    assert splits.extra["reasons"] == {"MUG": "needs more locations than the profile allows",
                                       "TEE": "needs more locations than the profile allows"}


def test_a_refusal_when_no_strategy_applies() -> None:
    error = refused({"strategies": [{"type": "nearest", "conditions": {"channels": ["pos"]}}]}, {TEE: 1})
    assert error.extra["reasons"] == {"TEE": "no strategy of the profile applies to this order"}


def test_local_delivery_uses_the_local_delivery_capability() -> None:
    ship_only = place(7, "WH-SHIP", POTSDAM, {TEE: 5}, capabilities=frozenset({"ship"}))
    ctx = OrderContext(method=DeliveryMethod.LOCAL_DELIVERY, destination=BERLIN)
    decision = run({"strategies": [{"type": "nearest"}]}, {TEE: 1}, ctx, candidates=[ship_only, HAM])
    assert chosen(decision) == ["WH-HAM"]


# -- properties ------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(order=orders(), kind=st.sampled_from(list(StrategyType)), max_splits=st.one_of(st.none(), st.integers(1, 3)),
       allow_partial=st.booleans(), min_value=st.sampled_from([0, 500, 5000]))
def test_any_strategy_allocates_within_stock_capacity_and_splits_or_refuses_naming_skus(
    order: tuple[dict[int, int], list[Candidate], OrderContext], kind: StrategyType, max_splits: int | None,
    allow_partial: bool, min_value: int,
) -> None:
    demand, candidates, ctx = order
    ctx = replace(ctx, unit_value_minor={sku: 300 * sku for sku in demand})
    splits = 1 if kind is StrategyType.NEAREST else max_splits
    strategy = replace(default_strategy(kind), max_splits=splits, allow_partial=allow_partial,
                       min_shipment_value_minor=min_value)
    try:
        decision = run_profile(Profile((strategy,)), ctx, demand, candidates, SKU_CODES, solver=SOLVER)
    except InsufficientStock as refusal:
        assert refusal.skus and set(refusal.extra["reasons"]) == set(refusal.skus)
        assert set(refusal.skus) <= {SKU_CODES[s] for s in demand}
        return
    by_id = {c.location_id: c for c in candidates}
    placed: dict[int, int] = {}
    for (location_id, sku), units in units_at(decision.allocations).items():
        c = by_id[int(location_id)]
        assert 0 < units <= c.stock.get(sku, 0) and not c.at_capacity
        placed[sku] = placed.get(sku, 0) + units
    used = {a.location_id for a in decision.allocations}
    assert used and (splits is None or len(used) <= splits)
    assert set(decision.location_codes) == used
    assert all(placed.get(sku, 0) <= qty for sku, qty in demand.items())
    short = {SKU_CODES[s]: q - placed.get(s, 0) for s, q in demand.items() if placed.get(s, 0) < q}
    assert decision.shortfall == short
    assert allow_partial or not short
