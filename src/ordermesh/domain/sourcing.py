"""Sourcing v0: which locations fulfil which lines.

Ship and local delivery: the fewest locations that can fill the order, then the nearest (haversine).
Pickup and curbside: only the store the customer chose. Every decision keeps its candidates, their
scores and the reasons any location was excluded, so that "why this location" always has an answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock, InvalidInput

EARTH_RADIUS_KM = 6371.0088
# Exhaustive search for the best pair of locations stays cheap up to this many candidates (n²/2 pairs).
PAIR_SEARCH_LIMIT = 120

Demand = Mapping[int, int]  # sku id → units wanted


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True, slots=True)
class Candidate:
    location_id: int
    code: str
    latitude: float
    longitude: float
    capabilities: frozenset[str]
    stock: Mapping[int, int]  # sku id → units this channel may take here


@dataclass(frozen=True, slots=True)
class Allocation:
    location_id: int
    sku_id: int
    quantity: int


@dataclass(slots=True)
class Decision:
    strategy: str
    allocations: list[Allocation]
    candidates: list[dict[str, Any]] = field(default_factory=list)
    location_codes: dict[int, str] = field(default_factory=dict)

    def explanation(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "candidates": self.candidates}


def _distance(c: Candidate, destination: tuple[float, float] | None) -> float | None:
    if destination is None:
        return None
    return round(haversine_km(destination[0], destination[1], c.latitude, c.longitude), 3)


def _fillable(c: Candidate, demand: Demand) -> int:
    return sum(min(c.stock.get(sku, 0), qty) for sku, qty in demand.items())


def _covers(locations: Sequence[Candidate], demand: Demand) -> bool:
    return all(sum(c.stock.get(sku, 0) for c in locations) >= qty for sku, qty in demand.items())


def _allocate(locations: Sequence[Candidate], demand: Demand) -> list[Allocation]:
    """Fill each SKU from the given locations in their order (nearest first)."""
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


def _shortages(candidates: Sequence[Candidate], demand: Demand, sku_codes: Mapping[int, str]) -> list[str]:
    return sorted(sku_codes[sku] for sku, qty in demand.items()
                  if sum(c.stock.get(sku, 0) for c in candidates) < qty)


def _screen(
    candidates: Sequence[Candidate], method: DeliveryMethod | None, excluded: Mapping[int, str]
) -> tuple[list[Candidate], dict[int, str]]:
    eligible, reasons = [], {}
    for c in candidates:
        if c.location_id in excluded:
            reasons[c.location_id] = excluded[c.location_id]
        elif method is not None and method.capability.value not in c.capabilities:
            reasons[c.location_id] = f"no {method.value} capability"
        else:
            eligible.append(c)
    return eligible, reasons


def _choose_locations(eligible: list[Candidate], demand: Demand, dist: Mapping[int, float | None]) -> list[Candidate]:
    def key(c: Candidate) -> tuple[float, str]:
        d = dist[c.location_id]
        return (d if d is not None else math.inf, c.code)

    by_distance = sorted(eligible, key=key)
    for c in by_distance:
        if _covers([c], demand):
            return [c]
    if len(by_distance) <= PAIR_SEARCH_LIMIT:
        pairs = [list(p) for p in combinations(by_distance, 2) if _covers(p, demand)]
        if pairs:
            return min(pairs, key=lambda p: (sum(key(c)[0] for c in p), [c.code for c in p]))
    chosen: list[Candidate] = []
    remaining = dict(demand)
    while any(remaining.values()):
        best = max((c for c in by_distance if c not in chosen), key=lambda c: (_fillable(c, remaining), -key(c)[0]))
        chosen.append(best)
        for sku in remaining:
            remaining[sku] -= min(remaining[sku], best.stock.get(sku, 0))
    return sorted(chosen, key=key)


def source_order(
    demand: Demand,
    candidates: Sequence[Candidate],
    *,
    method: DeliveryMethod | None,
    destination: tuple[float, float] | None,
    sku_codes: Mapping[int, str],
    excluded: Mapping[int, str] | None = None,
) -> Decision:
    """Fewest locations, then nearest. Raises InsufficientStock naming every SKU that cannot be filled.

    ``method`` None (a cart hold, before the delivery method is known) considers every location.
    """
    eligible, reasons = _screen(candidates, method, excluded or {})
    shortages = _shortages(eligible, demand, sku_codes)
    if shortages:
        raise InsufficientStock(
            f"not enough stock for {', '.join(shortages)}"
            + (f" at the locations that can {method.value}" if method else ""),
            skus=shortages,
        )
    dist = {c.location_id: _distance(c, destination) for c in candidates}
    chosen = _choose_locations(eligible, demand, dist)
    allocations = _allocate(chosen, demand)
    # The greedy fill may pick a location whose units nearer ones then cover: "chosen" means it ships.
    chosen_ids = {a.location_id for a in allocations}
    strategy = "fewest_splits_then_nearest" if destination else "fewest_splits"
    explained = [
        {
            "location": c.code,
            "distance_km": dist[c.location_id],
            "fillable_units": _fillable(c, demand),
            "chosen": c.location_id in chosen_ids,
            "excluded": reasons.get(c.location_id),
        }
        for c in candidates
    ]
    explained.sort(key=lambda e: (not e["chosen"], e["excluded"] is not None, e["distance_km"] or 0.0))
    return Decision(strategy, allocations, explained, {c.location_id: c.code for c in chosen})


def source_at_store(
    demand: Demand,
    store: Candidate | None,
    *,
    method: DeliveryMethod | None,
    store_code: str,
    sku_codes: Mapping[int, str],
) -> Decision:
    """Pickup and curbside reserve only at the store the customer chose (so does a hold at one store)."""
    if store is None:
        raise InvalidInput(
            f"delivery.pickup_location: {store_code!r} is not an active location of this channel",
            field="delivery.pickup_location",
        )
    if method is not None and method.capability.value not in store.capabilities:
        raise InvalidInput(
            f"delivery.pickup_location: {store_code} does not offer {method.value}",
            field="delivery.pickup_location",
        )
    shortages = _shortages([store], demand, sku_codes)
    if shortages:
        raise InsufficientStock(
            f"not enough stock at {store_code} for {', '.join(shortages)}", skus=shortages, location=store_code
        )
    explained = [{"location": store.code, "distance_km": None, "fillable_units": _fillable(store, demand),
                  "chosen": True, "excluded": None}]
    return Decision("chosen_store", _allocate([store], demand), explained, {store.location_id: store.code})
