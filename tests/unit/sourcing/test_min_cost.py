"""Min-cost sourcing: the MILP, checked against brute force, and never costlier than a greedy plan."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.adapters.solver import HighsSolver
from ordermesh.domain.errors import InsufficientStock
from ordermesh.domain.sourcing import (
    Candidate,
    MinCostProblem,
    MinCostSolution,
    OrderContext,
    Plan,
    RateCard,
    RateCards,
    SolveLimits,
    Strategy,
    StrategyType,
    build_problem,
    default_strategy,
    greedy_baselines,
    min_cost_plan,
    run_profile,
)
from ordermesh.domain.sourcing import Profile as SourcingProfile
from tests.unit.sourcing.builders import (
    BERLIN,
    CAP,
    HAMBURG,
    MUG,
    POTSDAM,
    SKU_CODES,
    TEE,
    brute_force_cost,
    cost_of,
    orders,
    place,
    shipping,
    units_at,
)

RATES = RateCards()
SOLVER = HighsSolver()


def test_the_problem_has_a_variable_per_stocked_sku_and_location_and_none_for_a_full_location() -> None:
    a = place(1, "A", BERLIN, {TEE: 5, CAP: 0, MUG: 2}, type="store")
    full = place(2, "FULL", BERLIN, {TEE: 5}, capacity_left=0)
    empty = place(3, "EMPTY", BERLIN, {})
    ctx = shipping(destination=None)
    problem = build_problem([a, full, empty], {TEE: 3, MUG: 1}, ctx, RATES, max_splits=2)
    assert problem.location_ids == (1,) and problem.sku_ids == (TEE, MUG) and problem.demand == (3, 1)
    assert [(arc.location, arc.sku, arc.stock) for arc in problem.arcs] == [(0, 0, 3), (0, 1, 1)]
    store = RATES.for_type("store")
    assert problem.fixed_cost == (store.per_parcel_minor + store.handling_minor + RATES.split_penalty_minor,)
    assert problem.arcs[1].unit_cost == pytest.approx(store.per_kg_minor * 0.4)
    assert problem.variable_count == 3 and problem.max_locations == 2
    assert problem.offset == -RATES.split_penalty_minor


def test_one_farther_warehouse_beats_two_nearer_stores_when_it_is_cheaper() -> None:
    ber = place(1, "STORE-BER", BERLIN, {TEE: 2}, type="store")
    pot = place(2, "STORE-POT", POTSDAM, {CAP: 2}, type="store")
    ham = place(3, "WH-HAM", HAMBURG, {TEE: 2, CAP: 2}, type="warehouse")
    ctx = shipping()
    plan, report = min_cost_plan([ber, pot, ham], {TEE: 1, CAP: 1}, ctx, RATES, 3, 0, SOLVER)
    assert isinstance(plan, list) and units_at(plan) == {(3, TEE): 1, (3, CAP): 1}
    assert report["method"] == "milp" and report["milp"]["status"] == "optimal"
    assert report["cost"] == pytest.approx(cost_of(plan, ctx, [ber, pot, ham]), abs=0.01)


def test_the_cheapest_per_kg_location_ships_the_heavy_line() -> None:
    rates = RateCards({"warehouse": RateCard(100, 10, 0, 0), "store": RateCard(100, 500, 0, 0)}, 0)
    store = place(1, "S", BERLIN, {MUG: 5, TEE: 5}, type="store")
    warehouse = place(2, "W", BERLIN, {MUG: 5}, type="warehouse")
    ctx = shipping(destination=None, sku_weight_grams={MUG: 10_000, TEE: 100})
    plan, _ = min_cost_plan([store, warehouse], {MUG: 3, TEE: 1}, ctx, rates, 2, 0, SOLVER)
    assert isinstance(plan, list) and units_at(plan) == {(2, MUG): 3, (1, TEE): 1}


@settings(max_examples=120, deadline=None)
@given(order=orders(), max_splits=st.one_of(st.none(), st.integers(1, 3)))
def test_the_milp_finds_the_brute_force_optimum(order: tuple[dict[int, int], list[Candidate], OrderContext],
                                               max_splits: int | None) -> None:
    demand, candidates, ctx = order
    best = brute_force_cost(candidates, demand, ctx, RATES, max_splits)
    problem = build_problem(candidates, demand, ctx, RATES, max_splits)
    solution = SOLVER.solve(problem, 10.0)
    if best is None:
        assert solution is None
        return
    assert solution is not None and solution.status == "optimal"
    plan = [a for a in _plan(problem, solution)]
    assert cost_of(plan, ctx, candidates) == pytest.approx(best, abs=0.01)


def _plan(problem: MinCostProblem, solution: MinCostSolution) -> Plan:
    from ordermesh.domain.sourcing.min_cost import plan_from_units

    return plan_from_units(problem, solution.units)


def assert_valid(plan: Plan, demand: dict[int, int], candidates: list[Candidate], max_splits: int | None) -> None:
    by_id = {c.location_id: c for c in candidates}
    per_sku: defaultdict[int, int] = defaultdict(int)
    for (location_id, sku), units in units_at(plan).items():
        assert 0 < units <= by_id[int(location_id)].stock.get(sku, 0), "more than the stock there"
        assert not by_id[int(location_id)].at_capacity, "a location whose capacity is full"
        per_sku[sku] += units
    assert dict(per_sku) == demand, "not exactly the demand"
    used = {a.location_id for a in plan}
    assert max_splits is None or len(used) <= max_splits


def rule_plans(demand: dict[int, int], candidates: list[Candidate], ctx: OrderContext,
               max_splits: int | None) -> dict[str, Plan]:
    """What each rule-based strategy makes of the order through the engine, where it can."""
    out = {}
    for kind in (StrategyType.NEAREST, StrategyType.FEWEST_SPLITS, StrategyType.PRIORITY, StrategyType.HIGHEST_STOCK):
        base = default_strategy(kind)
        strategy = base if kind is StrategyType.NEAREST else Strategy(
            kind, kind.value, base.conditions, base.criteria, max_splits)
        try:
            out[kind.value] = run_profile(SourcingProfile((strategy,)), ctx, demand, candidates, SKU_CODES).allocations
        except InsufficientStock:  # infeasible under this strategy: nothing to compare with
            continue
    return out


@settings(max_examples=150, deadline=None)
@given(order=orders(), max_splits=st.one_of(st.none(), st.integers(1, 3)), exact=st.booleans())
def test_min_cost_is_valid_and_never_costlier_than_any_feasible_greedy_plan(
    order: tuple[dict[int, int], list[Candidate], OrderContext], max_splits: int | None, exact: bool
) -> None:
    demand, candidates, ctx = order
    plan, report = min_cost_plan(candidates, demand, ctx, RATES, max_splits, 0, SOLVER if exact else None)
    greedy = {**greedy_baselines(candidates, demand, ctx, max_splits), **{
        f"rule:{k}": v for k, v in rule_plans(demand, candidates, ctx, max_splits).items()}}
    if not isinstance(plan, list):
        assert not greedy, "min_cost found nothing where a greedy strategy did"
        assert not exact or brute_force_cost(candidates, demand, ctx, RATES, max_splits) is None
        return
    assert_valid(plan, demand, candidates, max_splits)
    cost = cost_of(plan, ctx, candidates)
    for name, other in greedy.items():
        assert cost <= cost_of(other, ctx, candidates) + 1e-6, f"costlier than {name}"
    assert report["method"] == "milp" if exact else report["method"] in ("heuristic", *(
        f"greedy:{n}" for n in greedy))


class NoPlan:
    def solve(self, problem: MinCostProblem, time_limit_s: float) -> MinCostSolution | None:
        return None


class OutOfTime:
    """Returns a poor plan it found before its time ran out: the dearest location for everything."""

    def solve(self, problem: MinCostProblem, time_limit_s: float) -> MinCostSolution | None:
        units = [0] * len(problem.arcs)
        for i, arc in enumerate(problem.arcs):
            if arc.location == 0:
                units[i] = arc.stock
        return MinCostSolution(tuple(units), "time_limit", time_limit_s)


class Cheating:
    """Claims an optimum that ships more than the stock."""

    def solve(self, problem: MinCostProblem, time_limit_s: float) -> MinCostSolution | None:
        return MinCostSolution(tuple(arc.stock + 5 for arc in problem.arcs), "optimal", 0.0)


NEAR_STORE = place(1, "STORE-BER", BERLIN, {TEE: 5, CAP: 5}, type="store")
WAREHOUSE = place(2, "WH-POT", POTSDAM, {TEE: 5, CAP: 5}, type="warehouse")


@pytest.mark.parametrize("solver", [NoPlan(), OutOfTime(), Cheating()], ids=["no-plan", "time-limit", "cheating"])
def test_when_the_solver_fails_the_heuristic_or_a_greedy_plan_still_finds_the_cheapest(solver: object) -> None:
    ctx = shipping()
    # The whole programme: pruned, it would hold only the warehouse, and OutOfTime's plan at location 0 (here
    # the dearer store) would be the cheapest one.
    whole = SolveLimits(prune=False)
    plan, report = min_cost_plan([NEAR_STORE, WAREHOUSE], {TEE: 1, CAP: 1}, ctx, RATES, 3, 0, solver, whole)  # type: ignore[arg-type]
    assert isinstance(plan, list) and units_at(plan) == {(2, TEE): 1, (2, CAP): 1}
    assert report["method"] in ("heuristic", "greedy:priority", "greedy:highest_stock")
    assert report["heuristic"]["found"] is True


def test_a_problem_over_the_variable_limit_skips_the_milp() -> None:
    plan, report = min_cost_plan([NEAR_STORE, WAREHOUSE], {TEE: 1}, shipping(), RATES, 3, 0, SOLVER,
                                 SolveLimits(max_variables=2))
    assert report["milp"] == {"status": "skipped: too many variables"} and isinstance(plan, list)
    assert report["method"] != "milp" and "heuristic" in report


def test_the_report_says_which_greedy_plan_the_optimum_beat_and_by_how_much() -> None:
    ber = place(1, "STORE-BER", BERLIN, {TEE: 2}, type="store", priority=1)
    ham = place(2, "WH-HAM", HAMBURG, {TEE: 2, CAP: 2}, type="warehouse", priority=2)
    pot = place(3, "STORE-POT", POTSDAM, {CAP: 2}, type="store", priority=1)
    ctx = shipping()
    plan, report = min_cost_plan([ber, ham, pot], {TEE: 1, CAP: 1}, ctx, RATES, 3, 0, SOLVER)
    assert isinstance(plan, list)
    assert report["greedy_best"]["cost"] >= report["cost"]
    assert report["saving_vs_greedy"] == pytest.approx(report["greedy_best"]["cost"] - report["cost"], abs=0.01)
    assert report["milp"]["solve_time_ms"] >= 0 and report["variables"] == 7


def test_the_milp_keeps_shipments_above_the_minimum_value_unless_there_is_no_other_way() -> None:
    rates = RateCards({"warehouse": RateCard(100, 0, 0, 0)}, 0)
    cheap_split = [place(1, "A", BERLIN, {TEE: 1}), place(2, "B", BERLIN, {CAP: 1}),
                   place(3, "AB", BERLIN, {TEE: 1, CAP: 1})]
    ctx = OrderContext(unit_value_minor={TEE: 5000, CAP: 500})
    rates_split_free = RateCards({"warehouse": RateCard(100, 0, 0, 0)}, -100)  # a split pays for itself
    plan, report = min_cost_plan(cheap_split, {TEE: 1, CAP: 1}, ctx, rates_split_free, 2, 1000, SOLVER)
    assert isinstance(plan, list) and units_at(plan) == {(3, TEE): 1, (3, CAP): 1}
    assert report["milp"]["minimum_value_relaxed"] is False
    only_split = cheap_split[:2]
    plan, report = min_cost_plan(only_split, {TEE: 1, CAP: 1}, ctx, rates, 2, 1000, SOLVER)
    assert isinstance(plan, list) and units_at(plan) == {(1, TEE): 1, (2, CAP): 1}
    assert report["milp"]["minimum_value_relaxed"] is True


def test_min_cost_through_a_profile_records_the_optimisation_in_the_explanation() -> None:
    profile = SourcingProfile((default_strategy(StrategyType.MIN_COST),))
    decision = run_profile(profile, shipping(), {TEE: 1, CAP: 1}, [NEAR_STORE, WAREHOUSE], SKU_CODES, solver=SOLVER)
    explained = decision.explanation()
    assert explained["strategy_type"] == "min_cost" and explained["optimisation"]["method"] == "milp"
    assert explained["cost"]["total"] == explained["optimisation"]["cost"]
    assert [s["location"] for s in explained["cost"]["shipments"]] == ["WH-POT"]


def test_the_highs_solver_writes_nothing_to_standard_output() -> None:
    script = (
        "from ordermesh.adapters.solver import HighsSolver\n"
        "from ordermesh.domain.sourcing import Candidate, OrderContext, RateCards, build_problem\n"
        "c = Candidate(1, 'A', 52.5, 13.4, frozenset({'ship'}), {1: 3})\n"
        "p = build_problem([c], {1: 2}, OrderContext(), RateCards(), 3)\n"
        "assert HighsSolver().solve(p, 5.0).status == 'optimal'\n"
        "assert HighsSolver().solve(p, 5.0).status == 'optimal'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
