"""Small networks and orders for the sourcing tests, built by hand or drawn by Hypothesis."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

from hypothesis import strategies as st

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.sourcing import Allocation, Candidate, Decision, OrderContext, RateCards, plan_cost
from ordermesh.domain.sourcing.distance import haversine_km

TEE, CAP, MUG = 1, 2, 3
SKU_CODES = {TEE: "TEE", CAP: "CAP", MUG: "MUG", **{i: f"SKU{i}" for i in range(4, 100)}}
BERLIN, POTSDAM, HAMBURG, MUNICH = (52.5200, 13.4050), (52.3906, 13.0645), (53.5511, 9.9937), (48.1372, 11.5756)
CUSTOMER_IN_BERLIN = (52.5219, 13.4132)
SHIPS = frozenset({"ship", "local_delivery", "returns"})


def place(location_id: int, code: str, where: tuple[float, float], stock: dict[int, int], *,
          capabilities: frozenset[str] = SHIPS, **attributes: object) -> Candidate:
    return Candidate(location_id, code, where[0], where[1], capabilities, stock, **attributes)


def shipping(destination: tuple[float, float] | None = CUSTOMER_IN_BERLIN, **fields: object) -> OrderContext:
    weights = {TEE: 200, CAP: 100, MUG: 400}
    return OrderContext(method=DeliveryMethod.SHIP, destination=destination,
                        sku_weight_grams=fields.pop("sku_weight_grams", weights), **fields)


def units_at(allocations: list[Allocation]) -> dict[tuple[str | int, int], int]:
    totals: Counter[tuple[str | int, int]] = Counter()
    for a in allocations:
        totals[(a.location_id, a.sku_id)] += a.quantity
    return dict(totals)


def chosen(decision: Decision) -> list[str]:
    return sorted(decision.location_codes.values())


def cost_of(plan: list[Allocation], ctx: OrderContext, candidates: list[Candidate],
            rates: RateCards = RateCards()) -> float:
    return plan_cost(plan, ctx, candidates, rates).total


def _fixed(c: Candidate, ctx: OrderContext, rates: RateCards) -> float:
    card = rates.by_type[c.type]
    km = haversine_km(*ctx.destination, c.latitude, c.longitude) if ctx.destination else 0.0
    return card.per_parcel_minor + card.handling_minor + card.per_km_minor * km + rates.split_penalty_minor


def _per_unit(c: Candidate, sku: int, ctx: OrderContext, rates: RateCards) -> float:
    return rates.by_type[c.type].per_kg_minor * ctx.sku_weight_grams.get(sku, 0) / 1000


def brute_force_cost(candidates: list[Candidate], demand: dict[int, int], ctx: OrderContext, rates: RateCards,
                     max_splits: int | None) -> float | None:
    """The true optimum, by enumerating every set of locations and filling each SKU cheapest-per-unit first
    (written apart from the domain's cost code, straight from the rate cards)."""
    usable = [c for c in candidates if not c.at_capacity]
    best = None
    limit = len(usable) if max_splits is None else min(max_splits, len(usable))
    for size in range(1, limit + 1):
        for subset in combinations(usable, size):
            total = set_cost(subset, demand, ctx, rates)
            if total is not None:
                best = total if best is None else min(best, total)
    return best


def set_cost(locations: tuple[Candidate, ...], demand: dict[int, int], ctx: OrderContext,
             rates: RateCards) -> float | None:
    """What shipping from exactly these locations costs at best (each pays its fixed cost, used or not);
    None if together they cannot fill the order."""
    total = sum(_fixed(c, ctx, rates) for c in locations) - rates.split_penalty_minor
    for sku, wanted in demand.items():
        for c in sorted(locations, key=lambda c: _per_unit(c, sku, ctx, rates)):
            take = min(wanted, c.stock.get(sku, 0))
            total += take * _per_unit(c, sku, ctx, rates)
            wanted -= take
        if wanted:
            return None
    return total


LOCATION_TYPES = ["warehouse", "store", "dark_store", "supplier"]


@st.composite
def orders(draw: st.DrawFn, max_locations: int = 7, max_skus: int = 4
           ) -> tuple[dict[int, int], list[Candidate], OrderContext]:
    """A random small network around Germany, an order, and its context (weights, destination)."""
    sku_ids = draw(st.lists(st.integers(1, 8), min_size=1, max_size=max_skus, unique=True))
    demand = {s: draw(st.integers(1, 6)) for s in sku_ids}
    candidates = []
    for i in range(draw(st.integers(1, max_locations))):
        stock = {s: draw(st.integers(0, 6)) for s in sku_ids if draw(st.booleans())}
        where = (draw(st.floats(47.0, 55.0)), draw(st.floats(6.0, 15.0)))
        capacity = draw(st.one_of(st.none(), st.integers(0, 3)))
        candidates.append(place(i + 1, f"L{i + 1}", where, stock, type=draw(st.sampled_from(LOCATION_TYPES)),
                                priority=draw(st.integers(1, 4)), capacity_left=capacity))
    destination = draw(st.one_of(st.none(), st.tuples(st.floats(47.0, 55.0), st.floats(6.0, 15.0))))
    weights = {s: draw(st.integers(0, 5000)) for s in sku_ids}
    return demand, candidates, shipping(destination, sku_weight_grams=weights)
