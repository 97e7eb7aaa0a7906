"""Arithmetic on plans: what a location can fill, filling in a given order, and checking a plan."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ordermesh.domain.sourcing.model import Allocation, Candidate, Demand, OrderContext, Plan


def fillable(c: Candidate, demand: Demand) -> int:
    """Units of ``demand`` this location could ship on its own."""
    stock, units = c.stock, 0
    for sku, qty in demand.items():  # a plain loop: this runs for every candidate of every order
        held = stock.get(sku, 0)
        units += held if held < qty else qty
    return units


def fillable_each(candidates: Iterable[Candidate], demand: Demand) -> dict[int, int]:
    """location id → ``fillable``, for every candidate in one loop (no call per candidate)."""
    lines, out = list(demand.items()), {}
    for c in candidates:
        stock, units = c.stock, 0
        for sku, qty in lines:
            held = stock.get(sku, 0)
            units += held if held < qty else qty
        out[c.location_id] = units
    return out


def covers(locations: Iterable[Candidate], demand: Demand) -> bool:
    together: defaultdict[int, int] = defaultdict(int)
    for c in locations:
        for sku in demand:
            together[sku] += c.stock.get(sku, 0)
    return all(together[sku] >= qty for sku, qty in demand.items())


def short_skus(candidates: Iterable[Candidate], demand: Demand) -> list[int]:
    """SKU ids the candidates together cannot fill."""
    together: defaultdict[int, int] = defaultdict(int)
    for c in candidates:
        for sku in demand:
            together[sku] += c.stock.get(sku, 0)
    return [sku for sku, qty in demand.items() if together[sku] < qty]


def fill_in_order(locations: Sequence[Candidate], demand: Demand) -> Plan:
    """Fill each SKU from the given locations in their order (the preferred first)."""
    allocations = []
    for sku, qty in demand.items():
        remaining = qty
        for c in locations:
            take = min(remaining, c.stock.get(sku, 0))
            if take > 0:
                allocations.append(Allocation(c.location_id, sku, take))
                remaining -= take
            if remaining == 0:
                break
    return allocations


def greedy_fill(ranked: Sequence[Candidate], demand: Demand, max_splits: int | None) -> tuple[Plan, dict[int, int]]:
    """Take what each location can give, in rank order, skipping the ones that add nothing.

    Stops after ``max_splits`` locations. Returns the plan and what is still missing (sku id → units).
    """
    remaining = {sku: qty for sku, qty in demand.items() if qty > 0}
    plan: Plan = []
    used = 0
    for c in ranked:
        if not remaining or (max_splits is not None and used >= max_splits):
            break
        taken = [Allocation(c.location_id, sku, min(qty, c.stock.get(sku, 0))) for sku, qty in remaining.items()]
        taken = [a for a in taken if a.quantity > 0]
        if not taken:
            continue
        used += 1
        plan.extend(taken)
        for a in taken:
            remaining[a.sku_id] -= a.quantity
        remaining = {sku: qty for sku, qty in remaining.items() if qty > 0}
    return plan, remaining


def units_by_location(plan: Iterable[Allocation]) -> dict[int, dict[int, int]]:
    """location id → sku id → units, in the order the locations first appear."""
    out: dict[int, dict[int, int]] = {}
    for a in plan:
        per_sku = out.setdefault(a.location_id, {})
        per_sku[a.sku_id] = per_sku.get(a.sku_id, 0) + a.quantity
    return out


def allocated(plan: Iterable[Allocation]) -> dict[int, int]:
    """sku id → units the plan places."""
    out: defaultdict[int, int] = defaultdict(int)
    for a in plan:
        out[a.sku_id] += a.quantity
    return dict(out)


def missing(plan: Iterable[Allocation], demand: Demand) -> dict[int, int]:
    """sku id → units of ``demand`` the plan does not place."""
    placed = allocated(plan)
    return {sku: qty - placed.get(sku, 0) for sku, qty in demand.items() if qty > placed.get(sku, 0)}


def plan_fault(plan: Sequence[Allocation], demand: Demand, candidates: Mapping[int, Candidate],
               max_splits: int | None) -> str | None:
    """Why ``plan`` is not a valid full plan for ``demand`` (unknown or full location, over stock,
    too many locations, not exactly the demand), or None when it is."""
    per_location = units_by_location(plan)
    if max_splits is not None and len(per_location) > max_splits:
        return f"uses {len(per_location)} locations, more than {max_splits}"
    for location_id, units in per_location.items():
        c = candidates.get(location_id)
        if c is None or c.at_capacity:
            return f"location {location_id} may not be used"
        if any(qty <= 0 or qty > c.stock.get(sku, 0) for sku, qty in units.items()):
            return f"location {location_id} has not the stock"
    if allocated(plan) != {sku: qty for sku, qty in demand.items() if qty > 0}:
        return "does not place exactly the demand"
    return None


def small_shipments(plan: Iterable[Allocation], ctx: OrderContext, min_value_minor: float) -> list[int]:
    """Location ids whose shipment in ``plan`` is worth less than ``min_value_minor``."""
    if min_value_minor <= 0:
        return []
    return [location_id for location_id, units in units_by_location(plan).items()
            if ctx.shipment_value(units) < min_value_minor]
