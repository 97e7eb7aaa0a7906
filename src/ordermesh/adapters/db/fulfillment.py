"""Store and warehouse work in the database: sweeper scans, the pick list, and stock that can serve a store."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, literal, or_, select
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.orders import update_fulfillment_order
from ordermesh.adapters.db.tables import (
    ChannelLocation,
    FulfillmentOrder,
    FulfillmentOrderLine,
    InventoryPosition,
    Location,
    Order,
    OrderHold,
    Sku,
    table_of,
)

fos = table_of(FulfillmentOrder)
fo_lines = table_of(FulfillmentOrderLine)
orders = table_of(Order)
holds = table_of(OrderHold)
skus = table_of(Sku)
locations = table_of(Location)
positions = table_of(InventoryPosition)
channel_locations = table_of(ChannelLocation)


def due_for_acceptance(conn: Connection, now: datetime, limit: int) -> list[str]:
    """Open fulfillment orders past their acceptance deadline, oldest deadline first; not those of held
    orders (a store cannot accept them, so the clock is not theirs)."""
    held = exists().where(holds.c.order_id == fos.c.order_id, holds.c.released_at.is_(None))
    stmt = (select(fos.c.id).where(fos.c.status == "open", fos.c.accept_by <= now, ~held)
            .order_by(fos.c.accept_by, fos.c.id).limit(limit))
    return list(conn.execute(stmt).scalars())


def due_for_expiry(conn: Connection, statuses: Collection[str], now: datetime, limit: int) -> list[str]:
    """Pickups waiting for the customer past their hold, oldest first."""
    stmt = (select(fos.c.id).where(fos.c.status.in_(statuses), fos.c.pickup_expires_at <= now)
            .order_by(fos.c.pickup_expires_at, fos.c.id).limit(limit))
    return list(conn.execute(stmt).scalars())


def holding_at(conn: Connection, location_id: int, sku_ids: Collection[int], statuses: Collection[str], *,
               besides: str) -> list[RowMapping]:
    """(fulfillment order id, order id) of the location's fulfillment orders in ``statuses`` that hold
    units of the SKUs, apart from ``besides``."""
    stmt = (select(fos.c.id, fos.c.order_id).distinct()
            .join(fo_lines, fo_lines.c.fulfillment_order_id == fos.c.id)
            .where(fos.c.location_id == location_id, fos.c.status.in_(statuses), fos.c.id != besides,
                   fo_lines.c.sku_id.in_(sku_ids), fo_lines.c.quantity > 0)
            .order_by(fos.c.id))
    return list(conn.execute(stmt).mappings())


def pick_list(conn: Connection, location_id: int, statuses: Collection[str], *,
              after: tuple[datetime, str, str] | None, limit: int) -> list[RowMapping]:
    """The units the location still has to pick, by due time (then fulfillment order, then line)."""
    stmt = (select(fos.c.due_at, fos.c.id.label("fulfillment_order_id"), fo_lines.c.order_line_id,
                   skus.c.code.label("sku"), fo_lines.c.quantity, fos.c.order_id, fos.c.method, fos.c.status)
            .join(fo_lines, fo_lines.c.fulfillment_order_id == fos.c.id)
            .join(skus, skus.c.id == fo_lines.c.sku_id)
            .where(fos.c.location_id == location_id, fos.c.status.in_(statuses), fo_lines.c.quantity > 0)
            .order_by(fos.c.due_at, fos.c.id, fo_lines.c.order_line_id).limit(limit))
    if after is not None:
        due, fo_id, line_id = after
        stmt = stmt.where(or_(fos.c.due_at > due,
                              and_(fos.c.due_at == due, or_(fos.c.id > fo_id, and_(
                                  fos.c.id == fo_id, fo_lines.c.order_line_id > line_id)))))
    return list(conn.execute(stmt).mappings())


def serving_stock(conn: Connection, channel: Mapping[str, Any], sku_ids: Sequence[int]) -> list[RowMapping]:
    """Per (active location feeding the channel, SKU): what the channel may still take there."""
    sellable = positions.c.on_hand - positions.c.reserved - positions.c.safety_stock - literal(channel["buffer"])
    stmt = (select(locations.c.id.label("location_id"), locations.c.code, locations.c.latitude,
                   locations.c.longitude, locations.c.capabilities, positions.c.sku_id, sellable.label("sellable"))
            .join(positions, positions.c.location_id == locations.c.id)
            .where(locations.c.active.is_(True), positions.c.sku_id.in_(sku_ids)))
    if not channel["all_locations"]:
        stmt = stmt.where(locations.c.id.in_(select(channel_locations.c.location_id)
                                             .where(channel_locations.c.channel_id == channel["id"])))
    return list(conn.execute(stmt.order_by(locations.c.code)).mappings())


def location_types(conn: Connection) -> dict[int, str]:
    return {i: t for i, t in conn.execute(select(locations.c.id, locations.c.type))}


def annotate(conn: Connection, fo_id: str, **details: Any) -> None:
    """Merge ``details`` into the fulfillment order's details (carrier, spot, reject reason, …)."""
    current = conn.execute(select(fos.c.details).where(fos.c.id == fo_id)).scalar_one()
    update_fulfillment_order(conn, fo_id, details={**(current or {}), **details})
