"""What the customer may see of an order: its lines with product names, its fulfillment orders with their
locations, and its returns (read for the tracking page and the customer messages)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.tables import (
    Channel,
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

orders = table_of(Order)
channels = table_of(Channel)
lines = table_of(OrderLine)
skus = table_of(Sku)
fos = table_of(FulfillmentOrder)
fo_lines = table_of(FulfillmentOrderLine)
locations = table_of(Location)
returns = table_of(Return)
return_lines = table_of(ReturnLine)

_STORE = (locations.c.code.label("location"), locations.c.name.label("location_name"),
          locations.c.postal_code.label("location_postal_code"), locations.c.country.label("location_country"),
          locations.c.latitude.label("location_latitude"), locations.c.longitude.label("location_longitude"))


_ORDER = (select(orders, channels.c.code.label("channel"), channels.c.name.label("channel_name"))
          .join(channels, channels.c.id == orders.c.channel_id))


def order_by_token(conn: Connection, token: str) -> RowMapping | None:
    """One lookup on the unique index: a wrong token costs the same as a right one."""
    return conn.execute(_ORDER.where(orders.c.tracking_token == token)).mappings().first()


def orders_by_id(conn: Connection, order_ids: Sequence[str]) -> dict[str, RowMapping]:
    return {r["id"]: r for r in conn.execute(_ORDER.where(orders.c.id.in_(list(order_ids)))).mappings()}


def location_name(conn: Connection, code: str) -> str | None:
    return conn.execute(select(locations.c.name).where(locations.c.code == code)).scalar()


def named_lines(conn: Connection, order_id: str) -> list[RowMapping]:
    return named_lines_of(conn, [order_id]).get(order_id, [])


def named_lines_of(conn: Connection, order_ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    """Each order's lines with their product names, in line order."""
    stmt = (select(lines, skus.c.code.label("sku"), skus.c.name.label("sku_name"))
            .join(skus, skus.c.id == lines.c.sku_id).where(lines.c.order_id.in_(list(order_ids)))
            .order_by(lines.c.order_id, lines.c.line_no))
    found: dict[str, list[RowMapping]] = {}
    for row in conn.execute(stmt).mappings():
        found.setdefault(row["order_id"], []).append(row)
    return found


def fulfillment_orders(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = (select(fos, *_STORE).join(locations, locations.c.id == fos.c.location_id)
            .where(fos.c.order_id == order_id).order_by(fos.c.created_at, fos.c.id))
    return list(conn.execute(stmt).mappings())


def fulfillment_order(conn: Connection, fo_id: str) -> RowMapping | None:
    stmt = select(fos, *_STORE).join(locations, locations.c.id == fos.c.location_id).where(fos.c.id == fo_id)
    return conn.execute(stmt).mappings().first()


def fulfillment_items(conn: Connection, fo_ids: Sequence[str]) -> list[RowMapping]:
    stmt = (select(fo_lines.c.fulfillment_order_id, fo_lines.c.quantity, skus.c.code.label("sku"),
                   skus.c.name.label("sku_name"))
            .join(skus, skus.c.id == fo_lines.c.sku_id)
            .where(fo_lines.c.fulfillment_order_id.in_(fo_ids), fo_lines.c.quantity > 0)
            .order_by(fo_lines.c.order_line_id))
    return list(conn.execute(stmt).mappings())


def returns_of(conn: Connection, order_id: str) -> list[RowMapping]:
    stmt = select(returns).where(returns.c.order_id == order_id).order_by(returns.c.created_at, returns.c.id)
    return list(conn.execute(stmt).mappings())


def return_items(conn: Connection, return_ids: Sequence[str]) -> list[RowMapping]:
    stmt = (select(return_lines.c.return_id, return_lines.c.quantity, return_lines.c.received,
                   skus.c.code.label("sku"), skus.c.name.label("sku_name"))
            .join(lines, lines.c.id == return_lines.c.order_line_id).join(skus, skus.c.id == lines.c.sku_id)
            .where(return_lines.c.return_id.in_(return_ids)).order_by(return_lines.c.return_id, lines.c.line_no))
    return list(conn.execute(stmt).mappings())
