"""The notification log (``messages``), the notifier's place in the event feed and its lease (``cursors``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.sql import is_postgres, utcnow
from ordermesh.adapters.db.tables import Cursor, Message, Order, table_of

messages = table_of(Message)
cursors = table_of(Cursor)
orders = table_of(Order)


def _insert(conn: Connection) -> Any:
    return (postgresql.insert if is_postgres(conn) else sqlite.insert)


def _inserted(conn: Connection, stmt: Any) -> bool:
    """Insert the row unless its key exists; True when it was inserted."""
    returning = stmt.on_conflict_do_nothing(index_elements=["name"]).returning(cursors.c.name)
    return conn.execute(returning).first() is not None


# --- messages ---------------------------------------------------------------------------------------------

def log_new(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert messages, skipping any (event, template) already logged; returns how many were new.

    The unique (event_id, template) makes a re-run over the same events a no-op, whatever crashed where.
    """
    if not rows:
        return 0
    now = utcnow()
    # One multi-row statement for the page. RETURNING, not rowcount: psycopg reports no row count for
    # INSERT … ON CONFLICT DO NOTHING here.
    stmt = (_insert(conn)(messages).values([{**row, "created_at": now} for row in rows])
            .on_conflict_do_nothing(index_elements=["event_id", "template"]).returning(messages.c.id))
    return len(conn.execute(stmt).all())


def current_emails(conn: Connection, order_ids: Sequence[str]) -> dict[str, str | None]:
    """Each order's customer e-mail as it is now, the rows share-locked until the caller commits: an erasure
    (which updates them) either finished before, and is seen, or waits, and then scrubs what we log."""
    stmt = select(orders.c.id, orders.c.customer).where(orders.c.id.in_(list(order_ids))).order_by(orders.c.id)
    if is_postgres(conn):
        stmt = stmt.with_for_update(read=True)
    return {order_id: (customer or {}).get("email") for order_id, customer in conn.execute(stmt)}


def pending(conn: Connection, limit: int) -> list[RowMapping]:
    stmt = select(messages).where(messages.c.status == "pending").order_by(messages.c.id).limit(limit)
    return list(conn.execute(stmt).mappings())


def has_pending(conn: Connection) -> bool:
    return bool(conn.execute(select(exists().where(messages.c.status == "pending"))).scalar())


def settle(conn: Connection, message_id: int, *, status: str, sender: str, error: str | None) -> bool:
    """Record what became of a pending message; False when it was no longer pending."""
    stmt = (update(messages).where(messages.c.id == message_id, messages.c.status == "pending")
            .values(status=status, sender=sender, error=error[:500] if error else None))
    return conn.execute(stmt).rowcount == 1


def note_error(conn: Connection, message_id: int, error: str) -> None:
    """Why a message that stays pending could not go out this time."""
    conn.execute(update(messages).where(messages.c.id == message_id).values(error=error[:500]))


def retry_failed(conn: Connection) -> int:
    """Put every failed message back in the queue."""
    return conn.execute(update(messages).where(messages.c.status == "failed").values(status="pending")).rowcount


def page(conn: Connection, *, order_id: str | None, customer_id: str | None, channel_id: int | None,
         before: int | None, limit: int) -> list[RowMapping]:
    """Newest first. ``channel_id`` keeps only the messages about that channel's orders."""
    stmt = select(messages).order_by(messages.c.id.desc()).limit(limit)
    if order_id is not None:
        stmt = stmt.where(messages.c.order_id == order_id)
    if customer_id is not None:
        stmt = stmt.where(messages.c.customer_id == customer_id)
    if channel_id is not None:
        stmt = stmt.where(messages.c.order_id.in_(select(orders.c.id).where(orders.c.channel_id == channel_id)))
    if before is not None:
        stmt = stmt.where(messages.c.id < before)
    return list(conn.execute(stmt).mappings())


# --- the feed cursor ----------------------------------------------------------------------------------------

def position(conn: Connection, name: str) -> str | None:
    return conn.execute(select(cursors.c.position).where(cursors.c.name == name)).scalar()


def advance(conn: Connection, name: str, *, old: str | None, new: str) -> bool:
    """Move the cursor from ``old`` to ``new``; False when someone else moved it first (the caller rolls back)."""
    if old is None:
        stmt = _insert(conn)(cursors).values(name=name, position=new, updated_at=utcnow())
        return _inserted(conn, stmt)
    stmt = (update(cursors).where(cursors.c.name == name, cursors.c.position == old)
            .values(position=new, updated_at=utcnow()))
    return conn.execute(stmt).rowcount == 1


# --- the lease: one sender at a time across processes ---------------------------------------------------------

def take_lease(conn: Connection, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while another holder's lease is fresh.

    One conditional UPDATE (or the first INSERT) decides, so two processes can never both hold it: on
    PostgreSQL the second UPDATE waits for the first and then sees the lease taken.
    """
    now = now or utcnow()
    stmt = (update(cursors).where(cursors.c.name == name,
                                  or_(cursors.c.position == holder, cursors.c.updated_at < now - ttl))
            .values(position=holder, updated_at=now))
    if conn.execute(stmt).rowcount == 1:
        return True
    return _inserted(conn, _insert(conn)(cursors).values(name=name, position=holder, updated_at=now))


def release_lease(conn: Connection, name: str, holder: str) -> None:
    conn.execute(delete(cursors).where(cursors.c.name == name, cursors.c.position == holder))
