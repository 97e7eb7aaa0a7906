"""Changing a captured order: cancellation (whole or by line quantities) and holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db import outbox
from ordermesh.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ordermesh.domain.orders import HoldType
from ordermesh.domain.payments import PaymentProvider
from ordermesh.service import holds, payments
from ordermesh.service.access import Principal, Role
from ordermesh.service.allocation import refresh_status
from ordermesh.service.commands import CancelOrder
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import can_see_order, order_view
from ordermesh.service.withdrawal import withdraw


def locked_order(conn: Connection, who: Principal, order_id: str) -> RowMapping:
    order = db.lock_order(conn, order_id)
    if order is None or not can_see_order(conn, who, order):
        raise NotFound(f"order {order_id!r} not found", field="order_id")
    return order


def cancel(uow: UnitOfWork, who: Principal, cmd: CancelOrder,
           providers: Mapping[str, PaymentProvider] | None = None) -> dict[str, Any]:
    who.require(Role.CHANNEL, action="cancel orders")
    with uow.writing() as conn:
        order = locked_order(conn, who, cmd.order_id)
        lines = {x["id"]: x for x in db.lines_of(conn, order["id"])}
        wanted = _wanted(cmd, lines)
        if not wanted:
            raise Conflict(f"order {order['id']} has nothing left to cancel (it is {order['status']})",
                           field="order_id", order_status=order["status"])
        withdraw(conn, order, wanted, reason=cmd.reason or "cancelled")
        for line_id, q in wanted.items():
            db.add_to_line(conn, line_id, cancelled=q)
        whole = cmd.lines is None
        number = db.record_change(conn, order["id"], "cancel_lines", who.actor, {
            "whole_order": whole, "reason": cmd.reason,
            "lines": [{"line_id": k, "quantity": v} for k, v in wanted.items()]})
        outbox.append(conn, [{"type": "order.cancelled" if whole else "order.lines_cancelled",
                              "order_id": order["id"], "channel_id": order["channel_id"],
                              "data": {"order_id": order["id"], "reason": cmd.reason, "actor": who.actor,
                                       "change": number,
                                       "lines": [{"line_id": k, "quantity": v} for k, v in wanted.items()]}}])
        refresh_status(conn, order)
        voids = payments.void_if_cancelled(conn, order, actor=who.actor)  # nothing left to ship or capture
        view = order_view(conn, who, order["id"], public_url=uow.public_url)
    if not voids or not providers:
        return view  # without providers, the background settler voids it
    payments.settle(uow, providers, voids)
    with uow.reading() as conn:
        return order_view(conn, who, cmd.order_id, public_url=uow.public_url)


def _wanted(cmd: CancelOrder, lines: dict[str, RowMapping]) -> dict[str, int]:
    def open_units(x: RowMapping) -> int:
        return int(x["quantity"] - x["cancelled"] - x["fulfilled"])

    if cmd.lines is None:
        return {k: open_units(x) for k, x in lines.items() if open_units(x) > 0}
    wanted: dict[str, int] = {}
    for i, c in enumerate(cmd.lines):
        field = f"lines[{i}]"
        line = lines.get(c.line_id)
        if line is None:
            raise InvalidInput(f"{field}.line_id: {c.line_id!r} is not a line of this order", field=f"{field}.line_id")
        total = wanted.get(c.line_id, 0) + c.quantity
        if total > open_units(line):
            raise Conflict(f"{field}.quantity: line {c.line_id} ({line['sku']}) has only {open_units(line)} "
                           f"open units", field=f"{field}.quantity", sku=line["sku"])
        wanted[c.line_id] = total
    return wanted


REVIEWED = frozenset({HoldType.FRAUD.value, HoldType.PAYMENT.value})


def place_hold(uow: UnitOfWork, who: Principal, order_id: str, hold_type: str, reason: str) -> dict[str, Any]:
    who.require(Role.CHANNEL, action="hold orders")
    try:
        kind = HoldType(hold_type)
    except ValueError:
        raise InvalidInput(f"type must be one of {', '.join(h.value for h in HoldType)}", field="type") from None
    with uow.writing() as conn:
        order = locked_order(conn, who, order_id)
        if order["status"] in ("cancelled", "completed", "fulfilled"):
            raise Conflict(f"order {order_id} is {order['status']} and cannot be held", field="order_id")
        holds.put_on_hold(conn, order, holds.hold_row(order_id, kind.value, reason, who.actor))
        refresh_status(conn, order)
        return order_view(conn, who, order_id, public_url=uow.public_url)


def release_hold(uow: UnitOfWork, who: Principal, order_id: str, hold_id: str) -> dict[str, Any]:
    who.require(Role.CHANNEL, action="release holds")
    with uow.writing() as conn:
        order = locked_order(conn, who, order_id)
        hold = next((h for h in db.holds_of(conn, order_id) if h["id"] == hold_id), None)
        if hold is not None and hold["type"] in REVIEWED and str(hold["created_by"]).startswith("system:") \
                and who.role is not Role.ADMIN:
            # The fraud rules and the payment provider put these on: a channel releasing them would defeat
            # the review they stand for.
            raise Forbidden(f"hold {hold_id} ({hold['type']}) was placed by {hold['created_by']}; only an admin "
                            "may release it")
        if not db.release_hold(conn, hold_id, order_id, who.actor):
            if hold is None:
                raise NotFound(f"hold {hold_id!r} not found on order {order_id}", field="hold_id")
            raise Conflict(f"hold {hold_id} is already released", field="hold_id")
        outbox.append(conn, [holds.released_event(order, hold_id, who.actor)])
        refresh_status(conn, order)
        return order_view(conn, who, order_id, public_url=uow.public_url)
