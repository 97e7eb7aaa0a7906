"""Sourcing without a profile (v0), kept for the callers that use it.

Ship and local delivery: the fewest locations that can fill the order, then the nearest (haversine).
Pickup and curbside: only the store the customer chose. Every decision keeps its candidates, their
scores and the reasons any location was excluded, so that "why this location" always has an answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock, InvalidInput
from ordermesh.domain.sourcing.decision import Decision
from ordermesh.domain.sourcing.distance import distances_km
from ordermesh.domain.sourcing.filters import lacks_capability
from ordermesh.domain.sourcing.model import Candidate, Demand
from ordermesh.domain.sourcing.plans import fill_in_order, fillable, fillable_each, short_skus
from ordermesh.domain.sourcing.strategies import choose_fewest


def _shortages(candidates: Sequence[Candidate], demand: Demand, sku_codes: Mapping[int, str]) -> list[str]:
    return sorted(sku_codes[sku] for sku in short_skus(candidates, demand))


def _screen(candidates: Sequence[Candidate], method: DeliveryMethod | None,
            excluded: Mapping[int, str]) -> tuple[list[Candidate], dict[int, str]]:
    eligible, reasons = [], {}
    needed = method.capability.value if method is not None else None  # once, not per candidate
    for c in candidates:
        why = excluded.get(c.location_id)
        if why is None and needed is not None and needed not in c.capabilities:
            why = lacks_capability(c, method)
        if why:
            reasons[c.location_id] = why
        else:
            eligible.append(c)
    return eligible, reasons


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
    This runs for every order over every candidate location: each fact about a candidate is worked
    out once.
    """
    eligible, reasons = _screen(candidates, method, excluded or {})
    shortages = _shortages(eligible, demand, sku_codes)
    if shortages:
        raise InsufficientStock(
            f"not enough stock for {', '.join(shortages)}"
            + (f" at the locations that can {method.value}" if method else ""),
            skus=shortages,
        )
    dist = distances_km(destination, [(c.location_id, c.latitude, c.longitude) for c in candidates])
    rank = {i: d if d is not None else math.inf for i, d in dist.items()}

    def key(c: Candidate) -> float:
        return rank[c.location_id]

    chosen = choose_fewest(sorted(eligible, key=lambda c: (rank[c.location_id], c.code)), demand, key) or []
    allocations = fill_in_order(chosen, demand)
    # The greedy fill may pick a location whose units nearer ones then cover: "chosen" means it ships.
    chosen_ids = {a.location_id for a in allocations}
    strategy = "fewest_splits_then_nearest" if destination else "fewest_splits"
    explained = _explain(candidates, demand, dist, chosen_ids, reasons)
    return Decision(strategy, allocations, explained, {c.location_id: c.code for c in chosen})


def _explain(candidates: Sequence[Candidate], demand: Demand, dist: Mapping[int, float | None],
             chosen_ids: set[int], reasons: Mapping[int, str]) -> list[dict[str, Any]]:
    fills = fillable_each(candidates, demand)
    explained = [
        {
            "location": c.code,
            "distance_km": dist[c.location_id],
            "fillable_units": fills[c.location_id],
            "chosen": c.location_id in chosen_ids,
            "excluded": reasons.get(c.location_id),
        }
        for c in candidates
    ]
    explained.sort(key=lambda e: (not e["chosen"], e["excluded"] is not None, e["distance_km"] or 0.0))
    return explained


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
    explained = [{"location": store.code, "distance_km": None, "fillable_units": fillable(store, demand),
                  "chosen": True, "excluded": None}]
    return Decision("chosen_store", fill_in_order([store], demand), explained, {store.location_id: store.code})

