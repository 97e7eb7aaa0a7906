"""The min_cost strategy: the exact MILP for normal orders, a bounded heuristic for huge ones, and never
a plan costlier than the rule-based strategies would have made.

Every plan that comes back — from the solver, the heuristic or a greedy strategy — is checked and priced
the same way (``plan_cost``); the cheapest valid one wins. Shipments under the minimum value count first:
a plan with fewer of them beats a cheaper plan with more.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ordermesh.domain.sourcing.bounds import prune
from ordermesh.domain.sourcing.costs import RateCards, plan_cost
from ordermesh.domain.sourcing.local_search import improve
from ordermesh.domain.sourcing.min_cost import (
    MinCostProblem,
    MinCostSolution,
    Solver,
    build_problem,
    greedy_baselines,
    location_sets,
    plan_from_units,
)
from ordermesh.domain.sourcing.model import Allocation, Candidate, Demand, Infeasible, OrderContext, Plan
from ordermesh.domain.sourcing.plans import plan_fault, small_shipments
from ordermesh.domain.sourcing.strategies import infeasible


@dataclass(frozen=True)
class SolveLimits:
    time_limit_s: float = 2.0  # the MILP solver's time limit
    max_variables: int = 2000  # above this, the heuristic instead of the MILP
    heuristic_time_s: float = 1.0  # the heuristic's deadline
    prune: bool = True  # give the solver only the locations that can be in an optimal plan (exact; False: all)


@dataclass(frozen=True)
class Priced:
    source: str  # "milp", "heuristic" or "greedy:<strategy>"
    plan: Plan
    key: tuple[int, float]  # (shipments below the minimum value, cost)


@dataclass(frozen=True)
class _Order:
    eligible: Sequence[Candidate]
    demand: Demand
    ctx: OrderContext
    rates: RateCards
    max_splits: int | None
    min_value: float
    by_id: Mapping[int, Candidate] = field(init=False)
    keys: dict[tuple[Allocation, ...], tuple[int, float] | None] = field(init=False)  # plan → its key, once

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {c.location_id: c for c in self.eligible})  # once, for every price
        object.__setattr__(self, "keys", {})  # the greedy strategies often make the same plan

    def price(self, source: str, plan: Plan) -> Priced | None:
        same = tuple(plan)
        if same not in self.keys:
            self.keys[same] = self._key(plan)
        key = self.keys[same]
        return Priced(source, plan, key) if key is not None else None

    def _key(self, plan: Plan) -> tuple[int, float] | None:
        if plan_fault(plan, self.demand, self.by_id, self.max_splits):
            return None
        # Rounded so that equal plans priced in a different order of sums still tie (and the MILP wins ties).
        cost = round(plan_cost(plan, self.ctx, self.by_id, self.rates).total, 6)
        return len(small_shipments(plan, self.ctx, self.min_value)), cost

    def upper_bound(self, offers: Sequence[Priced | None]) -> float | None:
        """The cost of the cheapest plan in hand that the MILP allows (none below the minimum value)."""
        allowed = [o.key[1] for o in offers if o is not None and o.key[0] == 0]
        return min(allowed, default=None)


def _solve_exact(solver: Solver, problem: MinCostProblem, limits: SolveLimits) -> tuple[MinCostSolution | None, bool]:
    """The solver's plan; without the minimum shipment value if no plan can respect it (second value True)."""
    solution = solver.solve(problem, limits.time_limit_s)
    if solution is None and problem.min_shipment_value > 0:
        return solver.solve(problem.without_minimum_value(), limits.time_limit_s), True
    return solution, False


def min_cost_plan(eligible: Sequence[Candidate], demand: Demand, ctx: OrderContext, rates: RateCards,
                  max_splits: int | None, min_value: float, solver: Solver | None,
                  limits: SolveLimits = SolveLimits(), *,
                  distances: Mapping[int, float | None] | None = None) -> tuple[Plan | Infeasible, dict[str, Any]]:
    """The cheapest plan found, and a report: which method found it, solve time, the greedy plan it beat.

    ``distances`` (location id → km to the customer), when the caller has them already.
    """
    order = _Order(eligible, demand, ctx, rates, max_splits, min_value)
    problem = build_problem(eligible, demand, ctx, rates, max_splits, min_value, distances=distances)
    baselines = greedy_baselines(eligible, demand, ctx, max_splits, distances=distances)
    report: dict[str, Any] = {"variables": problem.variable_count, "locations": len(problem.location_ids)}
    offers = [order.price(f"greedy:{name}", plan) for name, plan in baselines.items()]
    exact_is_optimal = False
    if solver is not None and problem.variable_count <= limits.max_variables:
        solved = prune(problem, order.upper_bound(offers)) if limits.prune else problem
        exact, exact_is_optimal, report["milp"] = _exact(order, solver, solved, limits)
        offers.append(exact)
    else:
        report["milp"] = None if solver is None else {"status": "skipped: too many variables"}
    if not exact_is_optimal:
        offers.append(_heuristic(order, problem, baselines, offers, limits, report))
    return _choose([o for o in offers if o is not None], order, report)


def _exact(order: _Order, solver: Solver, problem: MinCostProblem,
           limits: SolveLimits) -> tuple[Priced | None, bool, dict[str, Any]]:
    """The solver's plan, priced; whether it is proven optimal; and what to report of the solve."""
    started = time.perf_counter()
    solution, relaxed = _solve_exact(solver, problem, limits)
    report: dict[str, Any] = {"status": solution.status if solution else "no_solution",
                              "solve_time_ms": round((time.perf_counter() - started) * 1000, 2),
                              "minimum_value_relaxed": relaxed,
                              "variables": problem.variable_count, "locations": len(problem.location_ids)}
    exact = order.price("milp", plan_from_units(problem, solution.units)) if solution else None
    if solution is not None and exact is None:
        report["status"] = f"rejected: the solver's {solution.status} plan is not valid"
    return exact, exact is not None and solution is not None and solution.status == "optimal", report


def _heuristic(order: _Order, problem: MinCostProblem, baselines: dict[str, Plan], offers: list[Priced | None],
               limits: SolveLimits, report: dict[str, Any]) -> Priced | None:
    started = time.perf_counter()
    seeds = location_sets(problem, {**baselines, **{o.source: o.plan for o in offers if o is not None}})
    found = improve(problem, seeds, started + limits.heuristic_time_s)
    report["heuristic"] = {"solve_time_ms": round((time.perf_counter() - started) * 1000, 2),
                           "found": found is not None}
    return order.price("heuristic", plan_from_units(problem, found.units(len(problem.arcs)))) if found else None


def _choose(offers: list[Priced], order: _Order, report: dict[str, Any]) -> tuple[Plan | Infeasible, dict[str, Any]]:
    if not offers:
        ranked = sorted(order.eligible, key=lambda c: c.code)
        return infeasible(ranked, order.demand, order.max_splits, "no plan within the split limit"), report
    preference = {"milp": 0, "heuristic": 1}
    best = min(offers, key=lambda o: (o.key, preference.get(o.source, 2)))
    greedy = [o for o in offers if o.source.startswith("greedy:")]
    report["method"] = best.source
    report["cost"] = round(best.key[1], 2)
    if greedy:
        cheapest = min(greedy, key=lambda o: o.key)
        report["greedy_best"] = {"strategy": cheapest.source.removeprefix("greedy:"),
                                 "cost": round(cheapest.key[1], 2)}
        report["saving_vs_greedy"] = round(cheapest.key[1] - best.key[1], 2)
    return best.plan, report
