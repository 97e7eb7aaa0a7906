"""Exchanges: the replacement order a return asks for, placed (and its stock reserved) when the return is
authorized, in the same transaction as the authorization — so either the return is authorized with its
replacement reserved, or neither happened.

The replacement is an ordinary order of the original order's channel, to the same customer and delivery,
with the external id ``{original external id}-X{n}`` (the n-th exchange of that order). Its lines cost
what the return asked (default 0: an even exchange paid for by the returned units); no payment is taken
for it — a price difference is settled with the customer outside Ordermesh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import orders as orders_db
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db import returns as db
from ordermesh.adapters.db.batch import ConstraintViolated, batch
from ordermesh.domain.fulfillment import HOLDING_STOCK, FulfillmentStatus
from ordermesh.domain.money import format_amount
from ordermesh.service import customer_matching, ordering
from ordermesh.service.access import Principal, Role
from ordermesh.service.allocation import refresh_status
from ordermesh.service.commands import Address, Customer, Delivery, OrderLineInput, PlaceOrder
from ordermesh.service.withdrawal import withdraw

Row = Mapping[Any, Any]
MAX_EXTERNAL_ID = 100


class Replan(Exception):
    """The customer's profile changed between planning and writing the replacement (a concurrent first order
    of the same person, an erasure, a merge): roll back and plan it again."""


def place(conn: Connection, who: Principal, order: Row, ret: Row, checkout: ordering.Checkout) -> str:
    """Place the replacement order and reserve its stock; returns its id.

    May raise InsufficientStock (nothing sellable), or StockTaken (a concurrent order took it) or Replan:
    then the caller retries its whole transaction. The caller checked the real key's rights over the return; the order
    is placed for the return, so by the original order's own channel.
    """
    n = db.exchanges_of_order(conn, order["id"]) + 1
    cmd = replacement(order, ret["exchange"]["lines"], n, note=f"exchange for return {ret['id']}")
    acting = Principal(who.key_id, Role.ADMIN)
    plan = ordering.plan(conn, acting, cmd, checkout)
    try:
        with batch(conn):  # as order placement writes it (its checks run when the batch is sent)
            ordering.commit(conn, cmd, plan)
    except customer_matching.Rematch:
        raise Replan from None
    except ConstraintViolated as exc:
        if exc.constraint == customer_matching.KEY_CONSTRAINT:
            raise Replan from None
        raise
    return str(plan.order["id"])


def replacement(order: Row, lines: list[dict[str, Any]], n: int, *, note: str) -> PlaceOrder:
    suffix = f"-X{n}"
    customer, delivery = order["customer"] or {}, order["delivery"] or {}
    address = delivery.get("address")
    return PlaceOrder(
        channel=order["channel"], external_id=order["external_id"][:MAX_EXTERNAL_ID - len(suffix)] + suffix,
        currency=order["currency"],
        customer=Customer(customer.get("email") or "", customer.get("name"), customer.get("phone")),
        lines=[OrderLineInput(x["sku"], x["quantity"], x.get("unit_price") or format_amount(0, order["currency"]))
               for x in lines],
        delivery=Delivery(delivery["method"], _address(address) if address else None,
                          delivery.get("pickup_location"), bool(delivery.get("ship_to_store"))),
        notes=note)


def _address(a: Mapping[str, Any]) -> Address:
    return Address(a["line1"], a["city"], a["postal_code"], a["country"], a.get("latitude"), a.get("longitude"))


def call_off(conn: Connection, exchange_order_id: str, *, reason: str) -> None:
    """The return will not be received: cancel what of its replacement has not left a location yet.
    Units already on their way to the customer stay with that order (cancel or return them there)."""
    order = orders_db.lock_order(conn, exchange_order_id)
    if order is None:
        return
    fos = {f["id"]: f for f in orders_db.fulfillment_orders_of(conn, exchange_order_id)}
    wanted: dict[str, int] = defaultdict(int)
    for x in orders_db.fulfillment_lines_of(conn, list(fos)):
        if FulfillmentStatus(fos[x["fulfillment_order_id"]]["status"]) in HOLDING_STOCK and x["quantity"] > 0:
            wanted[x["order_line_id"]] += x["quantity"]
    if not wanted:
        return
    withdraw(conn, order, wanted, reason=reason)
    for line_id, q in wanted.items():
        orders_db.add_to_line(conn, line_id, cancelled=q)
    outbox.append(conn, [{"type": "order.lines_cancelled", "order_id": order["id"], "channel_id": order["channel_id"],
                          "data": {"order_id": order["id"], "reason": reason,
                                   "lines": [{"line_id": k, "quantity": v} for k, v in wanted.items()]}}])
    refresh_status(conn, order)
