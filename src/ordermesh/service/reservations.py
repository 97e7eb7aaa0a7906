"""Cart holds (soft reservations): stock held for a time-to-live, then released by itself.

A hold ends exactly once: its status moves from ``active`` by a conditional UPDATE, and only the
transaction that wins that UPDATE releases or converts the stock. An expiry racing an order that
converts the same hold therefore cannot release stock the order now owns, nor twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue, outbox
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db import reservations as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.sql import as_utc, utcnow
from ordermesh.domain.errors import InvalidInput, NotFound, ReservationUnavailable
from ordermesh.domain.ids import new_id
from ordermesh.service import lookups, sourcing
from ordermesh.service.access import Principal, Role
from ordermesh.service.commands import HoldStock
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso

MAX_TTL_SECONDS = 7 * 24 * 3600


def hold(conn: Connection, who: Principal, cmd: HoldStock) -> dict[str, Any]:
    who.require(Role.CHANNEL, action="hold stock")
    if not 1 <= cmd.ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidInput(f"ttl_seconds must be between 1 and {MAX_TTL_SECONDS}", field="ttl_seconds")
    channel = lookups.channel(conn, who, cmd.channel)
    ids = lookups.sku_ids(conn, [x.sku for x in cmd.lines], [f"lines[{i}].sku" for i in range(len(cmd.lines))])
    demand: dict[int, int] = defaultdict(int)
    for x in cmd.lines:
        demand[ids[x.sku]] += x.quantity
    store = lookups.location(conn, who, cmd.location) if cmd.location else None
    reservation_id = new_id("res")
    decision = sourcing.reserve_best(conn, channel, demand, method=None, destination=None,
                                     sku_codes={v: k for k, v in ids.items()}, source=f"reservation:{reservation_id}",
                                     store=store)
    expires_at = utcnow() + timedelta(seconds=cmd.ttl_seconds)
    db.insert_hold(conn, reservation_id, channel["id"], expires_at,
                   [{"sku_id": a.sku_id, "location_id": a.location_id, "quantity": a.quantity}
                    for a in decision.allocations])
    view = _render(conn, reservation_id, cmd.channel, "active", expires_at)
    outbox.append(conn, [{"type": "reservation.created", "channel_id": channel["id"], "data": view}])
    return view


def _render(conn: Connection, reservation_id: str, channel: str, status: str, expires_at: Any) -> dict[str, Any]:
    rows = db.lines_of(conn, reservation_id)
    skus = catalogue.codes_by_id(conn, "sku", [r["sku_id"] for r in rows])
    locs = catalogue.codes_by_id(conn, "location", [r["location_id"] for r in rows])
    return {"id": reservation_id, "channel": channel, "status": status, "expires_at": iso(expires_at),
            "lines": [{"sku": skus[r["sku_id"]], "location": locs[r["location_id"]], "quantity": r["quantity"]}
                      for r in rows]}


def _visible(conn: Connection, who: Principal, reservation_id: str) -> RowMapping:
    row = db.get(conn, reservation_id)
    if row is not None and who.role is Role.CHANNEL:
        channel = catalogue.get(conn, "channel", who.scope or "")
        row = row if channel is not None and channel["id"] == row["channel_id"] else None
    if row is None or who.role is Role.LOCATION:
        raise NotFound(f"reservation {reservation_id!r} not found", field="reservation_id")
    return row


def get(uow: UnitOfWork, who: Principal, reservation_id: str) -> dict[str, Any]:
    with uow.reading() as conn:
        row = _visible(conn, who, reservation_id)
        channel = catalogue.codes_by_id(conn, "channel", [row["channel_id"]])[row["channel_id"]]
        return _render(conn, reservation_id, channel, row["status"], row["expires_at"])


def _give_back(conn: Connection, row: RowMapping, status: str) -> None:
    lines = db.lines_of(conn, row["id"])
    stock.release(conn, [StockChange(x["sku_id"], x["location_id"], x["quantity"]) for x in lines],
                  source=f"reservation:{row['id']}", reason=status)
    outbox.append(conn, [{"type": f"reservation.{status}", "channel_id": row["channel_id"],
                          "data": {"id": row["id"], "status": status}}])


def release(uow: UnitOfWork, who: Principal, reservation_id: str) -> None:
    who.require_write("release reservations")
    with uow.writing() as conn:
        row = _visible(conn, who, reservation_id)
        if not db.end(conn, reservation_id, "released"):
            raise ReservationUnavailable(f"reservation {reservation_id} is already {row['status']}",
                                         field="reservation_id")
        _give_back(conn, row, "released")


def peek(conn: Connection, channel_id: int, reservation_id: str) -> list[RowMapping]:
    """The lines of a hold an order wants to use, refusing one that is not active for this channel."""
    row = db.get(conn, reservation_id)
    if row is None or row["channel_id"] != channel_id:
        raise InvalidInput(f"reservation_id: no reservation {reservation_id!r} for this channel",
                           field="reservation_id")
    if row["status"] != "active" or as_utc(row["expires_at"]) <= utcnow():
        state = row["status"] if row["status"] != "active" else "expired"
        raise ReservationUnavailable(f"reservation {reservation_id} is {state} and cannot be used",
                                     field="reservation_id", reservation_status=state)
    return db.lines_of(conn, reservation_id)


def convert(conn: Connection, channel_id: int, reservation_id: str, order_id: str) -> None:
    """Hand an active, unexpired hold to an order (the stock stays reserved); exactly one caller wins."""
    if not db.end(conn, reservation_id, "converted", only_unexpired=True, order_id=order_id):
        row = db.get(conn, reservation_id)
        state = row["status"] if row is not None and row["status"] != "active" else "expired"
        raise ReservationUnavailable(f"reservation {reservation_id} is {state} and cannot be used",
                                     field="reservation_id", reservation_status=state)
    outbox.append(conn, [{"type": "reservation.converted", "channel_id": channel_id, "order_id": order_id,
                          "data": {"id": reservation_id, "order_id": order_id}}])


def sweep_expired(uow: UnitOfWork, batch: int = 200) -> int:
    """Release every hold past its expiry; safe to run in any number of processes at once."""
    expired = 0
    while True:
        with uow.reading() as conn:
            due = db.due_for_expiry(conn, batch)
        for reservation_id in due:
            with uow.writing() as conn:
                row = db.get(conn, reservation_id)
                if row is None or as_utc(row["expires_at"]) > utcnow():
                    continue
                if db.end(conn, reservation_id, "expired"):  # loses to a conversion that came first
                    _give_back(conn, row, "expired")
                    expired += 1
        if len(due) < batch:
            return expired
