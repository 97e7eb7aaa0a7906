"""The transactional outbox: events are rows written in the same transaction as the change.

Feed order on PostgreSQL: ids come from a sequence, and a transaction that took id 5 may commit after
one that took id 6 — a consumer paging by id alone would skip 5 forever. So every event records the id
of the transaction that wrote it, and the feed only serves events whose transaction is older than every
transaction still running (``pg_snapshot_xmin``), ordered by (transaction, id). Anything committed later
has a larger transaction id, so a cursor never passes an event that is yet to appear. SQLite writers are
serialised (BEGIN IMMEDIATE), so there ids already follow commit order and ``tx_id`` is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, literal, literal_column, select, tuple_
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import is_postgres, utcnow
from ordermesh.adapters.db.tables import Event, table_of

events = table_of(Event)

_PG_TX_ID: ColumnElement[int] = literal_column("pg_current_xact_id()::text::bigint")
_PG_SAFE_HORIZON: ColumnElement[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


# Built once: a statement whose shape never changes is compiled once and then served from the cache.
# An order's events go out as one multi-row INSERT, each row with its transaction's id.
_INSERT_PG = FastStatement(insert(events), unread=True, fixed={"tx_id": _PG_TX_ID})
_INSERT_SQLITE = FastStatement(insert(events), fixed={"tx_id": literal_column("0")})


def append(conn: Connection, items: Sequence[dict[str, Any]]) -> None:
    """Each item: type, data, and optionally order_id, channel_id, location_id."""
    if not items:
        return
    now = utcnow()
    rows = [{"type": e["type"], "data": e["data"], "order_id": e.get("order_id"),
             "channel_id": e.get("channel_id"), "location_id": e.get("location_id"), "occurred_at": now}
            for e in items]
    (_INSERT_PG if is_postgres(conn) else _INSERT_SQLITE).run(conn, rows)


def page(conn: Connection, *, after: tuple[int, int], limit: int, channel_id: int | None = None,
         location_id: int | None = None, types: Sequence[str] | None = None) -> list[RowMapping]:
    stmt = (select(events).where(tuple_(events.c.tx_id, events.c.id) > tuple_(literal(after[0]), literal(after[1])))
            .order_by(events.c.tx_id, events.c.id).limit(limit))
    if is_postgres(conn):
        stmt = stmt.where(events.c.tx_id < _PG_SAFE_HORIZON)
    if channel_id is not None:
        stmt = stmt.where(events.c.channel_id == channel_id)
    if location_id is not None:
        stmt = stmt.where(events.c.location_id == location_id)
    if types:
        stmt = stmt.where(events.c.type.in_(types))
    return list(conn.execute(stmt).mappings())


def for_order(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = select(events).where(events.c.order_id == order_id).order_by(events.c.id)
    return list(conn.execute(stmt).mappings())
