"""Amending an order before it is released to the locations: a new delivery address, added lines.

"Before release" means no location has accepted any part of the order yet: once a store has started
picking, the parcel's destination and contents are its business. Each amendment is one transaction
under the order's lock and a numbered change with its actor. A new address withdraws every open unit
and sources the order again to the new destination; added lines are sourced and reserved like a new
order's. Either everything is reserved and written, or the amendment is refused and nothing changes.

Money follows: added lines raise the order's totals and are authorized on the order's payment (a
decline puts the order on a payment hold, as at capture); cancelled units are simply never captured.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import catalogue, outbox, payments
from ordermesh.adapters.db import orders as db
from ordermesh.domain.errors import Conflict, InvalidInput, NotFound
from ordermesh.domain.fulfillment import FulfillmentMethod, FulfillmentPolicy, FulfillmentStatus
from ordermesh.domain.ids import new_id
from ordermesh.domain.money import MAX_MINOR, parse_amount
from ordermesh.domain.orders import MAX_LINES_PER_ORDER, HoldType
from ordermesh.domain.payments import PaymentStatus
from ordermesh.service import authorization, fraud, holds, idempotency, lookups, resourcing
from ordermesh.service.access import Principal, Role
from ordermesh.service.allocation import create_fulfillment_orders, refresh_status, split_by_line
from ordermesh.service.commands import AddLines, ChangeAddress, PaymentInput
from ordermesh.service.order_changes import locked_order
from ordermesh.service.ordering import Checkout
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import can_see_order, order_view
from ordermesh.service.withdrawal import withdraw

Row = Mapping[Any, Any]
Units = tuple[str, int, int]  # (order line id, SKU id, units)


def change_address(uow: UnitOfWork, who: Principal, cmd: ChangeAddress, checkout: Checkout) -> dict[str, Any]:
    who.require(Role.CHANNEL, action="change orders")
    with uow.writing() as conn:
        order = locked_order(conn, who, cmd.order_id)
        method = _method(order)
        if method.collected or method is FulfillmentMethod.TRANSFER:
            raise Conflict(f"order {order['id']} is collected in store ({order['delivery']['method']}); it has no "
                           "delivery address to change", field="address")
        _before_release(conn, order)
        lines = db.lines_of(conn, order["id"])
        wanted = {x["id"]: x["quantity"] - x["cancelled"] - x["fulfilled"] for x in lines}
        wanted = {k: q for k, q in wanted.items() if q > 0}
        if not wanted:
            raise Conflict(f"order {order['id']} has nothing left to deliver", field="order_id")
        withdraw(conn, order, wanted, reason="address changed")
        a = cmd.address
        delivery = {**order["delivery"], "address": {
            "line1": a.line1, "city": a.city, "postal_code": a.postal_code, "country": a.country,
            "latitude": a.latitude, "longitude": a.longitude, **({"region": a.region} if a.region else {})}}
        db.update_order(conn, order["id"], delivery=delivery)
        moved = {**order, "delivery": delivery}
        _source(conn, moved, method, [(x["id"], x["sku_id"], wanted[x["id"]]) for x in lines if x["id"] in wanted],
                trigger="address_changed", policy=checkout.policy)
        number = db.record_change(conn, order["id"], "address", who.actor,
                                  {"from": order["delivery"].get("address"), "to": delivery["address"]})
        outbox.append(conn, [{"type": "order.address_changed", "order_id": order["id"],
                              "channel_id": order["channel_id"],
                              "data": {"order_id": order["id"], "change": number, "actor": who.actor,
                                       "address": delivery["address"]}}])
        _screen(conn, moved, checkout)
        refresh_status(conn, moved)
        return order_view(conn, who, order["id"], public_url=uow.public_url)


def add_lines(uow: UnitOfWork, who: Principal, cmd: AddLines, checkout: Checkout, key: str | None = None,
              request_hash: str = "") -> idempotency.Outcome:
    """Add the lines; a retry with the same ``Idempotency-Key`` gets the first answer, not the lines twice."""
    who.require(Role.CHANNEL, action="change orders")
    if (stored := idempotency.replay(uow, who, key, request_hash)) is not None:
        return stored  # answered before: ask the provider nothing
    auth = _authorize_ahead(uow, who, cmd, checkout)
    try:
        outcome = idempotency.run(uow, who, key, request_hash,
                                  lambda conn: (200, _add_lines(conn, who, cmd, checkout, auth, uow.public_url)))
    except BaseException:
        authorization.void_unplaced(auth)  # refused (no stock, …): the customer's money goes back
        raise
    if outcome.replayed:  # a twin request with this key won meanwhile
        authorization.void_unplaced(auth)
    return outcome


def _add_lines(conn: Connection, who: Principal, cmd: AddLines, checkout: Checkout,
               auth: authorization.Authorization | None, public_url: str) -> dict[str, Any]:
    order = locked_order(conn, who, cmd.order_id)
    if order["status"] in ("cancelled", "completed", "fulfilled"):
        raise Conflict(f"order {order['id']} is {order['status']}; lines can no longer be added", field="order_id")
    _before_release(conn, order)
    existing = db.lines_of(conn, order["id"])
    if len(existing) + len(cmd.lines) > MAX_LINES_PER_ORDER:
        raise InvalidInput(f"lines: an order has at most {MAX_LINES_PER_ORDER} lines", field="lines")
    new = _new_lines(conn, order, cmd, next_line_no=len(existing) + 1)
    db.insert_lines(conn, new)
    _source(conn, order, _method(order), [(x["id"], x["sku_id"], x["quantity"]) for x in new],
            trigger="lines_added", policy=checkout.policy)
    added = {"subtotal": sum(x["quantity"] * x["unit_price_minor"] for x in new),
             "tax": sum(x["tax_minor"] for x in new)}
    extra = added["subtotal"] + added["tax"]
    if order["total_minor"] + extra > MAX_MINOR:
        raise InvalidInput("lines: the order total would exceed the largest amount Ordermesh accepts",
                           field="lines")
    db.update_order(conn, order["id"], subtotal_minor=order["subtotal_minor"] + added["subtotal"],
                    tax_minor=order["tax_minor"] + added["tax"], total_minor=order["total_minor"] + extra)
    number = db.record_change(conn, order["id"], "add_lines", who.actor, {
        "lines": [{"line_id": x["id"], "sku": s.sku, "quantity": x["quantity"]} for x, s in zip(new, cmd.lines,
                                                                                                strict=True)],
        "amount_minor": extra})
    _record_extra(conn, order, extra, auth, number)
    outbox.append(conn, [{"type": "order.lines_added", "order_id": order["id"], "channel_id": order["channel_id"],
                          "data": {"order_id": order["id"], "change": number, "actor": who.actor,
                                   "lines": [{"line_id": x["id"], "sku": s.sku, "quantity": x["quantity"]}
                                             for x, s in zip(new, cmd.lines, strict=True)]}}])
    _screen(conn, order, checkout)
    refresh_status(conn, order)
    return order_view(conn, who, order["id"], public_url=public_url)


def _method(order: Row) -> FulfillmentMethod:
    delivery = order["delivery"] or {}
    return FulfillmentMethod.TRANSFER if delivery.get("ship_to_store") else FulfillmentMethod(delivery["method"])


def _before_release(conn: Connection, order: Row) -> None:
    """Refuses once any location has accepted part of the order (or handed it over)."""
    if order["status"] == "cancelled":
        raise Conflict(f"order {order['id']} is cancelled", field="order_id")
    for fo in db.fulfillment_orders_of(conn, order["id"]):
        if fo["status"] not in (FulfillmentStatus.OPEN, FulfillmentStatus.CANCELLED, FulfillmentStatus.REJECTED,
                                FulfillmentStatus.EXPIRED):
            raise Conflict(f"order {order['id']} is already released: fulfillment order {fo['id']} at "
                           f"{fo['location']} is {fo['status']}; changes are possible only before a location "
                           "accepts the order", field="order_id", fulfillment_order_id=fo["id"])


def _new_lines(conn: Connection, order: Row, cmd: AddLines, *, next_line_no: int) -> list[dict[str, Any]]:
    fields = [f"lines[{i}].sku" for i in range(len(cmd.lines))]
    sku_ids = lookups.sku_ids(conn, [x.sku for x in cmd.lines], fields)
    currency = order["currency"]
    return [{"id": new_id("oln"), "order_id": order["id"], "line_no": next_line_no + i, "sku_id": sku_ids[x.sku],
             "quantity": x.quantity, "cancelled": 0, "fulfilled": 0, "returned": 0,
             "unit_price_minor": parse_amount(x.unit_price, currency, field=f"lines[{i}].unit_price"),
             "discount_minor": 0, "shipping_minor": 0,
             "tax_minor": parse_amount(x.tax, currency, field=f"lines[{i}].tax")}
            for i, x in enumerate(cmd.lines)]


def _source(conn: Connection, order: Row, method: FulfillmentMethod, items: list[Units], *, trigger: str,
            policy: FulfillmentPolicy | None) -> None:
    """Source, reserve and book ``items`` for the order's delivery; refused (InsufficientStock) as a whole."""
    channel = catalogue.get(conn, "channel", order["channel"])
    if channel is None or not channel["active"]:
        raise Conflict(f"channel {order['channel']} is no longer active", field="channel")
    sku_codes = catalogue.codes_by_id(conn, "sku", [s for _, s, _ in items])
    demand: Counter[int] = Counter()
    for _, sku, q in items:
        demand[sku] += q
    sourced = resourcing.reserve_for(conn, channel, order, method, demand, sku_codes,
                                     resourcing.rejected_by(conn, order))
    per_location = split_by_line(sourced.decision.allocations, items)
    codes = catalogue.codes_by_id(conn, "location", per_location)
    _, _, events = create_fulfillment_orders(conn, order, method, per_location, codes, sku_codes, policy=policy,
                                             transfer_to=(order["delivery"] or {}).get("pickup_location")
                                             if method is FulfillmentMethod.TRANSFER else None)
    outbox.append(conn, events)
    db.insert_decision(conn, order["id"], trigger, sourced.explanation())


