"""Orders, their lines, holds, fulfillment orders and sourcing decisions in the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import (
    Channel,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Location,
    Order,
    OrderChange,
    OrderHold,
    OrderLine,
    Sku,
    SourcingDecision,
    table_of,
)

orders = table_of(Order)
lines = table_of(OrderLine)
holds = table_of(OrderHold)
fos = table_of(FulfillmentOrder)
fo_lines = table_of(FulfillmentOrderLine)
decisions = table_of(SourcingDecision)
changes = table_of(OrderChange)
skus = table_of(Sku)
locations = table_of(Location)
channels = table_of(Channel)


# The inserts of every order run on the driver directly (see fast.py).
_INSERT = {name: FastStatement(insert(table), unread=True) for name, table in
           (("orders", orders), ("lines", lines), ("fos", fos), ("fo_lines", fo_lines), ("decisions", decisions))}

# The unique constraint that makes (channel, external id) one order, whatever the concurrency.
EXTERNAL_ID_CONSTRAINT = "uq_orders_channel_external_id"


def insert_order(conn: Connection, order: dict[str, Any], order_lines: Sequence[dict[str, Any]]) -> None:
    """Insert the order and its lines.

    Two requests with one external_id can both pass an earlier lookup; the unique constraint decides
    (PostgreSQL makes the second wait for the first, then refuses it): the caller's batch raises
    ``ConstraintViolated(EXTERNAL_ID_CONSTRAINT)`` and the transaction rolls back.
    """
    _INSERT["orders"].run(conn, order)
    _INSERT["lines"].run(conn, order_lines)


def insert_lines(conn: Connection, order_lines: Sequence[dict[str, Any]]) -> None:
    """Lines added to a placed order."""
    _INSERT["lines"].run(conn, order_lines)


def update_order(conn: Connection, order_id: str, **values: Any) -> None:
    conn.execute(update(orders).where(orders.c.id == order_id).values(**values, updated_at=utcnow()))


def record_change(conn: Connection, order_id: str, kind: str, actor: str, data: dict[str, Any]) -> int:
    """Number and record a change to the order. The caller holds the order's lock, so numbers never clash
    (and the unique constraint would refuse a clash if it ever came to that)."""
    number = int(conn.execute(select(func.coalesce(func.max(changes.c.number), 0))
                              .where(changes.c.order_id == order_id)).scalar_one()) + 1
    conn.execute(insert(changes).values(order_id=order_id, number=number, kind=kind, actor=actor, data=data,
                                        created_at=utcnow()))
    return number


def changes_of(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = select(changes).where(changes.c.order_id == order_id).order_by(changes.c.number)
    return list(conn.execute(stmt).mappings())


def insert_fulfillment(conn: Connection, new_fos: Sequence[dict[str, Any]],
                       new_lines: Sequence[dict[str, Any]]) -> None:
    if new_fos:
        _INSERT["fos"].run(conn, new_fos)
    if new_lines:
        _INSERT["fo_lines"].run(conn, new_lines)


def insert_decision(conn: Connection, order_id: str, trigger: str, explanation: dict[str, Any]) -> None:
    _INSERT["decisions"].run(conn, {"order_id": order_id, "trigger": trigger,
                                    "strategy": explanation["strategy"], "profile": explanation.get("profile"),
                                    "profile_version": explanation.get("profile_version"),
                                    "explanation": explanation, "created_at": utcnow()})


def lock_order(conn: Connection, order_id: str) -> RowMapping | None:
    """The order row, locked: every change to one order is serialised on it."""
    stmt = (select(orders, channels.c.code.label("channel"))
            .join(channels, channels.c.id == orders.c.channel_id).where(orders.c.id == order_id))
    return conn.execute(stmt.with_for_update(of=orders)).mappings().first()


def get_order(conn: Connection, order_id: str) -> RowMapping | None:
    stmt = (select(orders, channels.c.code.label("channel"))
            .join(channels, channels.c.id == orders.c.channel_id).where(orders.c.id == order_id))
    return conn.execute(stmt).mappings().first()


def find_by_external_id(conn: Connection, channel_id: int, external_id: str) -> str | None:
    stmt = select(orders.c.id).where(orders.c.channel_id == channel_id, orders.c.external_id == external_id)
    return conn.execute(stmt).scalar()


def lines_of(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = (select(lines, skus.c.code.label("sku")).join(skus, skus.c.id == lines.c.sku_id)
            .where(lines.c.order_id == order_id).order_by(lines.c.line_no))
    return list(conn.execute(stmt).mappings())


def fulfillment_orders_of(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = (select(fos, locations.c.code.label("location")).join(locations, locations.c.id == fos.c.location_id)
            .where(fos.c.order_id == order_id).order_by(fos.c.created_at, fos.c.id))
    return list(conn.execute(stmt).mappings())


def fulfillment_lines_of(conn: Connection, fo_ids: Sequence[str]) -> list[RowMapping]:
    stmt = (select(fo_lines, skus.c.code.label("sku")).join(skus, skus.c.id == fo_lines.c.sku_id)
            .where(fo_lines.c.fulfillment_order_id.in_(fo_ids)).order_by(fo_lines.c.order_line_id))
    return list(conn.execute(stmt).mappings())


def holds_of(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = select(holds).where(holds.c.order_id == order_id).order_by(holds.c.created_at, holds.c.id)
    return list(conn.execute(stmt).mappings())


def has_active_hold(conn: Connection, order_id: str) -> bool:
    stmt = select(exists().where(holds.c.order_id == order_id, holds.c.released_at.is_(None)))
    return bool(conn.execute(stmt).scalar())


def decisions_of(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = select(decisions).where(decisions.c.order_id == order_id).order_by(decisions.c.id)
    return list(conn.execute(stmt).mappings())


def get_fulfillment_order(conn: Connection, fo_id: str) -> RowMapping | None:
    stmt = (select(fos, locations.c.code.label("location")).join(locations, locations.c.id == fos.c.location_id)
            .where(fos.c.id == fo_id))
    return conn.execute(stmt).mappings().first()


def update_fulfillment_order(conn: Connection, fo_id: str, **values: Any) -> None:
    conn.execute(update(fos).where(fos.c.id == fo_id).values(**values, updated_at=utcnow()))


def set_fulfillment_line(conn: Connection, fo_id: str, order_line_id: str, quantity: int) -> None:
    conn.execute(update(fo_lines).where(fo_lines.c.fulfillment_order_id == fo_id,
                                        fo_lines.c.order_line_id == order_line_id).values(quantity=quantity))


def add_to_line(conn: Connection, line_id: str, *, cancelled: int = 0, fulfilled: int = 0) -> None:
    conn.execute(update(lines).where(lines.c.id == line_id)
                 .values(cancelled=lines.c.cancelled + cancelled, fulfilled=lines.c.fulfilled + fulfilled))


def set_order_status(conn: Connection, order_id: str, status: str) -> None:
    conn.execute(update(orders).where(orders.c.id == order_id).values(status=status, updated_at=utcnow()))


def insert_hold(conn: Connection, hold: dict[str, Any]) -> None:
    conn.execute(insert(holds).values(**hold))


def release_hold(conn: Connection, hold_id: str, order_id: str, actor: str) -> bool:
    stmt = (update(holds).where(holds.c.id == hold_id, holds.c.order_id == order_id, holds.c.released_at.is_(None))
            .values(released_at=utcnow(), released_by=actor))
    return conn.execute(stmt).rowcount == 1


def page_orders(conn: Connection, *, channel_id: int | None, status: str | None, location_id: int | None,
                after: str | None, limit: int) -> list[RowMapping]:
    stmt = (select(orders, channels.c.code.label("channel")).join(channels, channels.c.id == orders.c.channel_id)
            .order_by(orders.c.id.desc()).limit(limit))
    if channel_id is not None:
        stmt = stmt.where(orders.c.channel_id == channel_id)
    if status is not None:
        stmt = stmt.where(orders.c.status == status)
    if location_id is not None:
        stmt = stmt.where(exists().where(fos.c.order_id == orders.c.id, fos.c.location_id == location_id))
    if after is not None:
        stmt = stmt.where(orders.c.id < after)
    return list(conn.execute(stmt).mappings())


def page_fulfillment_orders(conn: Connection, *, location_id: int | None, status: str | None,
                            channel_id: int | None, after: str | None, limit: int) -> list[RowMapping]:
    stmt = (select(fos, locations.c.code.label("location")).join(locations, locations.c.id == fos.c.location_id)
            .order_by(fos.c.id).limit(limit))
    if location_id is not None:
        stmt = stmt.where(fos.c.location_id == location_id)
    if status is not None:
        stmt = stmt.where(fos.c.status == status)
    if channel_id is not None:
        stmt = stmt.where(fos.c.order_id.in_(select(orders.c.id).where(orders.c.channel_id == channel_id)))
    if after is not None:
        stmt = stmt.where(fos.c.id > after)
    return list(conn.execute(stmt).mappings())


def order_has_location(conn: Connection, order_id: str, location_id: int) -> bool:
    stmt = select(exists().where(fos.c.order_id == order_id, fos.c.location_id == location_id))
    return bool(conn.execute(stmt).scalar())
