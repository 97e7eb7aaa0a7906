"""Customer profiles and the identifiers (``customer_keys``) that lead to them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, delete, func, insert, literal_column, select, union_all, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import Channel, Customer, CustomerKey, Order, Payment, Return, table_of

customers = table_of(Customer)
keys = table_of(CustomerKey)
orders = table_of(Order)
channels = table_of(Channel)
returns = table_of(Return)
payments = table_of(Payment)

# The primary key of customer_keys: two first orders of one person racing each other both try to claim
# the person's e-mail address; the second one's transaction is refused with this name and is re-planned.
KEY_CONSTRAINT = "pk_customer_keys"


class KeyHit(NamedTuple):
    """An identifier found, its profile, and where that profile was merged (two steps deep)."""

    kind: str
    customer_id: str
    merged_into: str | None
    merged_further: str | None  # where ``merged_into`` was itself merged (a merge chain; rare)


# --- the order path: one read while planning, plain writes in the commit batch --------------------------

_target = customers.alias("target")


def _hits(kind: str) -> Select[Any]:
    return (select(keys.c.kind, keys.c.customer_id, customers.c.merged_into, _target.c.merged_into)
            .select_from(keys.join(customers, customers.c.id == keys.c.customer_id)
                         .outerjoin(_target, _target.c.id == customers.c.merged_into))
            .where(keys.c.kind == literal_column(f"'{kind}'"), keys.c.value == bindparam(kind)))


# Two primary-key lookups, not one lookup with OR: PostgreSQL keeps the plan of a prepared statement, and
# a plan made while customer_keys was small (or never analysed) scans the whole table for the OR form.
_LOOKUP = FastStatement(union_all(_hits("email"), _hits("phone")))
_INSERT_PROFILE = FastStatement(insert(customers), unread=True)
_INSERT_KEYS = FastStatement(insert(keys), unread=True)
# A known customer ordering again: still there (not erased, not merged away since we looked)? The row
# count says; the name and phone fill in what the profile did not know yet.
_TOUCH = FastStatement(
    update(customers)
    .where(customers.c.id == bindparam("cid"), customers.c.erased_at.is_(None), customers.c.merged_into.is_(None))
    .values(updated_at=bindparam("now"), name=func.coalesce(customers.c.name, bindparam("new_name")),
            phone=func.coalesce(customers.c.phone, bindparam("new_phone"))))


def lookup_later(conn: Connection, email: str | None, phone: str | None) -> Callable[[], list[KeyHit]]:
    """The profiles these identifiers lead to: sent at once, read when the returned function is called."""
    cursor = _LOOKUP.run(conn, {"email": email, "phone": phone})

    def read() -> list[KeyHit]:
        return [KeyHit(*row) for row in cursor.fetchall()]

    return read


def insert_profile(conn: Connection, profile: dict[str, Any]) -> None:
    _INSERT_PROFILE.run(conn, profile)


def insert_keys(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        _INSERT_KEYS.run(conn, rows)


def touch(conn: Connection, customer_id: str, *, name: str | None, phone: str | None) -> Any:
    """Returns the driver's cursor: ``rowcount`` is 0 when the profile was erased or merged meanwhile."""
    return _TOUCH.run(conn, {"cid": customer_id, "now": utcnow(), "new_name": name, "new_phone": phone})


# --- profiles ---------------------------------------------------------------------------------------------

def get_many(conn: Connection, ids: Sequence[str], *, lock: bool = False) -> dict[str, RowMapping]:
    """Profiles by id; ``lock`` takes their rows for update, in id order (a fixed order: no deadlocks)."""
    stmt = select(customers).where(customers.c.id.in_(list(ids))).order_by(customers.c.id)
    if lock:
        stmt = stmt.with_for_update()
    return {r["id"]: r for r in conn.execute(stmt).mappings()}


def merged_into_any(conn: Connection, ids: Sequence[str]) -> list[str]:
    """The profiles merged directly into any of ``ids``."""
    stmt = select(customers.c.id).where(customers.c.merged_into.in_(list(ids))).order_by(customers.c.id)
    return list(conn.execute(stmt).scalars())


