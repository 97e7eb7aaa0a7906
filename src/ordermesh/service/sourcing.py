"""Sourcing in the service layer: read candidates, let the channel's profile decide, reserve atomically.

The decision is made on a snapshot; the reservation is a conditional UPDATE, and each fulfillment
order takes a unit of its location's daily capacity the same way. If another order took the stock or
the capacity in between, that step reports it and we decide again on fresh numbers (a few times), so a
race costs a retry, never an oversell or an overbooked store.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import batch, capacity, inventory
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.solver import HighsSolver
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock
from ordermesh.domain.sourcing import (
    DEFAULT_RATES,
    Candidate,
    Decision,
    OrderContext,
    SolveLimits,
    Solver,
    plan_cost,
    run_profile,
    source_at_store,
    source_order,
)
from ordermesh.service import profiles
from ordermesh.service.candidates import candidates, sites, today

ATTEMPTS = 4
# On the order path the solver gets a deadline: past it, HiGHS's best plan so far (or the heuristic's, or the
# best greedy one) is taken, and the decision says so. A customer waits for this; 2 s would be too long.
ORDER_PATH_LIMITS = SolveLimits(time_limit_s=0.06, heuristic_time_s=0.03)


@dataclass(frozen=True)
class OrderFacts:
    """What a profile's conditions and costs need to know of the order beyond its demand."""

    channel: str | None = None
    country: str | None = None
    region: str | None = None
    order_value_minor: int = 0
    unit_value_minor: Mapping[int, int] = field(default_factory=dict)
    sku_tags: Mapping[int, frozenset[str]] = field(default_factory=dict)
    sku_weight_grams: Mapping[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class Sourced:
    """A decision and the profile version it was made under."""

    decision: Decision
    profile: str
    profile_version: int | None
    tried: list[dict[str, Any]] | None = None  # set when the decision itself does not record it

    def explanation(self, **extra: Any) -> dict[str, Any]:
        explained = self.decision.explanation()
        if self.tried is not None:
            explained["tried"] = self.tried
        return {**explained, "profile": self.profile, "profile_version": self.profile_version, **extra}


@functools.cache
def _solver() -> Solver:
    return HighsSolver()


class StockTaken(Exception):
    """Another order took the stock between our read and our reservation: decide again on fresh numbers."""

    def __init__(self, skus: list[str]) -> None:
        super().__init__(", ".join(skus))
        self.skus = skus

    def refusal(self) -> InsufficientStock:
        return InsufficientStock(f"stock for {', '.join(self.skus)} was taken by concurrent orders", skus=self.skus)


class CapacityTaken(StockTaken):
    """Other orders filled a location's capacity for the day between our read and our booking."""

    def refusal(self) -> InsufficientStock:
        return InsufficientStock(f"the daily capacity of {', '.join(self.skus)} was taken by concurrent orders",
                                 skus=[], locations=self.skus)


def decide(
    conn: Connection,
    channel: Mapping[Any, Any],
    demand: Mapping[int, int],
    *,
    method: DeliveryMethod | None,
    destination: tuple[float, float] | None,
    sku_codes: Mapping[int, str],
    store: RowMapping | None = None,
    excluded: Mapping[int, str] | None = None,
    facts: OrderFacts | None = None,
) -> Sourced:
    """Choose locations for ``demand`` on a snapshot of stock (nothing is reserved yet)."""
    if store is not None:
        found = candidates(conn, channel, list(demand), method=method, location_ids=[store["id"]])
        return Sourced(source_at_store(demand, found[0] if found else _empty(store), method=method,
                                       store_code=store["code"], sku_codes=sku_codes), "chosen_store", None)
    active = profiles.for_channel(conn, channel)
    found = candidates(conn, channel, list(demand), method=method)
    facts = facts or OrderFacts(channel=channel.get("code"))
    ctx = OrderContext(method=method, channel=facts.channel, order_value_minor=facts.order_value_minor,
                       destination=destination, country=facts.country, region=facts.region,
                       sku_tags=facts.sku_tags, sku_weight_grams=facts.sku_weight_grams,
                       unit_value_minor=facts.unit_value_minor)
    if active is profiles.BUILT_IN_PROFILE:
        with contextlib.suppress(InsufficientStock):  # a refusal is explained in full by the engine below
            return _built_in(demand, found, ctx, sku_codes, excluded)
    decision = run_profile(active.profile, ctx, demand, found, sku_codes, solver=_solver(), excluded=excluded,
                           limits=ORDER_PATH_LIMITS)
    return Sourced(decision, active.code, active.version)


def _built_in(demand: Mapping[int, int], found: Sequence[Candidate], ctx: OrderContext, sku_codes: Mapping[int, str],
              excluded: Mapping[int, str] | None) -> Sourced:
    """The built-in profile (fewest locations, then nearest) on its fast path: this is most orders of a
    retailer without a profile, and its criteria are just distance and fillable units, which the
    explanation shows for every candidate, with the cost of the chosen plan at the default rates."""
    method = ctx.method
    full = {c.location_id: f"daily capacity for {method.value} is full"
            for c in found if method is not None and c.at_capacity}
    decision = source_order(demand, found, method=method, destination=ctx.destination, sku_codes=sku_codes,
                            excluded={**full, **(excluded or {})})
    decision.strategy_type = "fewest_splits"
    decision.cost = plan_cost(decision.allocations, ctx, found, DEFAULT_RATES)
    sourced = Sourced(decision, profiles.BUILT_IN, None)
    sourced.tried = [{"strategy": decision.strategy, "type": "fewest_splits", "outcome": "chosen"}]
    return sourced


def reserve(conn: Connection, channel: Mapping[Any, Any], decision: Decision, *, sku_codes: Mapping[int, str],
            source: str) -> None:
    """Reserve what ``decision`` allocated, or raise StockTaken (the caller's transaction rolls back)."""
    changes = [StockChange(a.sku_id, a.location_id, a.quantity) for a in decision.allocations]

    def refuse(failed: list[StockChange]) -> None:
        raise StockTaken(sorted({sku_codes[c.sku_id] for c in failed}))

    inventory.reserve(conn, changes, buffer=channel["buffer"], source=source, refuse=refuse)


def book_capacity(conn: Connection, location_ids: Sequence[int], method: DeliveryMethod) -> str:
    """Take a unit of today's capacity at each location for ``method``, or raise CapacityTaken (in a batch,
    when the batch is sent). Returns the capacity day, which giving the unit back needs."""
    day, known = today(), sites(conn, {})
    if missing := [i for i in location_ids if i not in known]:  # e.g. a store that was not a candidate
        known = sites(conn, dict.fromkeys(missing, -1))
    booked = [(i, capacity.take_later(conn, i, method.value, day, known[i].capacity_limit(method)))
              for i in location_ids]

    def verify() -> None:
        full = sorted(known[i].code for i, answered in booked if not answered())
        if full:
            raise CapacityTaken(full)

    active = batch.current(conn)
    if active is not None:
        active.check(verify)
    else:
        verify()
    return day


def reserve_best(
    conn: Connection,
    channel: Mapping[Any, Any],
    demand: Mapping[int, int],
    *,
    method: DeliveryMethod | None,
    destination: tuple[float, float] | None,
    sku_codes: Mapping[int, str],
    source: str,
    store: RowMapping | None = None,
    excluded: Mapping[int, str] | None = None,
) -> Decision:
    """Choose locations for ``demand`` and reserve there, or raise InsufficientStock naming the SKUs."""
    taken = StockTaken([])
    for _ in range(ATTEMPTS):
        sourced = decide(conn, channel, demand, method=method, destination=destination, sku_codes=sku_codes,
                         store=store, excluded=excluded)
        try:
            reserve(conn, channel, sourced.decision, sku_codes=sku_codes, source=source)
        except StockTaken as exc:
            taken = exc
            continue
        return sourced.decision
    raise taken.refusal()


def _empty(store: RowMapping) -> Candidate:
    return Candidate(store["id"], store["code"], store["latitude"], store["longitude"],
                     frozenset(store["capabilities"]), {})
