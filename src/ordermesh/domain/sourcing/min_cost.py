"""Min-cost sourcing as a mixed-integer programme, in plain data, for any solver that takes it.

Variables: x[a] integer units on arc a = (location l, SKU s), 0 ≤ x[a] ≤ stock; y[l] binary, location used.
Minimise   Σ_l y[l]·fixed[l] + Σ_a x[a]·unit_cost[a] + offset
           (fixed: parcel + handling + per-km × distance + split penalty; unit cost: per-kg × weight;
            offset: minus one split penalty, as the first shipment is no split)
subject to Σ_{a of s} x[a] = demand[s]                        every SKU exactly filled
           x[a] ≤ stock[a]·y[l]                               only from a used location, within its stock
           Σ_l y[l] ≤ max_locations                           the split limit
           Σ_{a of l} value[s]·x[a] ≥ min_value·y[l]          no shipment below the minimum value
Locations whose daily capacity is full get no variables at all (y[l] = 0).

The domain builds the problem and checks whatever comes back; a solver adapter (HiGHS) solves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from ordermesh.domain.sourcing.costs import RateCards, fixed_cost, unit_cost
from ordermesh.domain.sourcing.distance import distance_km
from ordermesh.domain.sourcing.model import Allocation, Candidate, Demand, OrderContext, Plan
from ordermesh.domain.sourcing.plans import fillable
from ordermesh.domain.sourcing.strategies import fewest_splits, in_rank_order, nearest


class Arc(NamedTuple):
    """One integer variable: units of SKU ``sku`` (index) shipped from location ``location`` (index).

    A named tuple rather than a frozen dataclass: a problem has one per stocked SKU and location, made for
    every min-cost order, and a tuple is made several times faster.
    """

    location: int
    sku: int
    stock: int  # upper bound: the units there, at most the demand
    unit_cost: float


@dataclass(frozen=True)
class MinCostProblem:
    location_ids: tuple[int, ...]
    sku_ids: tuple[int, ...]
    demand: tuple[int, ...]  # per SKU index
    fixed_cost: tuple[float, ...]  # per location index
    arcs: tuple[Arc, ...]
    max_locations: int | None  # None: no split limit
    min_shipment_value: float = 0.0  # 0: no minimum
    unit_value: tuple[float, ...] = ()  # per SKU index, for the minimum shipment value
    offset: float = 0.0

    @property
    def variable_count(self) -> int:
        return len(self.arcs) + len(self.location_ids)

    def without_minimum_value(self) -> MinCostProblem:
        return MinCostProblem(self.location_ids, self.sku_ids, self.demand, self.fixed_cost, self.arcs,
                              self.max_locations, 0.0, self.unit_value, self.offset)


@dataclass(frozen=True)
class MinCostSolution:
    units: tuple[int, ...]  # per arc
    status: str  # "optimal", or "time_limit" for the best plan found in the time allowed
    seconds: float


class Solver(Protocol):
    """Solves a MinCostProblem exactly, or returns None when it finds no feasible plan in time."""

    def solve(self, problem: MinCostProblem, time_limit_s: float) -> MinCostSolution | None: ...


def build_problem(eligible: Sequence[Candidate], demand: Demand, ctx: OrderContext, rates: RateCards,
                  max_splits: int | None, min_shipment_value: float = 0.0, *,
                  distances: Mapping[int, float | None] | None = None) -> MinCostProblem:
    """The programme for ``demand`` over ``eligible``; ``distances`` (location id → km), when already known."""
    sku_ids = tuple(sku for sku, qty in demand.items() if qty > 0)
    per_unit: dict[str, list[float]] = {}  # location type → unit cost per SKU index: the same for every location
    usable: list[Candidate] = []  # not at capacity, with some stock of the order: one location index each
    arcs: list[Arc] = []
    for c in eligible:
        if c.at_capacity:
            continue
        if c.type not in per_unit:
            per_unit[c.type] = [unit_cost(c, sku, ctx, rates) for sku in sku_ids]
        costs, li, stock, before = per_unit[c.type], len(usable), c.stock, len(arcs)
        for si, sku in enumerate(sku_ids):
            held = stock.get(sku, 0)
            if held > 0:
                arcs.append(Arc(li, si, min(held, demand[sku]), costs[si]))
        if len(arcs) > before:
            usable.append(c)
    km = distances if distances is not None else _distances(usable, ctx)
    return MinCostProblem(
        location_ids=tuple(c.location_id for c in usable), sku_ids=sku_ids,
        demand=tuple(demand[s] for s in sku_ids),
        fixed_cost=tuple(fixed_cost(c, km[c.location_id], rates) for c in usable), arcs=tuple(arcs),
        max_locations=max_splits, min_shipment_value=float(min_shipment_value),
        unit_value=tuple(float(ctx.unit_value_minor.get(s, 0)) for s in sku_ids),
        offset=-rates.split_penalty_minor,
    )


def _distances(candidates: Sequence[Candidate], ctx: OrderContext) -> dict[int, float | None]:
    return {c.location_id: distance_km(ctx.destination, c.latitude, c.longitude) for c in candidates}


def plan_from_units(problem: MinCostProblem, units: Sequence[int]) -> Plan:
    return [Allocation(problem.location_ids[arc.location], problem.sku_ids[arc.sku], q)
            for arc, q in zip(problem.arcs, units, strict=True) if q > 0]


def location_sets(problem: MinCostProblem, plans: Mapping[str, Plan]) -> list[frozenset[int]]:
    """The plans' locations, as sets of the problem's location indexes (for seeding a search)."""
    index = {location_id: i for i, location_id in enumerate(problem.location_ids)}
    return [frozenset(index[a.location_id] for a in plan if a.location_id in index) for plan in plans.values()]


def greedy_baselines(eligible: Sequence[Candidate], demand: Demand, ctx: OrderContext, max_splits: int | None, *,
                     distances: Mapping[int, float | None] | None = None) -> dict[str, Plan]:
    """The plans the rule-based strategies make for this order with their default rankings, where
    feasible within ``max_splits``. The min-cost plan must never cost more than any of them."""
    usable = [c for c in eligible if not c.at_capacity]
    km = distances if distances is not None else _distances(usable, ctx)
    by_distance = sorted(usable, key=lambda c: (km[c.location_id] is None, km[c.location_id] or 0.0, c.code))
    badness = {c.location_id: km[c.location_id] or 0.0 for c in usable}
    by_priority = sorted(usable, key=lambda c: (c.priority, c.code))
    by_stock = sorted(usable, key=lambda c: (-fillable(c, demand), c.code))
    found = {
        "nearest": nearest(by_distance, demand),
        "fewest_splits": fewest_splits(by_distance, demand, max_splits, badness),
        "priority": in_rank_order(by_priority, demand, max_splits),
        "highest_stock": in_rank_order(by_stock, demand, max_splits),
    }
    return {name: plan for name, plan in found.items() if isinstance(plan, list)}
