"""Turning a sourcing decision into fulfillment orders, and keeping the order's status derived."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.fulfillment import FulfillmentMethod, FulfillmentPolicy, FulfillmentStatus, new_pickup_code
from ordermesh.domain.ids import new_id
from ordermesh.domain.orders import LineQuantities, derive_status
from ordermesh.domain.sourcing import Allocation

Row = Mapping[Any, Any]


def split_by_line(allocations: Sequence[Allocation], lines: Sequence[tuple[str, int, int]]
                  ) -> dict[int, list[tuple[str, int, int]]]:
    """Per location: (order line id, sku id, units). ``lines`` are (line id, sku id, units wanted)."""
    # sku → {location: units left}. A cart hold and fresh sourcing may both allocate one SKU at one
    # location; merged here, so a line gets one fulfillment line per location, never two.
    pool: dict[int, dict[int, int]] = defaultdict(dict)
    for a in allocations:
        pool[a.sku_id][a.location_id] = pool[a.sku_id].get(a.location_id, 0) + a.quantity
    per_location: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for line_id, sku_id, wanted in lines:
        for location_id, left in pool[sku_id].items():
            take = min(wanted, left)
            if take:
                per_location[location_id].append((line_id, sku_id, take))
                pool[sku_id][location_id] -= take
                wanted -= take
    return per_location


def create_fulfillment_orders(
    conn: Connection, order: Row, method: DeliveryMethod | FulfillmentMethod,
    per_location: Mapping[int, list[tuple[str, int, int]]], location_codes: Mapping[int, str],
    sku_codes: Mapping[int, str], *, policy: FulfillmentPolicy | None = None, transfer_to: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Insert one fulfillment order per location; returns (rows, line rows, events)."""
    fos, fo_lines, events = build_fulfillment_orders(order, method, per_location, location_codes, sku_codes,
                                                     policy=policy, transfer_to=transfer_to)
    db.insert_fulfillment(conn, fos, fo_lines)
    return fos, fo_lines, events


def build_fulfillment_orders(
    order: Row, method: DeliveryMethod | FulfillmentMethod, per_location: Mapping[int, list[tuple[str, int, int]]],
    location_codes: Mapping[int, str], sku_codes: Mapping[int, str], *, policy: FulfillmentPolicy | None = None,
    transfer_to: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """One fulfillment order per location, as rows and line rows not yet written, and their events.

    ``policy`` sets each one's due time and acceptance deadline (default: the built-in service levels).
    ``transfer_to`` (a store code) makes them transfers to that store, for a ship-to-store order.
    """
    policy = policy or FulfillmentPolicy()
    kind = FulfillmentMethod.TRANSFER if transfer_to else FulfillmentMethod(method.value)
    now = utcnow()
    fos, fo_lines, events = [], [], []
    for location_id, items in sorted(per_location.items()):
        fo_id = new_id("fo")
        fo = {"id": fo_id, "order_id": order["id"], "location_id": location_id, "method": kind.value,
              "status": FulfillmentStatus.OPEN.value, "pickup_attempts": 0,
              "details": {"transfer_to": transfer_to} if transfer_to else {},
              "pickup_code": new_pickup_code() if kind.collected else None,
              "due_at": policy.due_at(kind, now), "accept_by": policy.accept_by(kind, now),
              "pickup_expires_at": None, "created_at": now, "updated_at": now}
        fos.append(fo)
        fo_lines += [{"fulfillment_order_id": fo_id, "order_line_id": line_id, "sku_id": sku_id, "quantity": q}
                     for line_id, sku_id, q in items]
        events.append({"type": "fulfillment_order.created", "order_id": order["id"],
                       "channel_id": order["channel_id"], "location_id": location_id,
                       "data": {"fulfillment_order_id": fo_id, "order_id": order["id"],
                                "location": location_codes[location_id], "method": kind.value,
                                "lines": [{"order_line_id": li, "sku": sku_codes[s], "quantity": q}
                                          for li, s, q in items], **fo["details"]}})
    return fos, fo_lines, events


def refresh_status(conn: Connection, order: Row) -> str:
    """Derive the order's status from its lines, fulfillment orders and holds; record a change."""
    lines = db.lines_of(conn, order["id"])
    fos = db.fulfillment_orders_of(conn, order["id"])
    status = derive_status(
        [LineQuantities(x["quantity"], x["cancelled"], x["fulfilled"]) for x in lines],
        [FulfillmentStatus(f["status"]) for f in fos],
        on_hold=db.has_active_hold(conn, order["id"]),
    ).value
    if status != order["status"]:
        db.set_order_status(conn, order["id"], status)
        outbox.append(conn, [{"type": "order.status_changed", "order_id": order["id"],
                              "channel_id": order["channel_id"],
                              "data": {"order_id": order["id"], "from": order["status"], "to": status}}])
    return status
