"""The fast paths of screening and scoring give exactly what the plain definitions give: the same reasons,
the same stock, the same floats (not just close ones), the same rounded explanation."""

from __future__ import annotations

from dataclasses import fields, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.sourcing import Candidate, Criteria, OrderContext, RateCards, Weights
from ordermesh.domain.sourcing.costs import shipment_cost
from ordermesh.domain.sourcing.criteria import (
    Scores,
    Scoring,
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
    screen,
    stock_score,
    wrong_type,
)
from ordermesh.domain.sourcing.distance import distance_km, distances_km
from ordermesh.domain.sourcing.plans import fillable
from ordermesh.domain.sourcing.profiles import WEIGHT_NAMES
from ordermesh.domain.sourcing.scores import _rounded
from tests.unit.sourcing.builders import HAMBURG, LOCATION_TYPES, TEE, orders, place, shipping

WAREHOUSE = place(2, "WH-HAM", HAMBURG, {TEE: 9}, type="warehouse", capacity_left=5)


def plain_reason(c: Candidate, km: float | None, ctx: OrderContext, criteria: Criteria,
                 demand: dict[int, int]) -> str | None:
    """Every filter in turn, the first reason wins: the definition ``screen`` must keep to."""
    return (lacks_capability(c, ctx.method) or excluded_by_profile(c, criteria.exclude_locations)
            or wrong_type(c, criteria.location_types) or missing_tags(c, criteria.location_tags_any)
            or outside_radius(km, criteria.max_distance_km) or capacity_full(c, ctx.method)
            or no_stock(c, demand) or below_minimum_stock(c, demand, criteria.min_stock_units))


def plain_scores(eligible: list[Candidate], km: dict[int, float | None], ctx: OrderContext,
                 demand: dict[int, int], criteria: Criteria, rates: RateCards) -> dict[int, Scores]:
    """Every part of every location, from ``shipment_cost`` and the score functions, the total over every
    weight: the definition ``Scoring`` must give the very same floats for."""
    distances = [km[c.location_id] for c in eligible]
    farthest = criteria.max_distance_km or max((d for d in distances if d is not None), default=0.0)
    priorities = [c.priority for c in eligible]
    most_room = max((c.capacity_left for c in eligible if c.capacity_left is not None), default=0)
    alone = {}
    for c in eligible:
        units = {sku: min(qty, c.stock.get(sku, 0)) for sku, qty in demand.items()}
        alone[c.location_id] = shipment_cost(c, units, ctx, rates).total / max(1, sum(units.values()))
    weights = criteria.weights.items()
    out = {}
    for c in eligible:
        parts = {
            "distance": distance_score(km[c.location_id], farthest),
            "stock": stock_score(fillable(c, demand), sum(demand.values())),
            "priority": priority_score(c.priority, min(priorities), max(priorities)),
            "capacity_headroom": headroom_score(c.capacity_left, most_room),
            "cost": cost_score(alone[c.location_id], min(alone.values()), max(alone.values())),
        }
        total_weight = sum(w for _, w in weights)
        total = sum(parts[name] * w for name, w in weights) / total_weight if total_weight > 0 else 0.0
        out[c.location_id] = Scores(parts, total)
    return out


WEIGHT = st.sampled_from([0.0, 0.0, 0.5, 1.0, 3.0])
CRITERIA = st.builds(
    Criteria,
    weights=st.builds(Weights, distance=WEIGHT, stock=WEIGHT, priority=WEIGHT, capacity_headroom=WEIGHT, cost=WEIGHT),
    location_types=st.one_of(st.none(), st.frozensets(st.sampled_from(LOCATION_TYPES), min_size=1)),
    location_tags_any=st.one_of(st.none(), st.just(frozenset({"north"}))),
    max_distance_km=st.one_of(st.none(), st.sampled_from([50.0, 300.0])),
    min_stock_units=st.integers(0, 3),
    exclude_locations=st.frozensets(st.sampled_from(["L1", "L2"])),
)


@settings(max_examples=300, deadline=None)
@given(order=orders(), criteria=CRITERIA, method=st.sampled_from([None, *DeliveryMethod]))
def test_screening_and_scoring_give_exactly_what_the_plain_definitions_give(
    order: tuple[dict[int, int], list[Candidate], OrderContext], criteria: Criteria, method: DeliveryMethod | None
) -> None:
    demand, candidates, ctx = order
    ctx = replace(ctx, method=method)
    screened = screen(candidates, ctx, criteria, demand)
    reasons = {c.location_id: plain_reason(c, screened.distances[c.location_id], ctx, criteria, demand)
               for c in candidates}
    assert screened.excluded == {i: why for i, why in reasons.items() if why}
    floor = max(1, criteria.min_stock_units)
    assert [(c.location_id, dict(c.stock)) for c in screened.eligible] == [
        (c.location_id, {sku: c.stock[sku] for sku in demand if c.stock.get(sku, 0) >= floor})
        for c in candidates if not reasons[c.location_id]]
    assert screened.fillable == {c.location_id: fillable(c, demand) for c in screened.eligible}
    if not screened.eligible:
        return
    plain = plain_scores(screened.eligible, dict(screened.distances), ctx, demand, criteria, RateCards())
    scoring = Scoring(screened, ctx, demand, criteria, RateCards())
    assert scoring.totals() == {i: s.total for i, s in plain.items()}  # the same floats, not just close
    assert scoring.scores() == plain
    assert scoring.explained() == {i: s.as_dict() for i, s in plain.items()}


@settings(max_examples=300, deadline=None)
@given(x=st.lists(st.one_of(st.floats(allow_nan=False), st.sampled_from([0.0, -0.0, 1.0, 0.5]), st.floats(0, 1),
                            st.integers(0, 10**6).map(lambda n: (n + 0.5) / 10_000))))
def test_scores_are_rounded_as_round_rounds_them(x: list[float]) -> None:
    assert [repr(v) for v in _rounded(x, {})] == [repr(round(v, 4)) for v in x]  # the sign of a zero too


@settings(max_examples=200, deadline=None)
@given(destination=st.one_of(st.none(), st.tuples(st.floats(-90, 90), st.floats(-180, 180))),
       places=st.lists(st.tuples(st.floats(-90, 90), st.floats(-180, 180)), max_size=5))
def test_distances_in_one_loop_are_the_distances_one_by_one(destination: tuple[float, float] | None,
                                                           places: list[tuple[float, float]]) -> None:
    assert distances_km(destination, [(i, lat, lon) for i, (lat, lon) in enumerate(places)]) == {
        i: distance_km(destination, lat, lon) for i, (lat, lon) in enumerate(places)}


def test_the_explanation_lists_every_score_in_order_then_the_total() -> None:
    screened = screen([WAREHOUSE], shipping(), Criteria(weights=Weights(distance=1.0)), {TEE: 1})
    explained = Scoring(screened, shipping(), {TEE: 1}, Criteria(weights=Weights(distance=1.0)), RateCards())
    assert list(explained.explained()[WAREHOUSE.location_id]) == [*WEIGHT_NAMES, "total"]


def test_a_location_with_less_stock_keeps_everything_else() -> None:
    copy = WAREHOUSE.with_stock({TEE: 1})
    assert copy.stock == {TEE: 1}
    assert all(getattr(copy, f.name) == getattr(WAREHOUSE, f.name) for f in fields(Candidate) if f.name != "stock")
