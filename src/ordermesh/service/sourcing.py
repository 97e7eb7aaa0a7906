"""Sourcing in the service layer: read candidates, let the domain decide, reserve atomically.

The decision is made on a snapshot; the reservation is a conditional UPDATE. If another order took the
stock in between, the reservation reports it and we decide again on fresh numbers (a few times), so a
race costs a retry, never an oversell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import inventory
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock
from ordermesh.domain.sourcing import Candidate, Decision, source_at_store, source_order

ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class _Site:
    """What sourcing needs to know of a location besides its stock."""

    version: int
    code: str
    latitude: float
    longitude: float
    capabilities: frozenset[str]


# Per database engine: location id → its attributes at a version. Every order's stock query returns each
# location's current version, so a changed location is re-read at once, never served stale.
_SITES: WeakKeyDictionary[Engine, dict[int, _Site]] = WeakKeyDictionary()


def _sites(conn: Connection, versions: dict[int, int]) -> dict[int, _Site]:
    known = _SITES.setdefault(conn.engine, {})
    stale = [i for i, v in versions.items() if i not in known or known[i].version != v]
    if stale:
        for r in inventory.location_attributes(conn, stale):
            known[r["id"]] = _Site(r["version"], r["code"], r["latitude"], r["longitude"],
                                   frozenset(r["capabilities"]))
    return known


def candidates(conn: Connection, channel: Mapping[Any, Any], sku_ids: Sequence[int],
               location_ids: Sequence[int] | None = None) -> list[Candidate]:
    rows = inventory.sellable_at(conn, channel_id=channel["id"], all_locations=channel["all_locations"],
                                 buffer=channel["buffer"], sku_ids=sku_ids, location_ids=location_ids)
    stock: dict[int, dict[int, int]] = defaultdict(dict)
    versions: dict[int, int] = {}
    for location_id, version, sku_id, sellable in rows:
        stock[location_id][sku_id] = sellable if sellable > 0 else 0
        versions[location_id] = version
    sites = _sites(conn, versions)
    found = [Candidate(i, sites[i].code, sites[i].latitude, sites[i].longitude, sites[i].capabilities, stock[i])
             for i in versions]
    return sorted(found, key=lambda c: c.code)


class StockTaken(Exception):
    """Another order took the stock between our read and our reservation: decide again on fresh numbers."""

    def __init__(self, skus: list[str]) -> None:
        super().__init__(", ".join(skus))
        self.skus = skus

    def refusal(self) -> InsufficientStock:
        return InsufficientStock(f"stock for {', '.join(self.skus)} was taken by concurrent orders", skus=self.skus)


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
) -> Decision:
    """Choose locations for ``demand`` on a snapshot of stock (nothing is reserved yet)."""
    if store is not None:
        found = candidates(conn, channel, list(demand), [store["id"]])
        return source_at_store(demand, found[0] if found else _empty(store), method=method,
                               store_code=store["code"], sku_codes=sku_codes)
    found = candidates(conn, channel, list(demand))
    return source_order(demand, found, method=method, destination=destination, sku_codes=sku_codes,
                        excluded=excluded)


def reserve(conn: Connection, channel: Mapping[Any, Any], decision: Decision, *, sku_codes: Mapping[int, str],
            source: str) -> None:
    """Reserve what ``decision`` allocated, or raise StockTaken (the caller's transaction rolls back)."""
    changes = [StockChange(a.sku_id, a.location_id, a.quantity) for a in decision.allocations]

    def refuse(failed: list[StockChange]) -> None:
        raise StockTaken(sorted({sku_codes[c.sku_id] for c in failed}))

    inventory.reserve(conn, changes, buffer=channel["buffer"], source=source, refuse=refuse)


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
        decision = decide(conn, channel, demand, method=method, destination=destination, sku_codes=sku_codes,
                          store=store, excluded=excluded)
        try:
            reserve(conn, channel, decision, sku_codes=sku_codes, source=source)
        except StockTaken as exc:
            taken = exc
            continue
        return decision
    raise taken.refusal()


def _empty(store: RowMapping) -> Candidate:
    return Candidate(store["id"], store["code"], store["latitude"], store["longitude"],
                     frozenset(store["capabilities"]), {})
