"""Store and warehouse work on fulfillment orders: every action checked against one transition table."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue, outbox
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock, InvalidInput, NotFound, OrderOnHold, PickupCodeRejected
from ordermesh.domain.fulfillment import (
    ALLOWED_WHILE_ON_HOLD,
    MAX_PICKUP_ATTEMPTS,
    FulfillmentAction,
    FulfillmentStatus,
    RejectReason,
    next_status,
)
from ordermesh.service import sourcing
from ordermesh.service.access import Principal, Role
from ordermesh.service.allocation import create_fulfillment_orders, refresh_status, split_by_line
from ordermesh.service.commands import FulfillmentStep
from ordermesh.service.order_changes import locked_order
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import render_fulfillment_order
from ordermesh.service.withdrawal import close, lines_of_fulfillment, whole, withdraw

A = FulfillmentAction


def act(uow: UnitOfWork, who: Principal, step: FulfillmentStep) -> dict[str, Any]:
    action = A(step.action)
    who.require(Role.LOCATION, action=f"{action.value} fulfillment orders")
    refused: PickupCodeRejected | None = None
    with uow.writing() as conn:
        fo = _visible(conn, who, step.fulfillment_order_id)
        order = locked_order(conn, _as_admin(who), fo["order_id"])
        fo = _visible(conn, who, step.fulfillment_order_id)  # re-read under the order lock
        status, method = FulfillmentStatus(fo["status"]), DeliveryMethod(fo["method"])
        if action not in ALLOWED_WHILE_ON_HOLD and db.has_active_hold(conn, order["id"]):
            raise OrderOnHold(f"order {order['id']} is on hold; release its holds before fulfilling it",
                              field="order_id")
        to_status = next_status(status, action, method)
        if action is A.PICKUP:
            refused = _check_code(conn, fo, step.code)
        if refused is None:
            _apply(conn, who, order, fo, action, to_status, step)
            refresh_status(conn, order)
        result = render_fulfillment_order(_visible(conn, who, fo["id"]), db.fulfillment_lines_of(conn, [fo["id"]]),
                                          show_code=who.role is not Role.LOCATION)
    if refused is not None:
        raise refused  # raised after commit, so the failed attempt stays counted
    return result


def _as_admin(who: Principal) -> Principal:
    return Principal(who.key_id, Role.ADMIN)


def _visible(conn: Connection, who: Principal, fo_id: str) -> RowMapping:
    fo = db.get_fulfillment_order(conn, fo_id)
    if fo is None or (who.role is Role.LOCATION and fo["location"] != who.scope):
        raise NotFound(f"fulfillment order {fo_id!r} not found", field="fulfillment_order_id")
    return fo


def _check_code(conn: Connection, fo: RowMapping, code: str | None) -> PickupCodeRejected | None:
    if fo["pickup_attempts"] >= MAX_PICKUP_ATTEMPTS:
        return PickupCodeRejected("too many wrong pickup codes; this pickup is locked, ask the customer for ID "
                                  "and contact support", field="code", locked=True)
    if code is not None and code == fo["pickup_code"]:
        return None
    attempts = fo["pickup_attempts"] + 1
    db.update_fulfillment_order(conn, fo["id"], pickup_attempts=attempts)
    return PickupCodeRejected(f"code: wrong pickup code ({MAX_PICKUP_ATTEMPTS - attempts} attempts left)",
                              field="code", attempts_left=MAX_PICKUP_ATTEMPTS - attempts)


def _apply(conn: Connection, who: Principal, order: RowMapping, fo: RowMapping, action: A,
           to_status: FulfillmentStatus, step: FulfillmentStep) -> None:
    details: dict[str, Any] = {f"{to_status.value}_by": who.actor}
    if action is A.SHIP:
        if not step.carrier or not step.tracking_number:
            raise InvalidInput("carrier and tracking_number are required to ship",
                               field="carrier" if not step.carrier else "tracking_number")
        details |= {"carrier": step.carrier, "tracking_number": step.tracking_number}
    if action is A.ARRIVE:
        details["spot"] = step.spot
    if action in (A.SHIP, A.PICKUP):
        _hand_over(conn, order, fo)
    if action in (A.CANCEL, A.EXPIRE):
        taken = withdraw(conn, order, whole(lines_of_fulfillment(conn, fo["id"])), reason=action.value,
                         close_as=to_status)
        for line_id, _, q in taken.get(fo["id"], []):
            db.add_to_line(conn, line_id, cancelled=q)
        return
    if action is A.REJECT:
        _reject(conn, order, fo, step.reason)
        return
    close(conn, order, fo, to_status, reason=action.value, details=details)


def _hand_over(conn: Connection, order: RowMapping, fo: RowMapping) -> None:
    """Shipped or picked up: the units leave the location's stock and count as fulfilled."""
    items = lines_of_fulfillment(conn, fo["id"])
    stock.issue(conn, [StockChange(x["sku_id"], fo["location_id"], x["quantity"]) for x in items],
                source=f"fulfillment:{fo['id']}")
    for x in items:
        db.add_to_line(conn, x["order_line_id"], fulfilled=x["quantity"])


