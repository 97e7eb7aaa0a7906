"""Payments (authorizations, captures, voids, refunds) in the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import Payment, table_of

payments = table_of(Payment)

# An order's authorization is written with the order itself (see fast.py).
_INSERT = FastStatement(insert(payments))


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
