"""Returns (RMA), their lines, and the facts about an order a return is checked against."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from ordermesh.adapters.db import inventory
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.sql import as_utc, utcnow
from ordermesh.adapters.db.tables import (
    Channel,
    CustomerKey,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Location,
    Order,
    OrderLine,
    Return,
    ReturnLine,
    Sku,
    table_of,
)

returns = table_of(Return)
return_lines = table_of(ReturnLine)
orders = table_of(Order)
order_lines = table_of(OrderLine)
channels = table_of(Channel)
locations = table_of(Location)
skus = table_of(Sku)
fos = table_of(FulfillmentOrder)
fo_lines = table_of(FulfillmentOrderLine)
customer_keys = table_of(CustomerKey)

# A fulfillment order in one of these put its units in the customer's hands (or a carrier's on the way).
HANDED_OVER = ("shipped", "delivered", "picked_up")

_RETURN = (select(returns, channels.c.code.label("channel"), locations.c.code.label("location"),
                  orders.c.currency, orders.c.external_id.label("order_external_id"))
           .join(channels, channels.c.id == returns.c.channel_id)
           .join(orders, orders.c.id == returns.c.order_id)
           .outerjoin(locations, locations.c.id == returns.c.location_id))


def insert_return(conn: Connection, row: dict[str, Any], lines: Sequence[dict[str, Any]]) -> None:
    conn.execute(insert(returns).values(**row))
    conn.execute(insert(return_lines), list(lines))


def get_return(conn: Connection, return_id: str) -> RowMapping | None:
    return conn.execute(_RETURN.where(returns.c.id == return_id)).mappings().first()


def update_return(conn: Connection, return_id: str, **values: Any) -> None:
    conn.execute(update(returns).where(returns.c.id == return_id).values(**values, updated_at=utcnow()))


def lines_of(conn: Connection, return_ids: Sequence[str]) -> list[RowMapping]:
    """Return lines with their order line's SKU and money (what a refund of its units is worth)."""
    stmt = (select(return_lines, skus.c.code.label("sku"), order_lines.c.sku_id, order_lines.c.line_no,
                   order_lines.c.quantity.label("ordered"), order_lines.c.unit_price_minor,
                   order_lines.c.discount_minor, order_lines.c.shipping_minor, order_lines.c.tax_minor)
            .join(order_lines, order_lines.c.id == return_lines.c.order_line_id)
            .join(skus, skus.c.id == order_lines.c.sku_id)
            .where(return_lines.c.return_id.in_(return_ids))
            .order_by(return_lines.c.return_id, order_lines.c.line_no))
    return list(conn.execute(stmt).mappings())


