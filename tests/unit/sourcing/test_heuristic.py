"""The bounded heuristic: very large orders over very many locations still get a valid, cheap plan."""

from __future__ import annotations

import random

from ordermesh.adapters.solver import HighsSolver
from ordermesh.domain.sourcing import Candidate, RateCards, SolveLimits, build_problem, greedy_baselines, min_cost_plan
from ordermesh.domain.sourcing.local_search import improve
from ordermesh.domain.sourcing.min_cost import location_sets, plan_from_units
from tests.unit.sourcing.builders import BERLIN, TEE, cost_of, place, shipping
from tests.unit.sourcing.test_min_cost import assert_valid

TYPES = ["warehouse", "store", "dark_store", "supplier"]


def big_network(seed: int, locations: int = 300, skus: int = 40) -> tuple[dict[int, int], list[Candidate]]:
    rng = random.Random(seed)
    candidates = [
        place(i, f"L{i:03d}", (rng.uniform(47.5, 54.5), rng.uniform(6.5, 14.5)),
              {s: rng.randint(1, 12) for s in range(1, skus + 1) if rng.random() < 0.6},
              type=rng.choice(TYPES), priority=rng.randint(1, 9), capacity_left=rng.choice([None, 0, 3]))
        for i in range(1, locations + 1)
    ]
    return {s: rng.randint(1, 10) for s in range(1, skus + 1)}, candidates


def test_a_huge_order_over_300_locations_gets_a_valid_plan_no_costlier_than_greedy() -> None:
    demand, candidates = big_network(7)
    ctx = shipping(sku_weight_grams={s: 150 * s for s in demand})
    limits = SolveLimits(time_limit_s=2.0, heuristic_time_s=1.5)
    assert build_problem(candidates, demand, ctx, RateCards(), 3).variable_count > limits.max_variables
    plan, report = min_cost_plan(candidates, demand, ctx, RateCards(), 3, 0, HighsSolver(), limits)
    assert isinstance(plan, list), plan
    assert_valid(plan, demand, candidates, 3)
    assert report["milp"] == {"status": "skipped: too many variables"} and report["heuristic"]["found"]
    cost = cost_of(plan, ctx, candidates)
    baselines = greedy_baselines(candidates, demand, ctx, 3)
    assert baselines, "the instance should let some greedy strategy fill it within three locations"
    assert all(cost <= cost_of(p, ctx, candidates) + 1e-6 for p in baselines.values())


def test_a_huge_order_without_a_split_limit_is_filled_exactly() -> None:
    demand, candidates = big_network(11, locations=300, skus=40)
    ctx = shipping(destination=None, sku_weight_grams={s: 100 for s in demand})
    plan, _ = min_cost_plan(candidates, demand, ctx, RateCards(), None, 0, None,
                            SolveLimits(heuristic_time_s=1.0))
    assert isinstance(plan, list)
    assert_valid(plan, demand, candidates, None)
    assert all(cost_of(plan, ctx, candidates) <= cost_of(p, ctx, candidates) + 1e-6
               for p in greedy_baselines(candidates, demand, ctx, None).values())


def test_local_search_drops_a_location_that_adds_only_cost() -> None:
    both = place(1, "BOTH", BERLIN, {TEE: 5})
    other = place(2, "OTHER", BERLIN, {TEE: 5})
    ctx = shipping(destination=None)
    problem = build_problem([both, other], {TEE: 2}, ctx, RateCards(), None)
    found = improve(problem, [frozenset({0, 1})], deadline=float("inf"))
    assert found is not None and found.open == frozenset({0})
    assert {a.location_id for a in plan_from_units(problem, found.units(len(problem.arcs)))} == {1}


def test_past_its_deadline_the_search_returns_the_best_start_it_has() -> None:
    demand, candidates = big_network(3, locations=40, skus=10)
    ctx = shipping()
    problem = build_problem(candidates, demand, ctx, RateCards(), 3)
    seeds = location_sets(problem, greedy_baselines(candidates, demand, ctx, 3))
    assert seeds
    found = improve(problem, seeds, deadline=0.0, clock=lambda: 1.0)
    assert found is not None
    assert_valid(plan_from_units(problem, found.units(len(problem.arcs))), demand, candidates, 3)
