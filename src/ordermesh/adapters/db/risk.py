"""What the fraud rules read from the database: a customer's recent orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ordermesh.adapters.db.tables import Order, table_of

orders = table_of(Order)


def orders_since(conn: Connection, since: datetime, *, customer_id: str | None, email: str) -> int:
    """The customer's orders placed since ``since``: by profile when the order has one, else by email.

    Order ids begin with their creation time in milliseconds (domain/ids.py), so "placed since" is a
    range of the primary key; with a profile the customer index narrows it to that person's orders.
    """
    since_id = f"ord_{int(since.timestamp() * 1000):011x}"
    who = (orders.c.customer_id == customer_id if customer_id is not None
           else orders.c.customer["email"].as_string() == email)
    stmt = select(func.count()).select_from(orders).where(orders.c.id >= since_id, who)
    return int(conn.execute(stmt).scalar_one())
