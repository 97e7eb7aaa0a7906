"""The min-cost shortcuts are exact: the MILP over only the locations that can be in an optimal plan finds
the same optimum, and the local search stops early only where its search would have ended anyway."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.adapters.solver import HighsSolver
from ordermesh.domain.sourcing import (
    Candidate,
    MinCostProblem,
    MinCostSolution,
    OrderContext,
    RateCard,
    RateCards,
    SolveLimits,
    build_problem,
    greedy_baselines,
    min_cost_plan,
)
from ordermesh.domain.sourcing.bounds import MARGIN, bounds, only_optimum, prune
from ordermesh.domain.sourcing.local_search import improve
from ordermesh.domain.sourcing.min_cost import location_sets, plan_from_units
from ordermesh.domain.sourcing.plans import small_shipments
from tests.unit.sourcing.builders import (
    BERLIN,
    CAP,
    HAMBURG,
    POTSDAM,
    TEE,
    brute_force_cost,
    cost_of,
    orders,
    place,
    set_cost,
    shipping,
)

RATES = RateCards()
SOLVER = HighsSolver()
Order = tuple[dict[int, int], list[Candidate], OrderContext]
SPLITS = st.one_of(st.none(), st.integers(1, 3))


def cheapest_with(location: Candidate, order: Order, max_splits: int | None) -> float | None:
    """The cheapest plan whose set of locations includes ``location``, by brute force (None: none fills)."""
    demand, candidates, ctx = order
    others = [c for c in candidates if c.location_id != location.location_id and not c.at_capacity]
    most_others = len(others) if max_splits is None else min(max_splits - 1, len(others))
    costs = [set_cost((location, *subset), demand, ctx, RATES)
             for size in range(most_others + 1) for subset in combinations(others, size)]
    return min((c for c in costs if c is not None), default=None)


@settings(max_examples=80, deadline=None)
@given(order=orders(max_locations=6), max_splits=SPLITS)
def test_no_plan_with_a_location_costs_less_than_its_bound(order: Order, max_splits: int | None) -> None:
    demand, candidates, ctx = order
    problem = build_problem(candidates, demand, ctx, RATES, max_splits)
    b = bounds(problem)
    if b is None:
        assert brute_force_cost(candidates, demand, ctx, RATES, max_splits) is None
        return
    by_id = {c.location_id: c for c in candidates}
    for li, location_id in enumerate(problem.location_ids):
        cheapest = cheapest_with(by_id[location_id], order, max_splits)
        if cheapest is not None:
            assert b.at_least(li) <= cheapest + 0.01  # the brute force does not round distances to metres


@settings(max_examples=120, deadline=None)
@given(order=orders(), max_splits=SPLITS, with_greedy=st.booleans())
def test_the_milp_over_the_locations_left_finds_the_brute_force_optimum(order: Order, max_splits: int | None,
                                                                      with_greedy: bool) -> None:
    demand, candidates, ctx = order
    problem = build_problem(candidates, demand, ctx, RATES, max_splits)
    greedy = [cost_of(plan, ctx, candidates) for plan in greedy_baselines(candidates, demand, ctx,
                                                                           max_splits).values()]
    pruned = prune(problem, min(greedy, default=None) if with_greedy else None)
    assert set(pruned.location_ids) <= set(problem.location_ids)
    best = brute_force_cost(candidates, demand, ctx, RATES, max_splits)
    solution = SOLVER.solve(pruned, 10.0)
    if best is None:
        assert solution is None
        return
    assert solution is not None and solution.status == "optimal"
    assert cost_of(plan_from_units(pruned, solution.units), ctx, candidates) == pytest.approx(best, abs=0.01)


@settings(max_examples=120, deadline=None)
@given(order=orders(), max_splits=SPLITS, min_value=st.sampled_from([0, 800, 5000]))
def test_pruning_changes_neither_the_cost_nor_the_shipments_below_the_minimum(
    order: Order, max_splits: int | None, min_value: int
) -> None:
    demand, candidates, ctx = order
    ctx = OrderContext(ctx.method, destination=ctx.destination, sku_weight_grams=ctx.sku_weight_grams,
                       unit_value_minor={sku: 400 * sku for sku in demand})
    whole, whole_report = min_cost_plan(candidates, demand, ctx, RATES, max_splits, min_value, SOLVER,
                                        SolveLimits(prune=False))
    pruned, report = min_cost_plan(candidates, demand, ctx, RATES, max_splits, min_value, SOLVER)
    assert isinstance(whole, list) == isinstance(pruned, list)
    if isinstance(whole, list) and isinstance(pruned, list):
        small = len(small_shipments(whole, ctx, min_value))
        assert len(small_shipments(pruned, ctx, min_value)) == small
        assert report["cost"] == pytest.approx(whole_report["cost"], abs=0.011)
        assert report["method"] == whole_report["method"]
        assert report["milp"]["locations"] <= whole_report["milp"]["locations"]


@settings(max_examples=80, deadline=None)
@given(order=orders(max_locations=6), max_splits=SPLITS)
def test_a_location_proven_the_only_optimum_is_the_brute_force_optimum(order: Order, max_splits: int | None) -> None:
    demand, candidates, ctx = order
    problem = build_problem(candidates, demand, ctx, RATES, max_splits)
    b = bounds(problem)
    if b is None:
        return
    best = brute_force_cost(candidates, demand, ctx, RATES, max_splits)
    for li, alone in enumerate(b.alone):
        if only_optimum(b, li, alone):
            assert best == pytest.approx(alone, abs=0.01)
            assert all(cost > alone + MARGIN for i, cost in enumerate(b.alone) if i != li)


@settings(max_examples=150, deadline=None)
@given(order=orders(), max_splits=SPLITS)
def test_the_local_search_ends_where_it_would_without_stopping_early(order: Order, max_splits: int | None) -> None:
    demand, candidates, ctx = order
    problem = build_problem(candidates, demand, ctx, RATES, max_splits)
    seeds = location_sets(problem, greedy_baselines(candidates, demand, ctx, max_splits))
    early = improve(problem, seeds, float("inf"))
    searched = improve(problem, seeds, float("inf"), stop_when_proven=False)
    assert (early is None) == (searched is None)
    if early is not None and searched is not None:
        assert (early.open, early.taken, early.key) == (searched.open, searched.taken, searched.key)


class Recording:
    """HiGHS, noting what it was asked to solve."""

    def __init__(self) -> None:
        self.problems: list[MinCostProblem] = []

    def solve(self, problem: MinCostProblem, time_limit_s: float) -> MinCostSolution | None:
        self.problems.append(problem)
        return SOLVER.solve(problem, time_limit_s)


def test_the_solver_is_given_only_the_locations_that_can_be_in_an_optimal_plan() -> None:
    warehouse = place(1, "WH-POT", POTSDAM, {TEE: 5, CAP: 5}, type="warehouse")
    far = place(2, "WH-HAM", HAMBURG, {TEE: 5, CAP: 5}, type="warehouse")  # the same, 250 km farther
    store = place(3, "STORE-BER", BERLIN, {TEE: 5}, type="store")  # no CAP: a second parcel would be needed
    solver = Recording()
    plan, report = min_cost_plan([store, far, warehouse], {TEE: 1, CAP: 1}, shipping(), RATES, 3, 0, solver)
    assert [p.location_ids for p in solver.problems] == [(1,)]
    assert isinstance(plan, list) and {a.location_id for a in plan} == {1}
    assert report["method"] == "milp" and report["milp"]["status"] == "optimal"
    assert (report["variables"], report["locations"]) == (8, 3)  # the whole programme, over every location
    assert (report["milp"]["variables"], report["milp"]["locations"]) == (3, 1)  # what the solver was given


def test_locations_equally_cheap_all_stay() -> None:
    rates = RateCards({"warehouse": RateCard(100, 0, 0, 0)}, 0)
    twins = [place(1, "A", BERLIN, {TEE: 1}), place(2, "B", BERLIN, {TEE: 1})]
    problem = build_problem(twins, {TEE: 1}, shipping(destination=None), rates, None)
    assert prune(problem, None) is problem
