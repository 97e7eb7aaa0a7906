"""The rule-based strategies. Each takes the eligible locations best first and returns a plan or why not.

``nearest``: one location that has everything, the best ranked. ``fewest_splits``: as few locations as
possible, then the best ranked (Shopify's default). ``priority`` and ``highest_stock``: take from the
locations in rank order until the order is filled (Saleor's two); they differ only in how locations are
ranked (by priority, by units they can fill), which the profile's weights decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations

from ordermesh.domain.sourcing.model import Candidate, Demand, Infeasible, Plan
from ordermesh.domain.sourcing.plans import covers, fill_in_order, fillable, greedy_fill, short_skus

# Exhaustive search for the best pair of locations stays cheap up to this many candidates (n²/2 pairs).
PAIR_SEARCH_LIMIT = 120

Key = Callable[[Candidate], float]  # lower is better


def infeasible(ranked: Sequence[Candidate], demand: Demand, max_splits: int | None, summary: str) -> Infeasible:
    """Name, per SKU, whether stock is short at the eligible locations or the split limit is in the way."""
    short = set(short_skus(ranked, demand))
    limit = f"needs more than {max_splits} location{'s' if max_splits != 1 else ''}"
    return Infeasible(summary, {sku: "not enough stock at eligible locations" if sku in short else limit
                                for sku in demand})


def choose_fewest(ordered: Sequence[Candidate], demand: Demand, key: Key,
                  max_splits: int | None = None) -> list[Candidate] | None:
    """The fewest locations that together fill ``demand``, the best keyed among equals; None if none do.

    One location, else the best pair (exhaustively, up to PAIR_SEARCH_LIMIT candidates), else greedily the
    location that fills most of what is left. ``ordered`` is sorted by (key, code).
    """
    for c in ordered:
        if covers([c], demand):
            return [c]
    if max_splits == 1:
        return None
    if len(ordered) <= PAIR_SEARCH_LIMIT:
        pairs = [list(p) for p in combinations(ordered, 2) if covers(p, demand)]
        if pairs:
            return min(pairs, key=lambda p: (sum(key(c) for c in p), [c.code for c in p]))
        if max_splits == 2:
            return None
    return _greedy_cover(ordered, demand, key, max_splits)


def _greedy_cover(ordered: Sequence[Candidate], demand: Demand, key: Key,
                  max_splits: int | None) -> list[Candidate] | None:
    chosen: list[Candidate] = []
    remaining = dict(demand)
    while any(remaining.values()):
        if max_splits is not None and len(chosen) >= max_splits:
            return None
        best = max((c for c in ordered if c not in chosen), key=lambda c: (fillable(c, remaining), -key(c)),
                   default=None)
        if best is None or fillable(best, remaining) == 0:
            return None
        chosen.append(best)
        for sku in remaining:
            remaining[sku] -= min(remaining[sku], best.stock.get(sku, 0))
    return sorted(chosen, key=lambda c: (key(c), c.code))


def nearest(ranked: Sequence[Candidate], demand: Demand) -> Plan | Infeasible:
    """The best ranked location that has every line; fails when none has."""
    for c in ranked:
        if covers([c], demand):
            return fill_in_order([c], demand)
    return infeasible(ranked, demand, 1, "no single eligible location has every line")


def fewest_splits(ranked: Sequence[Candidate], demand: Demand, max_splits: int | None,
                  badness: Mapping[int, float] | None = None) -> Plan | Infeasible:
    """As few locations as possible; among equals the lowest total ``badness`` (default: rank position)."""
    position = badness or {c.location_id: float(i) for i, c in enumerate(ranked)}

    def key(c: Candidate) -> float:
        return position.get(c.location_id, math.inf)

    ordered = sorted(ranked, key=lambda c: (position.get(c.location_id, math.inf), c.code))  # (key(c), code)
    chosen = choose_fewest(ordered, demand, key, max_splits)
    if chosen is None:
        return infeasible(ranked, demand, max_splits, "no set of eligible locations within the split limit "
                                                      "fills the order")
    return fill_in_order(chosen, demand)


def in_rank_order(ranked: Sequence[Candidate], demand: Demand, max_splits: int | None) -> Plan | Infeasible:
    """Take all each location can give, in rank order, until the order is filled."""
    plan, remaining = greedy_fill(ranked, demand, max_splits)
    if remaining:
        return infeasible(ranked, demand, max_splits, "the locations in rank order do not fill the order "
                                                      "within the split limit")
    return plan


def priority(ranked: Sequence[Candidate], demand: Demand, max_splits: int | None) -> Plan | Infeasible:
    """Locations by priority (the ranking the priority weight gives), filled greedily."""
    return in_rank_order(ranked, demand, max_splits)


def highest_stock(ranked: Sequence[Candidate], demand: Demand, max_splits: int | None) -> Plan | Infeasible:
    """Locations by the units of the order they can fill (the ranking the stock weight gives), filled greedily."""
    return in_rank_order(ranked, demand, max_splits)