def surviving(conn: Connection, customer_id: str) -> str | None:
    """The profile a chain of merges from ``customer_id`` ends in (None: no such profile)."""
    seen: set[str] = set()
    current: str | None = customer_id
    while current is not None and current not in seen:
        seen.add(current)
        row = conn.execute(select(customers.c.id, customers.c.merged_into).where(customers.c.id == current)).first()
        if row is None:
            return None
        if row.merged_into is None:
            return current
        current = row.merged_into
    return current


def subtree(conn: Connection, top: str) -> list[str]:
    """``top`` and every profile merged into it, directly or through others."""
    ids, frontier = [top], [top]
    while frontier:
        frontier = [c for c in merged_into_any(conn, frontier) if c not in ids]
        ids += frontier
    return ids


def keys_of(conn: Connection, ids: Sequence[str]) -> list[RowMapping]:
    stmt = select(keys).where(keys.c.customer_id.in_(list(ids))).order_by(keys.c.kind, keys.c.value)
    return list(conn.execute(stmt).mappings())


def owner(conn: Connection, kind: str, value: str) -> str | None:
    return conn.execute(select(keys.c.customer_id).where(keys.c.kind == kind, keys.c.value == value)).scalar()


def page(conn: Connection, *, before: str | None, limit: int) -> list[RowMapping]:
    """Newest first."""
    stmt = select(customers).order_by(customers.c.id.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(customers.c.id < before)
    return list(conn.execute(stmt).mappings())


def set_merged_into(conn: Connection, customer_id: str, target: str | None) -> None:
    conn.execute(update(customers).where(customers.c.id == customer_id)
                 .values(merged_into=target, updated_at=utcnow()))


def mark_erased(conn: Connection, ids: Sequence[str], now: datetime) -> None:
    """The profiles keep their ids (orders and merges point at them) and lose everything that names anyone."""
    conn.execute(update(customers).where(customers.c.id.in_(list(ids)))
                 .values(email=None, phone=None, name=None, erased_at=now, updated_at=now))
    conn.execute(delete(keys).where(keys.c.customer_id.in_(list(ids))))


# --- history ----------------------------------------------------------------------------------------------

def orders_of(conn: Connection, ids: Sequence[str], *, channel_id: int | None = None,
              limit: int | None = None) -> list[RowMapping]:
    """The profiles' orders, newest first, with their channel's code."""
    stmt = (select(orders.c.id, orders.c.external_id, orders.c.status, orders.c.currency, orders.c.subtotal_minor,
                   orders.c.discount_minor, orders.c.shipping_minor, orders.c.tax_minor, orders.c.total_minor,
                   orders.c.customer_id, orders.c.created_at, channels.c.code.label("channel"))
            .join(channels, channels.c.id == orders.c.channel_id)
            .where(orders.c.customer_id.in_(list(ids))).order_by(orders.c.id.desc()))
    if channel_id is not None:
        stmt = stmt.where(orders.c.channel_id == channel_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(conn.execute(stmt).mappings())


def returns_of(conn: Connection, order_ids: Sequence[str]) -> list[RowMapping]:
    stmt = (select(returns.c.id, returns.c.order_id, returns.c.status, returns.c.refunded_minor,
                   returns.c.restocking_fee_minor, returns.c.created_at, orders.c.currency,
                   channels.c.code.label("channel"))
            .join(orders, orders.c.id == returns.c.order_id).join(channels, channels.c.id == returns.c.channel_id)
            .where(returns.c.order_id.in_(list(order_ids))).order_by(returns.c.id.desc()))
    return list(conn.execute(stmt).mappings())


def refunds_of(conn: Connection, order_ids: Sequence[str]) -> list[RowMapping]:
    stmt = (select(payments.c.id, payments.c.order_id, payments.c.return_id, payments.c.status,
                   payments.c.amount_minor, payments.c.currency, payments.c.created_at)
            .where(payments.c.order_id.in_(list(order_ids)), payments.c.kind == "refund")
            .order_by(payments.c.created_at.desc(), payments.c.id))
    return list(conn.execute(stmt).mappings())
