"""Composing a customer message from an event: what it says, read from the order as it is now."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import tracking
from ordermesh.adapters.db.sql import as_utc
from ordermesh.adapters.notify.render import render
from ordermesh.domain.fulfillment import FulfillmentMethod
from ordermesh.domain.money import format_amount
from ordermesh.domain.notifications import (
    PICKUP_INSTRUCTIONS,
    OutgoingMessage,
    Template,
    first_name,
    still_worth_sending,
    template_for,
)
from ordermesh.service.views import tracking_url

Row = Mapping[Any, Any]


class OrdersRead:
    """The orders of a page of events with their lines, read in two queries for the whole page instead of two
    per message: the notifier runs inside the API workers, beside the orders it reports on."""

    def __init__(self, conn: Connection, order_ids: Sequence[str]) -> None:
        ids = sorted(set(order_ids))
        self._orders = tracking.orders_by_id(conn, ids) if ids else {}
        self._lines = tracking.named_lines_of(conn, ids) if ids else {}

    def order(self, order_id: str) -> Row | None:
        return self._orders.get(order_id)

    def lines(self, order_id: str) -> list[Row]:
        return list(self._lines.get(order_id, []))


def order_of(event: Row) -> str:
    """The order an event is about."""
    return str(event["order_id"] or (event["data"] or {}).get("order_id") or "")


def compose(conn: Connection, event: Row, public_url: str, read: OrdersRead) -> OutgoingMessage | None:
    """The message ``event`` calls for, or None when it calls for none (or no longer makes sense). ``read``:
    the orders of the events being composed, read together beforehand."""
    data = event["data"] or {}
    order = read.order(order_of(event))
    fo_id = data.get("fulfillment_order_id")
    fo = tracking.fulfillment_order(conn, fo_id) if fo_id else None
    template = template_for(event["type"], method=fo["method"] if fo else None)
    if order is None or template is None or not still_worth_sending(template, fo["status"] if fo else None):
        return None
    context = {**_about_order(conn, order, read.lines(order["id"]), public_url),
               **_SPECIFICS[template](conn, order, fo, data)}
    subject, body = render(template.value, context)
    return OutgoingMessage(template=template, recipient=(order["customer"] or {}).get("email") or "",
                           subject=subject, body=body, order_id=order["id"], customer_id=order.get("customer_id"),
                           event_id=event["id"])


def _about_order(conn: Connection, order: Row, lines: list[Row], public_url: str) -> dict[str, Any]:
    """What every message says: who, which order, and the tracking link."""
    delivery = order["delivery"] or {}
    return {
        "first_name": first_name((order["customer"] or {}).get("name")),
        "order_number": order["external_id"], "shop": order["channel_name"],
        "tracking_url": tracking_url(public_url, order.get("tracking_token")),
        "currency": order["currency"], "total": format_amount(order["total_minor"], order["currency"]),
        "collected": delivery.get("method") in (FulfillmentMethod.PICKUP, FulfillmentMethod.CURBSIDE),
        "store_name": _store_name(conn, delivery.get("pickup_location")),
        "items": [{"sku": x["sku"], "name": x["sku_name"], "quantity": x["quantity"] - x["cancelled"]}
                  for x in lines if x["quantity"] > x["cancelled"]],
    }


def _store_name(conn: Connection, code: str | None) -> str:
    return (tracking.location_name(conn, code) or code) if code else ""


def _confirmed(conn: Connection, order: Row, fo: Row | None, data: Row) -> dict[str, Any]:
    return {}


def _ready(conn: Connection, order: Row, fo: Row | None, data: Row) -> dict[str, Any]:
    fo = _known(fo)
    expires = fo["pickup_expires_at"]
    return {"method": fo["method"], "pickup_code": fo["pickup_code"],
            "instructions": PICKUP_INSTRUCTIONS[FulfillmentMethod(fo["method"])],
            "store": {"name": fo["location_name"], "postal_code": fo["location_postal_code"] or "",
                      "country": fo["location_country"] or ""},
            "collect_by": as_utc(expires).strftime("%Y-%m-%d %H:%M UTC") if expires else None,
            "items": _items_of(conn, fo["id"])}


def _shipped(conn: Connection, order: Row, fo: Row | None, data: Row) -> dict[str, Any]:
    fo = _known(fo)
    details = fo["details"] or {}
    shipping = [f for f in tracking.fulfillment_orders(conn, order["id"])
                if f["method"] != FulfillmentMethod.TRANSFER and f["status"] not in ("rejected", "cancelled")]
    return {"carrier": data.get("carrier") or details.get("carrier") or "the carrier",
            "tracking_number": data.get("tracking_number") or details.get("tracking_number") or "-",
            "partial": len(shipping) > 1, "items": _items_of(conn, fo["id"])}


def _refunded(conn: Connection, order: Row, fo: Row | None, data: Row) -> dict[str, Any]:
    currency = data.get("currency") or order["currency"]
    return {"amount": data.get("amount") or "", "currency": currency}


def _known(fo: Row | None) -> Row:
    if fo is None:
        raise LookupError("the event names a fulfillment order that does not exist")
    return fo


def _items_of(conn: Connection, fo_id: str) -> list[dict[str, Any]]:
    return [{"sku": x["sku"], "name": x["sku_name"], "quantity": x["quantity"]}
            for x in tracking.fulfillment_items(conn, [fo_id])]


_SPECIFICS: dict[Template, Callable[[Connection, Row, Row | None, Row], dict[str, Any]]] = {
    Template.ORDER_CONFIRMED: _confirmed, Template.READY_FOR_PICKUP: _ready, Template.SHIPPED: _shipped,
    Template.REFUND_ISSUED: _refunded,
}
