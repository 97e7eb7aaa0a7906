"""Store and warehouse work on fulfillment orders: every action checked against one transition table."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.stock_moves import send
from ordermesh.domain.errors import DomainError, Forbidden, InvalidInput, NotFound, OrderOnHold, PickupCodeRejected
from ordermesh.domain.fulfillment import (
    ALLOWED_WHILE_ON_HOLD,
    FulfillmentAction,
    FulfillmentMethod,
    FulfillmentPolicy,
    FulfillmentStatus,
    next_status,
)
from ordermesh.domain.payments import PaymentProvider
from ordermesh.domain.picking import check_parcels
from ordermesh.service import payments, pickup, rejection
from ordermesh.service.access import Principal, Role
from ordermesh.service.allocation import refresh_status
from ordermesh.service.commands import FulfillmentStep
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso, render_fulfillment_order
from ordermesh.service.withdrawal import call_off, close, lines_of_fulfillment, whole

A = FulfillmentAction
Row = Mapping[Any, Any]
log = logging.getLogger("ordermesh.fulfillment")


def act(uow: UnitOfWork, who: Principal, step: FulfillmentStep, policy: FulfillmentPolicy | None = None,
        providers: Mapping[str, PaymentProvider] | None = None) -> dict[str, Any]:
    policy = policy or FulfillmentPolicy()
    action = A(step.action)
    who.require(Role.LOCATION, action=f"{action.value} fulfillment orders")
    refused: PickupCodeRejected | None = None
    unfound: list[rejection.Unfound] = []
    with uow.writing() as conn:
        order, fo = _locked(conn, who, step.fulfillment_order_id, action)
        to_status = next_status(FulfillmentStatus(fo["status"]), action, FulfillmentMethod(fo["method"]))
        if action is A.PICKUP:
            refused = pickup.check_code(conn, fo, step.code)
        if refused is None:
            unfound = _apply(conn, who, order, fo, action, to_status, step, policy)
            refresh_status(conn, order)
        result = render_fulfillment_order(_visible(conn, who, fo["id"]), db.fulfillment_lines_of(conn, [fo["id"]]),
                                          show_code=who.role is not Role.LOCATION)
    if refused is not None:
        raise refused  # raised after commit, so the failed attempt stays counted
    if action in (A.SHIP, A.PICKUP) and providers:  # the hand-over's capture, once it is committed
        payments.settle_capture_of(uow, providers, fo["id"])
    for other in unfound:
        try:
            rejection.resource_unfound(uow, other, policy)
        except DomainError as exc:  # this rejection stands; the other order stays where it is, for its store
            log.warning("could not re-source %s after %s was not found: %s", other.fulfillment_order_id,
                        other.because, exc.detail)
    return result


def _locked(conn: Connection, who: Principal, fo_id: str, action: A) -> tuple[RowMapping, RowMapping]:
    """The order (locked: every change to one order is serialised on it) and the fulfillment order."""
    fo = _visible(conn, who, fo_id)
    order = db.lock_order(conn, fo["order_id"])
    fo = _visible(conn, who, fo_id)  # re-read under the order lock
    if order is None:
        raise NotFound(f"fulfillment order {fo_id!r} not found", field="fulfillment_order_id")
    if who.role is Role.LOCATION and fo["location"] != who.scope and action is not A.DELIVER:
        raise Forbidden("a store may only mark a transfer to it delivered (received)")
    if action not in ALLOWED_WHILE_ON_HOLD and db.has_active_hold(conn, order["id"]):
        raise OrderOnHold(f"order {order['id']} is on hold; release its holds before fulfilling it",
                          field="order_id")
    return order, fo


def _visible(conn: Connection, who: Principal, fo_id: str) -> RowMapping:
    """A location key sees its own fulfillment orders and the transfers coming to it."""
    fo = db.get_fulfillment_order(conn, fo_id)
    if fo is not None and who.role is Role.LOCATION:
        mine = fo["location"] == who.scope or (fo["details"] or {}).get("transfer_to") == who.scope
        fo = fo if mine else None
    if fo is None:
        raise NotFound(f"fulfillment order {fo_id!r} not found", field="fulfillment_order_id")
    return fo


Step = Callable[[Connection, Row, Row, FulfillmentStep, FulfillmentPolicy], dict[str, Any]]


def _apply(conn: Connection, who: Principal, order: Row, fo: Row, action: A, to_status: FulfillmentStatus,
           step: FulfillmentStep, policy: FulfillmentPolicy) -> list[rejection.Unfound]:
    if action is A.REJECT:
        return rejection.reject(conn, order, fo, step.reason, step.skus, actor=who.actor, policy=policy)
    if action in (A.CANCEL, A.EXPIRE):
        call_off(conn, order, fo, to_status, reason=action.value)
        return []
    details = _STEPS.get(action, _nothing)(conn, order, fo, step, policy)
    close(conn, order, fo, to_status, reason=action.value, details={f"{to_status.value}_by": who.actor, **details})
    return []


def _nothing(conn: Connection, order: Row, fo: Row, step: FulfillmentStep, policy: FulfillmentPolicy) -> dict[str, Any]:
    return {}


def _pick(conn: Connection, order: Row, fo: Row, step: FulfillmentStep, policy: FulfillmentPolicy) -> dict[str, Any]:
    return rejection.short_pick(conn, order, fo, step.found or (), policy) if step.found else {}


def _pack(conn: Connection, order: Row, fo: Row, step: FulfillmentStep, policy: FulfillmentPolicy) -> dict[str, Any]:
    if step.parcels is None:
        return {}
    check_parcels(step.parcels, whole(lines_of_fulfillment(conn, fo["id"])))
    return {"parcels": [{"weight_grams": p.weight_grams,
                         "items": None if p.items is None else [{"order_line_id": x.line_id, "quantity": x.quantity}
                                                                for x in p.items]}
                        for p in step.parcels]}


def _ship(conn: Connection, order: Row, fo: Row, step: FulfillmentStep, policy: FulfillmentPolicy) -> dict[str, Any]:
    if not step.carrier or not step.tracking_number:
        raise InvalidInput(f"{'carrier' if not step.carrier else 'tracking_number'}: carrier and tracking_number "
                           "are required to ship", field="carrier" if not step.carrier else "tracking_number")
    if FulfillmentMethod(fo["method"]) is FulfillmentMethod.TRANSFER:
        items = lines_of_fulfillment(conn, fo["id"])
        send(conn, [StockChange(x["sku_id"], fo["location_id"], x["quantity"]) for x in items],
             source=f"fulfillment:{fo['id']}", reason=f"transfer to {fo['details']['transfer_to']}")
    else:
        _hand_over(conn, order, fo)
    return {"carrier": step.carrier, "tracking_number": step.tracking_number, "shipped_at": iso(utcnow())}


def _deliver(conn: Connection, order: Row, fo: Row, step: FulfillmentStep, policy: FulfillmentPolicy) -> dict[str, Any]:
    if FulfillmentMethod(fo["method"]) is FulfillmentMethod.TRANSFER:
        return {"pickup_fulfillment_order": pickup.receive_transfer(conn, order, fo, policy)}
    return {}


def _ready(conn: Connection, order: Row, fo: Row, step: FulfillmentStep, policy: FulfillmentPolicy) -> dict[str, Any]:
    db.update_fulfillment_order(conn, fo["id"], pickup_expires_at=policy.collect_by(utcnow()))
    return {}


def _arrive(conn: Connection, order: Row, fo: Row, step: FulfillmentStep, policy: FulfillmentPolicy) -> dict[str, Any]:
    if not step.spot:
        raise InvalidInput("spot: say where the customer is waiting (a parking spot or bay)", field="spot")
    return {"spot": step.spot, "arrived_at": iso(utcnow())}


def _collect(conn: Connection, order: Row, fo: Row, step: FulfillmentStep, policy: FulfillmentPolicy) -> dict[str, Any]:
    _hand_over(conn, order, fo)
    return {}


def _hand_over(conn: Connection, order: Row, fo: Row) -> None:
    """Shipped or picked up: the units leave the location's stock, count as fulfilled and are charged."""
    items = lines_of_fulfillment(conn, fo["id"])
    payments.capture_handed_over(conn, order, fo, items)  # before ``fulfilled`` moves: see payments.py
    stock.issue(conn, [StockChange(x["sku_id"], fo["location_id"], x["quantity"]) for x in items],
                source=f"fulfillment:{fo['id']}")
    for x in items:
        db.add_to_line(conn, x["order_line_id"], fulfilled=x["quantity"])


_STEPS: dict[A, Step] = {A.PICK: _pick, A.PACK: _pack, A.SHIP: _ship, A.DELIVER: _deliver, A.READY: _ready,
                         A.ARRIVE: _arrive, A.PICKUP: _collect}


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
