"""Payments (authorizations, captures, voids, refunds) in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import Order, Payment, table_of

payments = table_of(Payment)
orders = table_of(Order)

# An order's authorization is written with the order itself (see fast.py).
_INSERT = FastStatement(insert(payments), unread=True)


def insert_payments(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        _INSERT.run(conn, list(rows))


def of_order(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = select(payments).where(payments.c.order_id == order_id).order_by(payments.c.created_at, payments.c.id)
    return list(conn.execute(stmt).mappings())


def settle(conn: Connection, payment_id: str, *, status: str, provider_ref: str | None, error: str | None) -> bool:
    """Record the provider's answer to a pending payment; False if it was settled already."""
    stmt = (update(payments).where(payments.c.id == payment_id, payments.c.status == "pending")
            .values(status=status, provider_ref=provider_ref, error=error, updated_at=utcnow()))
    return conn.execute(stmt).rowcount == 1


def get(conn: Connection, payment_id: str) -> RowMapping | None:
    return conn.execute(select(payments).where(payments.c.id == payment_id)).mappings().first()


def id_of_key(conn: Connection, provider_key: str) -> str | None:
    """The payment asked of the provider under ``provider_key`` (unique), if any."""
    return conn.execute(select(payments.c.id).where(payments.c.provider_key == provider_key)).scalar()


def pending(conn: Connection, *, untouched_since: datetime, limit: int) -> list[str]:
    """Pending payments nobody has tried to settle since ``untouched_since``, oldest first."""
    stmt = (select(payments.c.id).where(payments.c.status == "pending", payments.c.updated_at <= untouched_since)
            .order_by(payments.c.id).limit(limit))
    return list(conn.execute(stmt).scalars())


def note_attempt(conn: Connection, payment_id: str, error: str) -> None:
    """A settlement attempt got no answer: the payment stays pending; say why and when."""
    conn.execute(update(payments).where(payments.c.id == payment_id, payments.c.status == "pending")
                 .values(error=error[:500], updated_at=utcnow()))


def set_order_payment(conn: Connection, order_id: str, payment: dict[str, Any]) -> None:
    """How the order pays ({provider, token}): a new token given when its authorization is retried."""
    conn.execute(update(orders).where(orders.c.id == order_id).values(payment=payment, updated_at=utcnow()))
