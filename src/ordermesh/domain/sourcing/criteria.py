"""Criteria: which candidate locations a strategy may use (filters) and how good each one is (scores).

A filter returns the reason it excludes a location, or None. A score is normalised to 0..1, higher is
better; the weighted total ranks locations, and every part is kept so a decision can say why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.sourcing.costs import RateCards, shipment_cost
from ordermesh.domain.sourcing.distance import distance_km
from ordermesh.domain.sourcing.model import Candidate, Demand, OrderContext
from ordermesh.domain.sourcing.plans import fillable
from ordermesh.domain.sourcing.profiles import Criteria, Weights

# -- filters ---------------------------------------------------------------------------------------


def lacks_capability(c: Candidate, method: DeliveryMethod | None) -> str | None:
    if method is None or method.capability.value in c.capabilities:
        return None
    return f"no {method.value} capability"


def excluded_by_profile(c: Candidate, codes: frozenset[str]) -> str | None:
    return "excluded by profile" if c.code in codes else None


def wrong_type(c: Candidate, types: frozenset[str] | None) -> str | None:
    if types is None or c.type in types:
        return None
    return f"type {c.type} not in [{', '.join(sorted(types))}]"


def missing_tags(c: Candidate, tags: frozenset[str] | None) -> str | None:
    if tags is None or c.tags & tags:
        return None
    return f"no tag of [{', '.join(sorted(tags))}]"


def outside_radius(km: float | None, max_km: float | None) -> str | None:
    """Without a destination the radius cannot be checked, and excludes nothing."""
    if km is None or max_km is None or km <= max_km:
        return None
    return f"outside {max_km:g} km radius ({km:.1f} km)"


def capacity_full(c: Candidate, method: DeliveryMethod | None) -> str | None:
    if not c.at_capacity:
        return None
    return f"daily capacity for {method.value if method else 'fulfillment'} is full"


def below_minimum_stock(c: Candidate, demand: Demand, min_units: int) -> str | None:
    """A location holding some of the order, but of no line as many units as the minimum."""
    held = [c.stock.get(sku, 0) for sku in demand]
    if min_units <= 0 or not any(held) or any(units >= min_units for units in held):
        return None
    return "stock below minimum"


def no_stock(c: Candidate, demand: Demand) -> str | None:
    return None if any(c.stock.get(sku, 0) > 0 for sku in demand) else "no stock for this order"


@dataclass(frozen=True)
class Screened:
    eligible: list[Candidate]  # their stock is only what they may give: the order's SKUs, at the minimum or above
    excluded: dict[int, str]  # location id → why
    distances: dict[int, float | None]  # location id → km to the customer (every candidate)


def _reason(c: Candidate, km: float | None, ctx: OrderContext, criteria: Criteria, demand: Demand) -> str | None:
    return (lacks_capability(c, ctx.method) or excluded_by_profile(c, criteria.exclude_locations)
            or wrong_type(c, criteria.location_types) or missing_tags(c, criteria.location_tags_any)
            or outside_radius(km, criteria.max_distance_km) or capacity_full(c, ctx.method)
            or no_stock(c, demand) or below_minimum_stock(c, demand, criteria.min_stock_units))


def screen(candidates: Sequence[Candidate], ctx: OrderContext, criteria: Criteria, demand: Demand,
           excluded: Mapping[int, str] | None = None) -> Screened:
    """Apply every filter; ``excluded`` are locations the caller rules out (e.g. one that rejected the order)."""
    distances = {c.location_id: distance_km(ctx.destination, c.latitude, c.longitude) for c in candidates}
    eligible, reasons = [], {}
    floor = max(1, criteria.min_stock_units)
    for c in candidates:
        why = (excluded or {}).get(c.location_id) or _reason(c, distances[c.location_id], ctx, criteria, demand)
        if why:
            reasons[c.location_id] = why
            continue
        usable = {sku: c.stock.get(sku, 0) for sku in demand if c.stock.get(sku, 0) >= floor}
        eligible.append(replace(c, stock=usable))
    return Screened(eligible, reasons, distances)


# -- scores ----------------------------------------------------------------------------------------


def distance_score(km: float | None, farthest: float) -> float:
    """1 at the customer's door, 0 at the farthest eligible location (or the radius); 0 when unknown."""
    if km is None:
        return 0.0
    return 1.0 if farthest <= 0 else max(0.0, 1.0 - km / farthest)


