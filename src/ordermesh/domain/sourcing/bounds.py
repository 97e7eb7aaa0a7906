"""Lower bounds on the min-cost objective, so that the exact answer needs less work.

Two uses, both exact: the MILP is built only over the locations that can be in an optimal plan (every plan
with any other location costs more than a plan already in hand), and the local search stops at once when
its best start is a single location that is provably the only optimum (its search would end there).

The bounds are on the problem's own objective (``MinCostProblem``: fixed cost per location, unit cost per
arc, the offset), so they hold whatever the rate cards: negative fixed costs or unit costs included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ordermesh.domain.sourcing.min_cost import Arc, MinCostProblem

# Minor units. A location is left out only if every plan with it costs at least this much more than a plan
# in hand (and a start is kept as the optimum only if every other plan costs this much more): far above the
# float noise in summing costs and above the MILP solver's tolerances (an absolute gap of 1e-6).
MARGIN = 0.01


@dataclass(frozen=True)
class Bounds:
    """Per location index: what shipping the whole order from it alone costs (inf if it cannot), and a lower
    bound on any plan that ships from it and at least one more location (inf if no such plan is allowed)."""

    alone: tuple[float, ...]
    with_others: tuple[float, ...]
    any_split: float  # a lower bound on any plan that ships from two or more locations

    def at_least(self, location: int) -> float:
        """A lower bound on every plan that ships from ``location``."""
        return min(self.alone[location], self.with_others[location])


def bounds(p: MinCostProblem) -> Bounds | None:
    """The bounds of ``p``; None when some SKU has no stock anywhere (no plan at all)."""
    cheapest_unit = [math.inf] * len(p.sku_ids)
    alone = [p.offset + f for f in p.fixed_cost]
    covered = [0] * len(p.location_ids)
    for arc in p.arcs:
        cheapest_unit[arc.sku] = min(cheapest_unit[arc.sku], arc.unit_cost)
        if arc.stock >= p.demand[arc.sku]:
            covered[arc.location] += 1
            alone[arc.location] += p.demand[arc.sku] * arc.unit_cost
    if math.inf in cheapest_unit or not p.location_ids:
        return None
    alone = [cost if n == len(p.sku_ids) else math.inf for cost, n in zip(alone, covered, strict=True)]
    if (p.max_locations is not None and p.max_locations < 2) or len(p.location_ids) < 2:
        return Bounds(tuple(alone), (math.inf,) * len(p.location_ids), math.inf)
    floor = p.offset + sum(q * unit for q, unit in zip(p.demand, cheapest_unit, strict=True))
    return Bounds(tuple(alone), _with_others(p.fixed_cost, floor), floor + _cheapest_pair(p.fixed_cost))


def _with_others(fixed: tuple[float, ...], floor: float) -> tuple[float, ...]:
    """Per location: its fixed cost, the least the fixed costs of one or more other locations can add (the
    negative ones, or else the smallest), and ``floor`` (offset and every unit at its cheapest)."""
    smallest, runner_up = sorted(range(len(fixed)), key=fixed.__getitem__)[:2]
    negatives = [f for f in fixed if f < 0]
    out = []
    for i, f in enumerate(fixed):
        if len(negatives) > (1 if f < 0 else 0):  # another location would pay to be added: add all such
            least_others = sum(negatives) - min(f, 0.0)
        else:
            least_others = fixed[runner_up] if i == smallest else fixed[smallest]
        out.append(f + least_others + floor)
    return tuple(out)


def _cheapest_pair(fixed: tuple[float, ...]) -> float:
    """The least the fixed costs of two or more locations can sum to."""
    ordered = sorted(fixed)
    return ordered[0] + ordered[1] + sum(f for f in ordered[2:] if f < 0)


def prune(p: MinCostProblem, upper: float | None) -> MinCostProblem:
    """``p`` over only the locations that can be in a plan costing at most the cheapest plan in hand plus
    MARGIN: ``upper`` (a plan that ``p`` allows; None: none) or one location shipping everything. The rest
    cannot be in an optimal plan. Locations keep their order; ``p`` itself when none can be left out."""
    b = bounds(p)
    if b is None:
        return p
    one_parcel_allowed = p.max_locations is None or p.max_locations >= 1
    whole_order = sum(q * v for q, v in zip(p.demand, p.unit_value, strict=False))
    if one_parcel_allowed and (p.min_shipment_value <= 0 or whole_order >= p.min_shipment_value):
        upper = min([*b.alone, *([upper] if upper is not None else [])])
    if upper is None or math.isinf(upper):
        return p
    keep = [li for li in range(len(p.location_ids)) if b.at_least(li) <= upper + MARGIN]
    if len(keep) == len(p.location_ids):
        return p
    index = {li: new for new, li in enumerate(keep)}
    arcs = tuple(Arc(index[arc.location], arc.sku, arc.stock, arc.unit_cost)
                 for arc in p.arcs if arc.location in index)
    return MinCostProblem(tuple(p.location_ids[li] for li in keep), p.sku_ids, p.demand,
                          tuple(p.fixed_cost[li] for li in keep), arcs, p.max_locations, p.min_shipment_value,
                          p.unit_value, p.offset)


def only_optimum(b: Bounds, location: int, cost: float) -> bool:
    """Whether shipping everything from ``location`` at ``cost`` beats every other plan by MARGIN."""
    rivals = [c for li, c in enumerate(b.alone) if li != location]
    return cost + MARGIN < min([b.any_split, *rivals])