def _authorize_ahead(uow: UnitOfWork, who: Principal, cmd: AddLines,
                     checkout: Checkout) -> authorization.Authorization | None:
    """Authorize what the added lines cost on the order's payment, before the write transaction, so that no
    lock waits on the provider; each call has its own provider key (a refused amendment is voided)."""
    with uow.reading() as conn:
        order = db.get_order(conn, cmd.order_id)
        if order is None or not can_see_order(conn, who, order):
            raise NotFound(f"order {cmd.order_id!r} not found", field="order_id")
    paid_with = order["payment"]
    if paid_with is None or (paid_with.get("token") is None and cmd.authorization is None):
        return None
    currency = order["currency"]
    extra = sum(x.quantity * parse_amount(x.unit_price, currency, field=f"lines[{i}].unit_price")
                + parse_amount(x.tax, currency, field=f"lines[{i}].tax") for i, x in enumerate(cmd.lines))
    if extra == 0 or extra > MAX_MINOR:
        return None  # nothing to pay, or refused with the field named inside the transaction
    payment = PaymentInput(paid_with["provider"], None if cmd.authorization else paid_with["token"], cmd.authorization)
    auth = authorization.authorize(checkout.providers, payment, amount_minor=extra, currency=currency,
                                   attempt=f"{order['id']}:{new_id('chg')}", actor=who.actor)
    auth.payment["order_id"] = order["id"]
    return auth


def _record_extra(conn: Connection, order: Row, extra: int, auth: authorization.Authorization | None,
                  number: int) -> None:
    """The added lines' authorization, or the payment hold they need without one."""
    if order["payment"] is None or extra == 0:
        return
    if auth is None or auth.payment["amount_minor"] != extra:
        _payment_hold(conn, order, "the added lines are not authorized: the channel authorized the order itself; "
                                   "send its authorization for the extra amount")
        return
    payments.insert_payments(conn, [auth.payment])
    outbox.append(conn, [auth.event(order["channel_id"], change=number)])
    if auth.payment["status"] != PaymentStatus.SUCCEEDED.value and auth.hold_reason:
        _payment_hold(conn, order, auth.hold_reason)


def _screen(conn: Connection, order: Row, checkout: Checkout) -> None:
    """The fraud rules look at the changed order: a new address abroad or a bigger total may trip them."""
    for hold in fraud.screen_changed(conn, order, checkout.fraud_rules):
        holds.put_on_hold(conn, order, hold)


def _payment_hold(conn: Connection, order: Row, reason: str) -> None:
    holds.put_on_hold(conn, order, holds.hold_row(order["id"], HoldType.PAYMENT.value, reason,
                                                  authorization.SYSTEM_ACTOR))
