"""Filters: which candidate locations a strategy may use for an order, and why not the others.

A filter returns the reason it excludes a location, or None. ``screen`` applies them all, the first reason
wins, and keeps of each eligible location only the stock it may give. It runs for every strategy tried on
every order: the per-order facts (``OrderFacts``) are worked out once, the filters that cannot exclude
anything under the strategy's criteria are left out, and a location is copied only when its stock shrinks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.sourcing.distance import distances_km
from ordermesh.domain.sourcing.model import Candidate, Demand, OrderContext
from ordermesh.domain.sourcing.plans import fillable_each
from ordermesh.domain.sourcing.profiles import Criteria


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
class OrderFacts:
    """What every strategy needs about every candidate for one order, worked out once."""

    distances: Mapping[int, float | None]  # location id → km to the customer (None: no destination)
    fillable: Mapping[int, int]  # location id → units of the order it could ship on its own, from all its stock


def order_facts(candidates: Sequence[Candidate], ctx: OrderContext, demand: Demand) -> OrderFacts:
    return OrderFacts(distances_km(ctx.destination, [(c.location_id, c.latitude, c.longitude) for c in candidates]),
                      fillable_each(candidates, demand))


@dataclass(frozen=True)
class Screened:
    eligible: list[Candidate]  # their stock is only what they may give: the order's SKUs, at the minimum or above
    excluded: dict[int, str]  # location id → why
    distances: Mapping[int, float | None]  # location id → km to the customer (every candidate)
    fillable: Mapping[int, int]  # location id → units of the order it could ship on its own (the eligible)
    demand: Demand  # the order they were screened for


Filter = Callable[[Candidate, float | None], str | None]  # (location, km to the customer) → why excluded


def _profile_filters(criteria: Criteria) -> list[Filter]:
    """The profile's own filters that can exclude anything under ``criteria``, in the order they apply
    (after the method's capability, before the daily capacity and the stock)."""
    excluded, types, tags = criteria.exclude_locations, criteria.location_types, criteria.location_tags_any
    checks: list[Filter] = []
    if excluded:
        checks.append(lambda c, km: excluded_by_profile(c, excluded))
    if types is not None:
        checks.append(lambda c, km: wrong_type(c, types))
    if tags is not None:
        checks.append(lambda c, km: missing_tags(c, tags))
    if criteria.max_distance_km is not None:
        checks.append(lambda c, km: outside_radius(km, criteria.max_distance_km))
    return checks


def _usable(c: Candidate, lines: list[tuple[int, int]], floor: int) -> tuple[dict[int, int], int] | str:
    """The units of the order's lines (sku, units) ``c`` may give (at least ``floor`` of a line) and what they
    fill of the order; or why none, as ``no_stock`` then ``below_minimum_stock`` would say (one pass)."""
    stock, usable, fills, any_stock = c.stock, {}, 0, False
    for sku, qty in lines:
        units = stock.get(sku, 0)
        if units > 0:
            any_stock = True
            if units >= floor:
                usable[sku] = units
                fills += units if units < qty else qty
    if not any_stock:
        return "no stock for this order"
    return (usable, fills) if usable else "stock below minimum"


def screen(candidates: Sequence[Candidate], ctx: OrderContext, criteria: Criteria, demand: Demand,
           excluded: Mapping[int, str] | None = None, *, facts: OrderFacts | None = None) -> Screened:
    """Apply every filter; ``excluded`` are locations the caller rules out (e.g. one that rejected the order).

    The first reason wins, in this order: ``excluded``, the method's capability, the profile's filters, the
    daily capacity, the stock. ``facts`` (of every candidate) saves working them out for each strategy.
    """
    facts = facts or order_facts(candidates, ctx, demand)
    distances, checks, ruled_out = facts.distances, _profile_filters(criteria), excluded or {}
    method = ctx.method
    needed = method.capability.value if method is not None else None
    floor, lines = max(1, criteria.min_stock_units), list(demand.items())
    eligible, reasons, fills = [], {}, {}
    for c in candidates:
        why = ruled_out.get(c.location_id)
        if not why and needed is not None and needed not in c.capabilities:
            why = lacks_capability(c, method)
        if not why and checks:
            why = _first_reason(checks, c, distances[c.location_id])
        if not why and c.at_capacity:
            why = capacity_full(c, method)
        found = why or _usable(c, lines, floor)
        if isinstance(found, str):
            reasons[c.location_id] = found
            continue
        usable, fills[c.location_id] = found
        eligible.append(c if len(usable) == len(c.stock) else c.with_stock(usable))  # copied only if it shrinks
    return Screened(eligible, reasons, distances, fills, demand)


def _first_reason(checks: list[Filter], c: Candidate, km: float | None) -> str | None:
    for check in checks:
        why = check(c, km)
        if why:
            return why
    return None
