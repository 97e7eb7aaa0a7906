"""The customer's order tracking page, reached by the order's unguessable token without a key.

Whoever holds the link sees how the order is doing — its items, each shipment's carrier and tracking
number, the pickup code while the order waits at the store, the returns — and of the person only the first
name: no address, e-mail, phone, payment or price.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ordermesh.adapters.db import tracking as db
from ordermesh.adapters.db.sql import as_utc
from ordermesh.domain.errors import NotFound
from ordermesh.domain.fulfillment import FulfillmentMethod
from ordermesh.domain.money import format_amount
from ordermesh.domain.notifications import (
    PICKUP_INSTRUCTIONS,
    customer_status,
    first_name,
    fulfillment_label,
    return_label,
    shown_to_customer,
    shows_pickup_code,
)
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso

Row = Mapping[Any, Any]
# secrets.token_urlsafe's alphabet; anything else cannot be a token, so it is not even looked up.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def tracking_view(uow: UnitOfWork, token: str) -> dict[str, Any]:
    if not TOKEN.fullmatch(token):
        raise NotFound("no order has this tracking link", field="token")
    with uow.reading() as conn:
        order = db.order_by_token(conn, token)
        if order is None:
            raise NotFound("no order has this tracking link", field="token")
        fos = [f for f in db.fulfillment_orders(conn, order["id"]) if shown_to_customer(f["status"])]
        fo_items = db.fulfillment_items(conn, [f["id"] for f in fos])
        returns = db.returns_of(conn, order["id"])
        return_items = db.return_items(conn, [r["id"] for r in returns])
        lines = db.named_lines(conn, order["id"])
    status, label = customer_status(order["status"])
    return {
        "order_number": order["external_id"], "shop": order["channel_name"], "currency": order["currency"],
        "status": status,
        "status_label": label, "placed_at": iso(order["created_at"]), "updated_at": iso(order["updated_at"]),
        "customer": {"first_name": first_name((order["customer"] or {}).get("name"))},
        "delivery_method": (order["delivery"] or {}).get("method"),
        "lines": [{"sku": x["sku"], "name": x["sku_name"], "quantity": x["quantity"],
                   "cancelled_quantity": x["cancelled"], "fulfilled_quantity": x["fulfilled"]} for x in lines],
        "fulfillments": [_fulfillment(f, items) for f, items in _grouped(fos, fo_items, "fulfillment_order_id")],
        "returns": [_return(r, items, order["currency"]) for r, items in _grouped(returns, return_items, "return_id")],
    }


def _grouped(parents: Sequence[Row], children: Sequence[Row], key: str) -> list[tuple[Row, list[Row]]]:
    by_parent: dict[str, list[Row]] = defaultdict(list)
    for child in children:
        by_parent[child[key]].append(child)
    return [(p, by_parent[p["id"]]) for p in parents]


def _fulfillment(fo: Row, items: Sequence[Row]) -> dict[str, Any]:
    details = fo["details"] or {}
    view: dict[str, Any] = {
        "method": fo["method"], "status": fo["status"], "status_label": fulfillment_label(fo["method"], fo["status"]),
        "location": _place(fo),
        "items": [{"sku": x["sku"], "name": x["sku_name"], "quantity": x["quantity"]} for x in items],
        "carrier": details.get("carrier"), "tracking_number": details.get("tracking_number"),
        "shipped_at": details.get("shipped_at"), "pickup": None,
    }
    if shows_pickup_code(fo["method"], fo["status"]):
        expires = fo["pickup_expires_at"]
        view["pickup"] = {"code": fo["pickup_code"], "store": _store(fo),
                          "collect_by": iso(as_utc(expires)) if expires else None,
                          "instructions": PICKUP_INSTRUCTIONS[FulfillmentMethod(fo["method"])],
                          "spot": details.get("spot")}
    return view


def _place(fo: Row) -> dict[str, Any]:
    return {"name": fo["location_name"], "postal_code": fo["location_postal_code"],
            "country": fo["location_country"]}


def _store(fo: Row) -> dict[str, Any]:
    """Where to collect, with a map link (OpenStreetMap: no account, no tracking of the customer)."""
    lat, lon = fo["location_latitude"], fo["location_longitude"]
    return {**_place(fo),
            "map_url": f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=17/{lat:.5f}/{lon:.5f}"}


def _return(r: Row, items: Sequence[Row], currency: str) -> dict[str, Any]:
    return {"id": r["id"], "status": r["status"], "status_label": return_label(r["status"]),
            "requested_at": iso(r["created_at"]), "updated_at": iso(r["updated_at"]),
            "refunded": format_amount(r["refunded_minor"], currency) if r["refunded_minor"] else None,
            "items": [{"sku": x["sku"], "name": x["sku_name"], "quantity": x["quantity"],
                       "received_quantity": x["received"]} for x in items]}
