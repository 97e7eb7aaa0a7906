"""Taking units back off fulfillment orders: cancellation, rejection and expiry all end here.

Units are withdrawn from the least progressed fulfillment orders first (an open one before one being
picked), their reserved stock is released at that location, and a fulfillment order left with nothing
to do is closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import capacity, outbox
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.sql import as_utc
from ordermesh.domain.errors import Conflict
from ordermesh.domain.fulfillment import HOLDING_STOCK, FulfillmentMethod, FulfillmentStatus
from ordermesh.service import payments

Row = Mapping[Any, Any]
_PROGRESS = {s: i for i, s in enumerate(FulfillmentStatus)}
# The work was called off before it was done: the location's unit of daily capacity is free again.
GIVES_CAPACITY_BACK = frozenset({FulfillmentStatus.CANCELLED, FulfillmentStatus.REJECTED})
# A shipment's facts travel with its event, so that consumers (customer messages, webhooks) need not look them up.
EVENT_DETAILS = ("carrier", "tracking_number")


def withdraw(conn: Connection, order: Row, wanted: Mapping[str, int], *, reason: str,
             close_as: FulfillmentStatus = FulfillmentStatus.CANCELLED,
             only: str | None = None) -> dict[str, list[tuple[str, int, int]]]:
    """Withdraw ``wanted`` units per order line; returns per fulfillment order (line id, sku id, units).

    ``only`` takes them from that one fulfillment order: a line split over two locations must lose the
    units the rejecting or short-picking location holds, not the other location's.
    """
    fos = {f["id"]: f for f in db.fulfillment_orders_of(conn, order["id"])}
    live = [x for x in db.fulfillment_lines_of(conn, list(fos))
            if FulfillmentStatus(fos[x["fulfillment_order_id"]]["status"]) in HOLDING_STOCK and x["quantity"] > 0
            and only in (None, x["fulfillment_order_id"])]
    live.sort(key=lambda x: _PROGRESS[FulfillmentStatus(fos[x["fulfillment_order_id"]]["status"])])
    taken: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    left = dict(wanted)
    remaining_on_fo: dict[str, int] = defaultdict(int)
    for x in live:
        remaining_on_fo[x["fulfillment_order_id"]] += x["quantity"]
    for x in live:
        take = min(left.get(x["order_line_id"], 0), x["quantity"])
        if take:
            taken[x["fulfillment_order_id"]].append((x["order_line_id"], x["sku_id"], take))
            db.set_fulfillment_line(conn, x["fulfillment_order_id"], x["order_line_id"], x["quantity"] - take)
            remaining_on_fo[x["fulfillment_order_id"]] -= take
            left[x["order_line_id"]] -= take
    short = {line: q for line, q in left.items() if q > 0}
    if short:
        raise Conflict(f"lines {', '.join(sorted(short))}: those units have already left the location or are "
                       "not allocated, so they cannot be withdrawn", field="lines", lines=sorted(short))
    releases = [StockChange(sku, fos[fo_id]["location_id"], q) for fo_id, items in taken.items()
                for _, sku, q in items]
    stock.release(conn, releases, source=f"order:{order['id']}", reason=reason)
    for fo_id in taken:
        if remaining_on_fo[fo_id] == 0:
            close(conn, order, fos[fo_id], close_as, reason=reason)
    return taken


def close(conn: Connection, order: Row, fo: Row, status: FulfillmentStatus, *, reason: str,
          details: Mapping[str, Any] | None = None) -> None:
    """Move a fulfillment order to ``status`` (any step, despite the name) and record the event."""
    merged = {**(fo["details"] or {}), **(details or {})}
    db.update_fulfillment_order(conn, fo["id"], status=status.value, details=merged)
    if status in GIVES_CAPACITY_BACK:  # a transfer booked its location's ship capacity
        method = FulfillmentMethod(fo["method"]).as_delivery.value
        capacity.give_back(conn, fo["location_id"], method, capacity.day_of(as_utc(fo["created_at"])))
    outbox.append(conn, [{"type": f"fulfillment_order.{status.value}", "order_id": order["id"],
                          "channel_id": order["channel_id"], "location_id": fo["location_id"],
                          "data": {"fulfillment_order_id": fo["id"], "order_id": order["id"],
                                   "from": fo["status"], "to": status.value, "reason": reason,
                                   **{k: v for k, v in (details or {}).items() if k in EVENT_DETAILS}}}])


def call_off(conn: Connection, order: Row, fo: Row, status: FulfillmentStatus, *, reason: str) -> None:
    """Cancel or expire a fulfillment order: its units go back on sale and leave the order."""
    taken = withdraw(conn, order, whole(lines_of_fulfillment(conn, fo["id"])), reason=reason, close_as=status,
                     only=fo["id"])
    for line_id, _, q in taken.get(fo["id"], []):
        db.add_to_line(conn, line_id, cancelled=q)
    # Nothing left to ship (the last pickup expired, say): the customer's authorization is voided (pending
    # until the settler asks the provider).
    payments.void_if_cancelled(conn, order, actor=f"system:{reason}")
    if taken:
        outbox.append(conn, [{"type": "order.lines_cancelled", "order_id": order["id"],
                              "channel_id": order["channel_id"],
                              "data": {"order_id": order["id"], "reason": reason, "fulfillment_order_id": fo["id"],
                                       "lines": [{"line_id": line_id, "quantity": q}
                                                 for line_id, _, q in taken[fo["id"]]]}}])


def lines_of_fulfillment(conn: Connection, fo_id: str) -> list[Row]:
    return [x for x in db.fulfillment_lines_of(conn, [fo_id]) if x["quantity"] > 0]


def whole(fo_lines: Sequence[Row]) -> dict[str, int]:
    wanted: dict[str, int] = defaultdict(int)
    for x in fo_lines:
        wanted[x["order_line_id"]] += x["quantity"]
    return wanted
