"""Stock moves of store work: write-offs, recounts and transfers between locations.

Each is a conditional UPDATE that keeps ``0 ≤ reserved ≤ on_hand`` (also a CHECK constraint), plus its
rows in the movement ledger in the same transaction, so the ledger always sums to the position.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection

from ordermesh.adapters.db.inventory import (
    StockChange,
    in_lock_order,
    issue,
    lock_position,
    positions,
    record,
    set_position,
)
from ordermesh.adapters.db.sql import utcnow

_WRITE_OFF = (
    update(positions)
    .where(positions.c.sku_id == bindparam("s"), positions.c.location_id == bindparam("l"),
           positions.c.on_hand - bindparam("q") >= positions.c.reserved)
    .values(on_hand=positions.c.on_hand - bindparam("q"), updated_at=bindparam("now"))
)
_RECEIVE_RESERVED = (
    update(positions)
    .where(positions.c.sku_id == bindparam("s"), positions.c.location_id == bindparam("l"))
    .values(reserved=positions.c.reserved + bindparam("q"), on_hand=positions.c.on_hand + bindparam("q"),
            updated_at=bindparam("now"))
)


def write_off(conn: Connection, change: StockChange, *, reason: str, source: str) -> None:
    """Take unreserved units off hand (damaged, missing): an ``adjust`` movement with the reason."""
    params = {"s": change.sku_id, "l": change.location_id, "q": change.quantity, "now": utcnow()}
    if conn.execute(_WRITE_OFF, params).rowcount != 1:
        # The caller released the units first; anything else is a bug, not bad input.
        raise RuntimeError(f"write-off of {change} would take reserved units")
    record(conn, [(change, "adjust", -change.quantity, 0)], source=source, reason=reason)


def count_to_held(conn: Connection, sku_id: int, location_id: int, *, reason: str, source: str) -> tuple[int, int]:
    """Count the SKU at the location down to the units orders still hold there (nothing else is on the
    shelf); a ``count`` movement. Returns (on hand before, after)."""
    position = lock_position(conn, sku_id, location_id)
    before, after = position["on_hand"], position["reserved"]
    if after < before:
        set_position(conn, sku_id, location_id, on_hand=after)
        record(conn, [(StockChange(sku_id, location_id, before - after), "count", after - before, 0)],
               source=source, reason=reason)
    return before, after


def send(conn: Connection, changes: Iterable[StockChange], *, source: str, reason: str) -> None:
    """Reserved units leave the location on a transfer: a ``transfer`` movement out."""
    issue(conn, changes, source=source, reason=reason, kind="transfer")


def receive_reserved(conn: Connection, changes: Iterable[StockChange], *, source: str, reason: str) -> None:
    """Units arrive by transfer for an order: on hand and at once reserved for it (``transfer`` in, then
    ``reserve``), so no other order can take them on the way to the pickup shelf."""
    now = utcnow()
    rows = []
    for c in in_lock_order(c for c in changes if c.quantity):  # the reservations' lock order: no deadlocks
        lock_position(conn, c.sku_id, c.location_id)  # creates the position at zero if the store never had it
        conn.execute(_RECEIVE_RESERVED, {"s": c.sku_id, "l": c.location_id, "q": c.quantity, "now": now})
        rows += [(c, "transfer", c.quantity, 0), (c, "reserve", 0, c.quantity)]
    record(conn, rows, source=source, reason=reason)