def _reject(conn: Connection, order: RowMapping, fo: RowMapping, reason: str | None) -> None:
    try:
        code = RejectReason(reason or "")
    except ValueError:
        raise InvalidInput(f"reason must be one of {', '.join(r.value for r in RejectReason)}",
                           field="reason") from None
    items = lines_of_fulfillment(conn, fo["id"])
    withdraw(conn, order, whole(items), reason=f"rejected:{code.value}", close_as=FulfillmentStatus.REJECTED)
    db.update_fulfillment_order(conn, fo["id"], details={**(fo["details"] or {}), "reject_reason": code.value})
    if code is RejectReason.NOT_FOUND:
        _write_off_unfound(conn, fo, {x["sku_id"]: x["sku"] for x in items})
    resource(conn, order, fo, items)


def _write_off_unfound(conn: Connection, fo: RowMapping, skus: dict[int, str]) -> None:
    """"Not found" means the store's count was wrong: nothing more of those SKUs is offered there.

    On hand drops to what other orders still hold (it cannot go below reserved); a recount restores it.
    """
    for sku_id, sku in sorted(skus.items()):
        position = stock.lock_position(conn, sku_id, fo["location_id"])
        delta = position["reserved"] - position["on_hand"]
        if delta < 0:
            stock.set_position(conn, sku_id, fo["location_id"], on_hand=position["reserved"])
            stock.record(conn, [(StockChange(sku_id, fo["location_id"], -delta), "adjust", delta, 0)],
                         source=f"fulfillment:{fo['id']}", reason="not found when rejected")
            outbox.append(conn, [{"type": "inventory.moved", "location_id": fo["location_id"],
                                  "data": {"sku": sku, "location": fo["location"], "type": "adjust",
                                           "delta": delta, "on_hand": position["reserved"],
                                           "reason": "not found when rejected"}}])


def resource(conn: Connection, order: RowMapping, fo: RowMapping, items: list[Any]) -> None:
    """Send rejected units elsewhere, never back to a location that rejected them; cancel what cannot be."""
    method = DeliveryMethod(fo["method"])
    channel = catalogue.get(conn, "channel", order["channel"])
    sku_codes = catalogue.codes_by_id(conn, "sku", [x["sku_id"] for x in items])
    demand: Counter[int] = Counter()
    for x in items:
        demand[x["sku_id"]] += x["quantity"]
    rejected_at = {f["location_id"]: f"rejected this order ({(f['details'] or {}).get('reject_reason', 'other')})"
                   for f in db.fulfillment_orders_of(conn, order["id"]) if f["status"] == "rejected"}
    rejected_at[fo["location_id"]] = "rejected this order"
    address = (order["delivery"] or {}).get("address") or {}
    destination = (address["latitude"], address["longitude"]) if address.get("latitude") is not None else None
    try:
        if method.at_chosen_store or channel is None:
            raise InsufficientStock("the customer chose this store", skus=sorted(sku_codes.values()))
        decision = sourcing.reserve_best(conn, channel, demand, method=method, destination=destination,
                                         sku_codes=sku_codes, source=f"order:{order['id']}", excluded=rejected_at)
    except InsufficientStock as refusal:
        for x in items:
            db.add_to_line(conn, x["order_line_id"], cancelled=x["quantity"])
        outbox.append(conn, [{"type": "order.lines_cancelled", "order_id": order["id"],
                              "channel_id": order["channel_id"],
                              "data": {"order_id": order["id"], "reason": "no_stock_after_rejection",
                                       "detail": refusal.detail,
                                       "lines": [{"line_id": x["order_line_id"], "quantity": x["quantity"]}
                                                 for x in items]}}])
        return
    per_location = split_by_line(decision.allocations, [(x["order_line_id"], x["sku_id"], x["quantity"])
                                                        for x in items])
    codes = catalogue.codes_by_id(conn, "location", per_location)
    _, _, events = create_fulfillment_orders(conn, order, method, per_location, codes, sku_codes)
    outbox.append(conn, events)
    db.insert_decision(conn, order["id"], f"rejected:{fo['id']}", decision.explanation())


def list_page(uow: UnitOfWork, who: Principal, *, location: str | None, status: str | None,
              cursor: str | None, limit: int) -> dict[str, Any]:
    with uow.reading() as conn:
        location_id = channel_id = None
        if who.role is Role.LOCATION:
            location = location or who.scope
        if location is not None:
            who.check_location(location)
            found = catalogue.ids_by_code(conn, "location", [location], active_only=False)
            if location not in found:
                raise InvalidInput(f"location: unknown location {location!r}", field="location")
            location_id = found[location]
        if who.role is Role.CHANNEL:
            scope = who.scope or ""
            channel_id = catalogue.ids_by_code(conn, "channel", [scope], active_only=False).get(scope)
        rows = db.page_fulfillment_orders(conn, location_id=location_id, status=status, channel_id=channel_id,
                                          after=cursor, limit=limit + 1)
        page = rows[:limit]
        lines = db.fulfillment_lines_of(conn, [r["id"] for r in page])
        items = [render_fulfillment_order(r, [x for x in lines if x["fulfillment_order_id"] == r["id"]],
                                          show_code=who.role is not Role.LOCATION) for r in page]
    return {"items": items, "next_cursor": page[-1]["id"] if len(rows) > limit else None}


def get(uow: UnitOfWork, who: Principal, fo_id: str) -> dict[str, Any]:
    with uow.reading() as conn:
        fo = _visible(conn, who, fo_id)
        if who.role is Role.CHANNEL:
            order = db.get_order(conn, fo["order_id"])
            if order is None or order["channel"] != who.scope:
                raise NotFound(f"fulfillment order {fo_id!r} not found", field="fulfillment_order_id")
        return render_fulfillment_order(fo, db.fulfillment_lines_of(conn, [fo_id]),
                                        show_code=who.role is not Role.LOCATION)
