"""Cart holds (soft reservations): stock held for a time-to-live, then released by itself.

A hold ends exactly once: its status moves from ``active`` by a conditional UPDATE, and only the
transaction that wins that UPDATE releases or converts the stock. An expiry racing an order that
converts the same hold therefore cannot release stock the order now owns, nor twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue, outbox
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.sql import as_utc, utcnow
from ordermesh.adapters.db.tables import Reservation, ReservationLine, table_of
from ordermesh.domain.errors import InvalidInput, NotFound, ReservationUnavailable
from ordermesh.domain.ids import new_id
from ordermesh.service import lookups, sourcing
from ordermesh.service.access import Principal, Role
from ordermesh.service.commands import HoldStock
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso

reservations = table_of(Reservation)
reservation_lines = table_of(ReservationLine)
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
    now = utcnow()
    expires_at = now + timedelta(seconds=cmd.ttl_seconds)
    conn.execute(insert(reservations).values(id=reservation_id, channel_id=channel["id"], status="active",
                                             expires_at=expires_at, created_at=now))
    conn.execute(insert(reservation_lines), [{"reservation_id": reservation_id, "sku_id": a.sku_id,
                                              "location_id": a.location_id, "quantity": a.quantity}
                                             for a in decision.allocations])
    view = _render(conn, reservation_id, cmd.channel, "active", expires_at)
    outbox.append(conn, [{"type": "reservation.created", "channel_id": channel["id"], "data": view}])
    return view


def _render(conn: Connection, reservation_id: str, channel: str, status: str, expires_at: Any) -> dict[str, Any]:
    rows = _lines(conn, reservation_id)
    skus = catalogue.codes_by_id(conn, "sku", [r["sku_id"] for r in rows])
    locs = catalogue.codes_by_id(conn, "location", [r["location_id"] for r in rows])
    return {"id": reservation_id, "channel": channel, "status": status, "expires_at": iso(expires_at),
            "lines": [{"sku": skus[r["sku_id"]], "location": locs[r["location_id"]], "quantity": r["quantity"]}
                      for r in rows]}


def _lines(conn: Connection, reservation_id: str) -> list[RowMapping]:
    stmt = select(reservation_lines).where(reservation_lines.c.reservation_id == reservation_id)
    return list(conn.execute(stmt.order_by(reservation_lines.c.sku_id, reservation_lines.c.location_id)).mappings())


def _visible(conn: Connection, who: Principal, reservation_id: str) -> RowMapping:
    stmt = select(reservations).where(reservations.c.id == reservation_id)
    row = conn.execute(stmt).mappings().first()
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


def _end(conn: Connection, reservation_id: str, status: str, *, only_unexpired: bool = False,
         order_id: str | None = None) -> bool:
    """Move an active hold to ``status``; True for the one caller that wins."""
    now = utcnow()
    stmt = update(reservations).where(reservations.c.id == reservation_id, reservations.c.status == "active")
    if only_unexpired:
        stmt = stmt.where(reservations.c.expires_at > now)
    return conn.execute(stmt.values(status=status, closed_at=now, order_id=order_id)).rowcount == 1


def _give_back(conn: Connection, row: RowMapping, status: str) -> None:
    lines = _lines(conn, row["id"])
    stock.release(conn, [StockChange(x["sku_id"], x["location_id"], x["quantity"]) for x in lines],
                  source=f"reservation:{row['id']}", reason=status)
    outbox.append(conn, [{"type": f"reservation.{status}", "channel_id": row["channel_id"],
                          "data": {"id": row["id"], "status": status}}])


def release(uow: UnitOfWork, who: Principal, reservation_id: str) -> None:
    who.require_write("release reservations")
    with uow.writing() as conn:
        row = _visible(conn, who, reservation_id)
        if not _end(conn, reservation_id, "released"):
            raise ReservationUnavailable(f"reservation {reservation_id} is already {row['status']}",
                                         field="reservation_id")
        _give_back(conn, row, "released")


def peek(conn: Connection, channel_id: int, reservation_id: str) -> list[RowMapping]:
    """The lines of a hold an order wants to use, refusing one that is not active for this channel."""
    row = conn.execute(select(reservations).where(reservations.c.id == reservation_id)).mappings().first()
    if row is None or row["channel_id"] != channel_id:
        raise InvalidInput(f"reservation_id: no reservation {reservation_id!r} for this channel",
                           field="reservation_id")
    if row["status"] != "active" or as_utc(row["expires_at"]) <= utcnow():
        state = row["status"] if row["status"] != "active" else "expired"
        raise ReservationUnavailable(f"reservation {reservation_id} is {state} and cannot be used",
                                     field="reservation_id", reservation_status=state)
    return _lines(conn, reservation_id)


def convert(conn: Connection, channel_id: int, reservation_id: str, order_id: str) -> None:
    """Hand an active, unexpired hold to an order (the stock stays reserved); exactly one caller wins."""
    if not _end(conn, reservation_id, "converted", only_unexpired=True, order_id=order_id):
        row = conn.execute(select(reservations.c.status).where(reservations.c.id == reservation_id)).first()
        state = row[0] if row is not None and row[0] != "active" else "expired"
        raise ReservationUnavailable(f"reservation {reservation_id} is {state} and cannot be used",
                                     field="reservation_id", reservation_status=state)
    outbox.append(conn, [{"type": "reservation.converted", "channel_id": channel_id, "order_id": order_id,
                          "data": {"id": reservation_id, "order_id": order_id}}])


def sweep_expired(uow: UnitOfWork, batch: int = 200) -> int:
    """Release every hold past its expiry; safe to run in any number of processes at once."""
    expired = 0
    while True:
        with uow.reading() as conn:
            stmt = (select(reservations.c.id).where(reservations.c.status == "active",
                                                    reservations.c.expires_at <= utcnow()).limit(batch))
            due = list(conn.execute(stmt).scalars())
        for reservation_id in due:
            with uow.writing() as conn:
                row = conn.execute(select(reservations).where(reservations.c.id == reservation_id)).mappings().one()
                if as_utc(row["expires_at"]) <= utcnow() and _end(conn, reservation_id, "expired"):
                    _give_back(conn, row, "expired")
                    expired += 1
        if len(due) < batch:
            return expired