def order_lines_with_tags(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = (select(order_lines, skus.c.code.label("sku"), skus.c.tags.label("sku_tags"))
            .join(skus, skus.c.id == order_lines.c.sku_id)
            .where(order_lines.c.order_id == order_id).order_by(order_lines.c.line_no))
    return list(conn.execute(stmt).mappings())


def holdings(conn: Connection, order_line_ids: Sequence[str]) -> list[RowMapping]:
    """Every return's claim on these order lines: (order_line_id, return_id, status, quantity, received,
    refunded)."""
    stmt = (select(return_lines.c.order_line_id, return_lines.c.return_id, returns.c.status,
                   return_lines.c.quantity, return_lines.c.received, return_lines.c.refunded)
            .join(returns, returns.c.id == return_lines.c.return_id)
            .where(return_lines.c.order_line_id.in_(order_line_ids)))
    return list(conn.execute(stmt).mappings())


def handed_over_at(conn: Connection, order_id: str) -> dict[str, datetime]:
    """Per order line, when its last units reached the customer: the latest step of a fulfillment order
    that shipped, was delivered or picked up (a transfer to a store is not the customer's)."""
    stmt = (select(fo_lines.c.order_line_id, func.max(fos.c.updated_at))
            .join(fos, fos.c.id == fo_lines.c.fulfillment_order_id)
            .where(fos.c.order_id == order_id, fos.c.status.in_(HANDED_OVER), fos.c.method != "transfer",
                   fo_lines.c.quantity > 0)
            .group_by(fo_lines.c.order_line_id))
    return {line_id: as_utc(moment) for line_id, moment in conn.execute(stmt)}


def receive_line(conn: Connection, return_id: str, order_line_id: str, *, restocked: int, damaged: int,
                 returned_to_vendor: int) -> None:
    """Count received units with their dispositions on the return line and on the order line."""
    rl = return_lines.c
    received = restocked + damaged + returned_to_vendor
    conn.execute(update(return_lines).where(rl.return_id == return_id, rl.order_line_id == order_line_id)
                 .values(received=rl.received + received, restocked=rl.restocked + restocked,
                         damaged=rl.damaged + damaged, returned_to_vendor=rl.returned_to_vendor + returned_to_vendor))
    conn.execute(update(order_lines).where(order_lines.c.id == order_line_id)
                 .values(returned=order_lines.c.returned + received))


def mark_refunded(conn: Connection, return_id: str) -> None:
    """Every received unit of the return has had its money back."""
    conn.execute(update(return_lines).where(return_lines.c.return_id == return_id)
                 .values(refunded=return_lines.c.received))


def unmark_refunded(conn: Connection, return_id: str) -> None:
    """The refund did not go through after all: no unit of the return has had its money back."""
    conn.execute(update(return_lines).where(return_lines.c.return_id == return_id).values(refunded=0))


def restock(conn: Connection, change: StockChange, *, source: str, reason: str, key: str) -> int:
    """Put returned units on hand at a location (sellable at once), with their ledger row; returns the new
    on hand. ``key`` makes the ledger refuse the same units twice."""
    position = inventory.lock_position(conn, change.sku_id, change.location_id)
    on_hand = int(position["on_hand"]) + change.quantity
    inventory.set_position(conn, change.sku_id, change.location_id, on_hand=on_hand)
    inventory.record(conn, [(change, "return", change.quantity, 0)], source=source, reason=reason, keys=[key])
    return on_hand


def exchanges_of_order(conn: Connection, order_id: str) -> int:
    stmt = select(func.count()).where(returns.c.order_id == order_id, returns.c.exchange_order_id.is_not(None))
    return int(conn.execute(stmt).scalar_one())


def page_returns(conn: Connection, *, order_id: str | None, status: str | None, channel_id: int | None,
                 location_id: int | None, after: str | None, limit: int) -> list[RowMapping]:
    """Newest first. ``location_id``: returns received there, or not received anywhere yet."""
    stmt = _RETURN.order_by(returns.c.id.desc()).limit(limit)
    if order_id is not None:
        stmt = stmt.where(returns.c.order_id == order_id)
    if status is not None:
        stmt = stmt.where(returns.c.status == status)
    if channel_id is not None:
        stmt = stmt.where(returns.c.channel_id == channel_id)
    if location_id is not None:
        stmt = stmt.where(or_(returns.c.location_id == location_id, returns.c.location_id.is_(None)))
    if after is not None:
        stmt = stmt.where(returns.c.id < after)
    return list(conn.execute(stmt).mappings())


def returns_of_orders(conn: Connection, order_ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    stmt = (select(returns.c.id, returns.c.order_id, returns.c.status, returns.c.refunded_minor,
                   returns.c.exchange_order_id, returns.c.created_at)
            .where(returns.c.order_id.in_(order_ids)).order_by(returns.c.id))
    found: dict[str, list[RowMapping]] = defaultdict(list)
    for row in conn.execute(stmt).mappings():
        found[row["order_id"]].append(row)
    return found


def _compact_phone(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The stored phone without the separators people type: ``+49 (30) 123-45`` → ``+493012345``."""
    for separator in (" ", "-", "(", ")", ".", "/"):
        column = func.replace(column, separator, "")
    return column


def find_orders(conn: Connection, *, text: str, email: str | None, phones: Sequence[str],
                channel_id: int | None, limit: int) -> list[RowMapping]:
    """Orders of any channel by order id, external id, customer email or phone, newest first.

    The customer's email and phone are matched on the order itself (as captured) and through the customer
    profile the order was matched to, whose keys are normalised (email lower case, phone E.164).
    """
    email_of = orders.c.customer["email"].as_string()
    phone_of = orders.c.customer["phone"].as_string()
    matches: list[ColumnElement[bool]] = [orders.c.id == text, orders.c.external_id == text]
    keys: list[ColumnElement[bool]] = []
    if email is not None:
        matches.append(email_of == email)
        keys.append((customer_keys.c.kind == "email") & (customer_keys.c.value == email))
    if phones:
        matches.append(_compact_phone(phone_of).in_(list(phones)))
        keys.append((customer_keys.c.kind == "phone") & customer_keys.c.value.in_(list(phones)))
    if keys:
        matches.append(orders.c.customer_id.in_(select(customer_keys.c.customer_id).where(or_(*keys))))
    stmt = (select(orders, channels.c.code.label("channel")).join(channels, channels.c.id == orders.c.channel_id)
            .where(or_(*matches)).order_by(orders.c.id.desc()).limit(limit))
    if channel_id is not None:
        stmt = stmt.where(orders.c.channel_id == channel_id)
    return list(conn.execute(stmt).mappings())


def lines_of_orders(conn: Connection, order_ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    stmt = (select(order_lines, skus.c.code.label("sku")).join(skus, skus.c.id == order_lines.c.sku_id)
            .where(order_lines.c.order_id.in_(order_ids)).order_by(order_lines.c.order_id, order_lines.c.line_no))
    found: dict[str, list[RowMapping]] = defaultdict(list)
    for row in conn.execute(stmt).mappings():
        found[row["order_id"]].append(row)
    return found
