"""Sourcing in the service layer: read candidates, let the domain decide, reserve atomically.

The decision is made on a snapshot; the reservation is a conditional UPDATE. If another order took the
stock in between, the reservation reports it and we decide again on fresh numbers (a few times), so a
race costs a retry, never an oversell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import inventory
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock
from ordermesh.domain.sourcing import Candidate, Decision, source_at_store, source_order

ATTEMPTS = 4


def candidates(conn: Connection, channel: RowMapping, sku_ids: Sequence[int],
               location_ids: Sequence[int] | None = None) -> list[Candidate]:
    rows = inventory.sellable_at(conn, channel_id=channel["id"], all_locations=channel["all_locations"],
                                 buffer=channel["buffer"], sku_ids=sku_ids, location_ids=location_ids)
    stock: dict[int, dict[int, int]] = defaultdict(dict)
    meta: dict[int, RowMapping] = {}
    for r in rows:
        stock[r["location_id"]][r["sku_id"]] = max(0, r["sellable"])
        meta[r["location_id"]] = r
    return [Candidate(i, m["code"], m["latitude"], m["longitude"], frozenset(m["capabilities"]), stock[i])
            for i, m in sorted(meta.items(), key=lambda kv: kv[1]["code"])]


def reserve_best(
    conn: Connection,
    channel: RowMapping,
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
    short: list[str] = []
    for _ in range(ATTEMPTS):
        if store is not None:
            found = candidates(conn, channel, list(demand), [store["id"]])
            decision = source_at_store(demand, found[0] if found else _empty(store), method=method,
                                       store_code=store["code"], sku_codes=sku_codes)
        else:
            found = candidates(conn, channel, list(demand))
            decision = source_order(demand, found, method=method, destination=destination,
                                    sku_codes=sku_codes, excluded=excluded)
        changes = [StockChange(a.sku_id, a.location_id, a.quantity) for a in decision.allocations]
        failed = inventory.reserve(conn, changes, buffer=channel["buffer"], source=source)
        if not failed:
            return decision
        short = sorted({sku_codes[c.sku_id] for c in failed})
    raise InsufficientStock(f"stock for {', '.join(short)} was taken by concurrent orders", skus=short)


def _empty(store: RowMapping) -> Candidate:
    return Candidate(store["id"], store["code"], store["latitude"], store["longitude"],
                     frozenset(store["capabilities"]), {})
