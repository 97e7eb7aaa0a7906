"""Cart holds in the database. A hold's status only ever leaves ``active`` through ``end``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import Reservation, ReservationLine, table_of

reservations = table_of(Reservation)
reservation_lines = table_of(ReservationLine)


def insert_hold(conn: Connection, reservation_id: str, channel_id: int, expires_at: datetime,
                lines: Sequence[dict[str, Any]]) -> None:
    conn.execute(insert(reservations).values(id=reservation_id, channel_id=channel_id, status="active",
                                             expires_at=expires_at, created_at=utcnow()))
    conn.execute(insert(reservation_lines), [{"reservation_id": reservation_id, **x} for x in lines])


def get(conn: Connection, reservation_id: str) -> RowMapping | None:
    return conn.execute(select(reservations).where(reservations.c.id == reservation_id)).mappings().first()


def lines_of(conn: Connection, reservation_id: str) -> list[RowMapping]:
    stmt = (select(reservation_lines).where(reservation_lines.c.reservation_id == reservation_id)
            .order_by(reservation_lines.c.sku_id, reservation_lines.c.location_id))
    return list(conn.execute(stmt).mappings())


def end(conn: Connection, reservation_id: str, status: str, *, only_unexpired: bool = False,
        order_id: str | None = None) -> bool:
    """Move an active hold to ``status`` by a conditional UPDATE; True for the one caller that wins."""
    now = utcnow()
    stmt = update(reservations).where(reservations.c.id == reservation_id, reservations.c.status == "active")
    if only_unexpired:
        stmt = stmt.where(reservations.c.expires_at > now)
    return conn.execute(stmt.values(status=status, closed_at=now, order_id=order_id)).rowcount == 1


def due_for_expiry(conn: Connection, limit: int) -> list[str]:
    stmt = (select(reservations.c.id).where(reservations.c.status == "active", reservations.c.expires_at <= utcnow())
            .limit(limit))
    return list(conn.execute(stmt).scalars())