def stock_score(fillable_units: int, wanted_units: int) -> float:
    """The share of the order's units this location could ship on its own."""
    return fillable_units / wanted_units if wanted_units > 0 else 0.0


def priority_score(priority: int, best: int, worst: int) -> float:
    """1 for the most preferred (lowest) priority among the eligible, 0 for the least."""
    return 1.0 if worst == best else (worst - priority) / (worst - best)


def headroom_score(capacity_left: int | None, most: int) -> float:
    """1 without a capacity limit; otherwise the share of the largest remaining capacity."""
    if capacity_left is None:
        return 1.0
    return max(0.0, capacity_left / most) if most > 0 else 0.0


def cost_score(cost_per_unit: float, cheapest: float, dearest: float) -> float:
    """1 for the location that ships its part of the order cheapest per unit, 0 for the dearest."""
    return 1.0 if dearest <= cheapest else (dearest - cost_per_unit) / (dearest - cheapest)


@dataclass(frozen=True)
class Scores:
    parts: Mapping[str, float]
    total: float  # the weighted mean of the parts, 0..1

    def as_dict(self) -> dict[str, Any]:
        return {**{name: round(v, 4) for name, v in self.parts.items()}, "total": round(self.total, 4)}


def _weighted(parts: Mapping[str, float], weights: Weights) -> float:
    total_weight = sum(w for _, w in weights.items())
    if total_weight <= 0:
        return 0.0
    return sum(parts[name] * w for name, w in weights.items()) / total_weight


def score_candidates(screened: Screened, ctx: OrderContext, demand: Demand, criteria: Criteria,
                     rates: RateCards) -> dict[int, Scores]:
    """Every eligible location's scores, relative to the other eligible ones."""
    eligible = screened.eligible
    if not eligible:
        return {}
    km = {c.location_id: screened.distances[c.location_id] for c in eligible}
    farthest = criteria.max_distance_km or max((d for d in km.values() if d is not None), default=0.0)
    priorities = [c.priority for c in eligible]
    most_room = max((c.capacity_left for c in eligible if c.capacity_left is not None), default=0)
    alone = {c.location_id: _cost_per_unit(c, ctx, demand, rates) for c in eligible}
    wanted = sum(demand.values())
    out = {}
    for c in eligible:
        parts = {
            "distance": distance_score(km[c.location_id], farthest),
            "stock": stock_score(fillable(c, demand), wanted),
            "priority": priority_score(c.priority, min(priorities), max(priorities)),
            "capacity_headroom": headroom_score(c.capacity_left, most_room),
            "cost": cost_score(alone[c.location_id], min(alone.values()), max(alone.values())),
        }
        out[c.location_id] = Scores(parts, _weighted(parts, criteria.weights))
    return out


def _cost_per_unit(c: Candidate, ctx: OrderContext, demand: Demand, rates: RateCards) -> float:
    """What shipping all it can of the order alone costs, per unit (eligible locations hold at least one)."""
    units = {sku: min(qty, c.stock.get(sku, 0)) for sku, qty in demand.items()}
    return shipment_cost(c, units, ctx, rates).total / max(1, sum(units.values()))


def rank(eligible: Sequence[Candidate], scores: Mapping[int, Scores]) -> list[Candidate]:
    """Best score first; equal scores by location code, so the choice never depends on input order."""
    return sorted(eligible, key=lambda c: (-scores[c.location_id].total, c.code))
