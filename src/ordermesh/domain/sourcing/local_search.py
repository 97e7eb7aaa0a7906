"""The bounded heuristic for min-cost sourcing when the exact programme is too big or too slow.

Once the set of locations that ship is fixed, the cheapest fill is easy: each SKU from the open locations
with the lowest per-unit cost first (the SKUs do not interact). So the search is over location sets:
start from the greedy plans and a cost-effectiveness construction, then improve by dropping, swapping
or adding one location at a time, keeping the best, until nothing improves or the deadline passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ordermesh.domain.sourcing.bounds import bounds, only_optimum
from ordermesh.domain.sourcing.min_cost import MinCostProblem

Key = tuple[int, float]  # (shipments below the minimum value, cost): lower is better


@dataclass(frozen=True)
class Filled:
    open: frozenset[int]  # location indexes that ship
    taken: dict[int, int]  # arc index → units (only the arcs used)
    key: Key

    def units(self, arc_count: int) -> tuple[int, ...]:
        return tuple(self.taken.get(a, 0) for a in range(arc_count))


class _Search:
    def __init__(self, problem: MinCostProblem) -> None:
        self.p = problem
        self.arcs_at: list[dict[int, int]] = [{} for _ in problem.location_ids]  # location → sku → arc index
        for i, arc in enumerate(problem.arcs):
            self.arcs_at[arc.location][arc.sku] = i

    def fill(self, chosen: Iterable[int]) -> Filled | None:
        """The cheapest fill of the demand from ``chosen`` locations, or None if they cannot fill it."""
        p, taken = self.p, {}
        locations = sorted(chosen)
        for sku, wanted in enumerate(p.demand):
            offers = sorted((p.arcs[a].unit_cost, a) for a in (self.arcs_at[li].get(sku) for li in locations)
                            if a is not None)
            for _, a in offers:
                taken[a] = min(wanted, p.arcs[a].stock)
                wanted -= taken[a]
                if wanted == 0:
                    break
            if wanted:
                return None
        used = frozenset(p.arcs[a].location for a in taken)
        return Filled(used, taken, self._key(used, taken))

    def _key(self, used: frozenset[int], taken: dict[int, int]) -> Key:
        p = self.p
        cost = p.offset + sum(p.fixed_cost[li] for li in used)
        value = dict.fromkeys(used, 0.0)
        for a, q in taken.items():
            arc = p.arcs[a]
            cost += q * arc.unit_cost
            value[arc.location] += q * (p.unit_value[arc.sku] if p.unit_value else 0.0)
        small = sum(1 for v in value.values() if v < p.min_shipment_value) if p.min_shipment_value > 0 else 0
        return small, cost

    def allowed(self, size: int) -> bool:
        return self.p.max_locations is None or size <= self.p.max_locations

    def construct(self) -> Filled | None:
        """Open, one at a time, the location that fills most of what is left per unit of its fixed cost."""
        p, chosen = self.p, set[int]()
        left = list(p.demand)
        while any(left) and self.allowed(len(chosen) + 1):
            def gain(li: int) -> float:
                units = sum(min(left[s], p.arcs[a].stock) for s, a in self.arcs_at[li].items())
                return units / (1.0 + p.fixed_cost[li])

            best = max((li for li in range(len(p.location_ids)) if li not in chosen), key=gain, default=None)
            if best is None or gain(best) == 0:
                return None
            chosen.add(best)
            for s, a in self.arcs_at[best].items():
                left[s] -= min(left[s], p.arcs[a].stock)
        return None if any(left) else self.fill(chosen)

    def neighbours(self, current: frozenset[int]) -> Iterator[frozenset[int]]:
        outside = [li for li in range(len(self.p.location_ids)) if li not in current]
        for li in current:
            yield current - {li}
        for li in current:
            for other in outside:
                yield (current - {li}) | {other}
        if self.allowed(len(current) + 1):
            for other in outside:
                yield current | {other}


def improve(problem: MinCostProblem, seeds: Iterable[frozenset[int]], deadline: float,
            clock: Callable[[], float] = time.perf_counter, *, stop_when_proven: bool = True) -> Filled | None:
    """The best plan found from ``seeds`` (location index sets) by local search before ``deadline``.

    ``stop_when_proven``: return the best start at once when no plan can beat it (the same answer, sooner).
    """
    search = _Search(problem)
    starts = [f for f in (search.fill(s) for s in seeds if search.allowed(len(s))) if f is not None]
    best = min(starts, key=lambda f: f.key, default=None)
    if best is not None and stop_when_proven and _unbeatable(problem, best):
        return best  # what the search below would return (no plan, built or searched, can beat it)
    built = search.construct()
    best = min([*starts, *([built] if built else [])], key=lambda f: f.key, default=None)
    while best is not None and clock() < deadline:
        step = best
        for option in search.neighbours(best.open):
            if clock() >= deadline:
                break
            found = search.fill(option)
            if found is not None and found.key < step.key:
                step = found
        if step is best:
            break
        best = step
    return best


def _unbeatable(problem: MinCostProblem, best: Filled) -> bool:
    """Whether ``best`` ships from one location, has no shipment below the minimum value, and every other
    plan provably costs more (by ``bounds.MARGIN``): no move can then improve it."""
    if len(best.open) != 1 or best.key[0] != 0:
        return False
    b = bounds(problem)
    return b is not None and only_optimum(b, next(iter(best.open)), best.key[1])
