"""Returns (RMA): requesting one against the return policy, and the steps of its lifecycle.

Every step runs in one write transaction under the order's lock, checks the transition table
(domain/returns.py; an illegal step is a 409), and records an event ``return.<new status>`` with the actor.
Receiving is in return_receipt.py, refunding in return_refunds.py, the replacement order of an exchange in
exchanges.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import orders as orders_db
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db import returns as db
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.errors import Conflict, InvalidInput, NotFound
from ordermesh.domain.ids import new_id
from ordermesh.domain.money import parse_amount
from ordermesh.domain.returns import ReturnAction, ReturnPolicy, ReturnStatus, next_status, units_spoken_for
from ordermesh.service import exchanges, idempotency, lookups
from ordermesh.service.access import Principal
from ordermesh.service.ordering import Checkout
from ordermesh.service.return_access import desk, locked_return, require_staff, sees_order
from ordermesh.service.return_commands import RequestReturn
from ordermesh.service.return_views import return_view
from ordermesh.service.sourcing import ATTEMPTS, StockTaken
from ordermesh.service.unit_of_work import UnitOfWork

CREATED = 201
Row = Mapping[Any, Any]
A = ReturnAction


@dataclass(frozen=True, slots=True)
class ReturnsSetup:
    """What the returns use cases need besides the request: the policy, and for exchanges and refunds the
    checkout (fulfillment policy, payment providers)."""

    policy: ReturnPolicy = field(default_factory=ReturnPolicy)
    checkout: Checkout = field(default_factory=Checkout)


def emit(conn: Connection, order: Row, status: ReturnStatus, return_id: str, who: Principal, *,
         location_id: int | None = None, **data: Any) -> None:
    outbox.append(conn, [{"type": f"return.{status.value}", "order_id": order["id"], "channel_id": order["channel_id"],
                          "location_id": location_id,
                          "data": {"return_id": return_id, "order_id": order["id"], "status": status.value,
                                   "actor": who.actor, **data}}])


def returnable(conn: Connection, lines: Sequence[Row]) -> dict[str, int]:
    """Per order line: units handed over to the customer that no return holds yet."""
    held: dict[str, int] = defaultdict(int)
    for h in db.holdings(conn, [x["id"] for x in lines]):
        held[h["order_line_id"]] += units_spoken_for(ReturnStatus(h["status"]), h["quantity"], h["received"])
    return {x["id"]: max(0, x["fulfilled"] - held[x["id"]]) for x in lines}


# --- requesting --------------------------------------------------------------------------------------------

def request(uow: UnitOfWork, who: Principal, cmd: RequestReturn, key: str | None, request_hash: str,
            setup: ReturnsSetup | None = None) -> idempotency.Outcome:
    """Open a return for lines of an order (or replay the stored response for ``key``)."""
    require_staff(who, "request returns")
    policy = (setup or ReturnsSetup()).policy
    return idempotency.run(uow, who, key, request_hash, lambda conn: (CREATED, _request(conn, who, cmd, policy)))


def _request(conn: Connection, who: Principal, cmd: RequestReturn, policy: ReturnPolicy) -> dict[str, Any]:
    desk(conn, who)
    order = orders_db.lock_order(conn, cmd.order_id)
    if order is None or not sees_order(who, order):
        raise NotFound(f"order_id: order {cmd.order_id!r} not found", field="order_id")
    lines = {x["id"]: x for x in db.order_lines_with_tags(conn, order["id"])}
    _check_lines(cmd, lines)
    _check_policy(conn, cmd, order, lines, policy)
    _check_quantities(conn, cmd, lines)
    exchange = _exchange(conn, cmd, order["currency"])
    fee = parse_amount(cmd.restocking_fee, order["currency"], field="restocking_fee") if cmd.restocking_fee else 0
    now = utcnow()
    row = {"id": new_id("ret"), "order_id": order["id"], "channel_id": order["channel_id"],
           "status": ReturnStatus.REQUESTED.value, "location_id": None, "exchange": exchange,
           "exchange_order_id": None, "restocking_fee_minor": fee, "refunded_minor": 0, "note": cmd.note,
           "created_by": who.actor, "created_at": now, "updated_at": now}
    db.insert_return(conn, row, [
        {"return_id": row["id"], "order_line_id": x.line_id, "quantity": x.quantity, "reason": x.reason,
         "received": 0, "restocked": 0, "damaged": 0, "returned_to_vendor": 0, "refunded": 0} for x in cmd.lines])
    emit(conn, order, ReturnStatus.REQUESTED, row["id"], who, exchange=exchange,
         lines=[{"line_id": x.line_id, "sku": lines[x.line_id]["sku"], "quantity": x.quantity, "reason": x.reason}
                for x in cmd.lines])
    return return_view(conn, who, row["id"], timeline=False)


def _check_lines(cmd: RequestReturn, lines: Mapping[str, Row]) -> None:
    seen: set[str] = set()
    for i, x in enumerate(cmd.lines):
        if x.line_id not in lines:
            raise InvalidInput(f"lines[{i}].line_id: {x.line_id!r} is not a line of order {cmd.order_id}",
                               field=f"lines[{i}].line_id")
        if x.line_id in seen:
            raise InvalidInput(f"lines[{i}].line_id: line {x.line_id} is named twice; give its units once",
                               field=f"lines[{i}].line_id")
        seen.add(x.line_id)


def _check_policy(conn: Connection, cmd: RequestReturn, order: Row, lines: Mapping[str, Row],
                  policy: ReturnPolicy) -> None:
    handed_over = db.handed_over_at(conn, order["id"])
    now = utcnow()
    for i, x in enumerate(cmd.lines):
        line = lines[x.line_id]
        policy.check_line(field=f"lines[{i}].line_id", channel=order["channel"], sku=line["sku"],
                          sku_tags=line["sku_tags"] or [], handed_over_at=handed_over.get(x.line_id), now=now)


def _check_quantities(conn: Connection, cmd: RequestReturn, lines: Mapping[str, Row]) -> None:
    left = returnable(conn, list(lines.values()))
    for i, x in enumerate(cmd.lines):
        line = lines[x.line_id]
        if x.quantity > left[x.line_id]:
            raise Conflict(
                f"lines[{i}].quantity: {x.quantity} units of {line['sku']} asked back, but only {left[x.line_id]} "
                f"can be returned ({line['fulfilled']} reached the customer, the rest are in other returns)",
                field=f"lines[{i}].quantity", sku=line["sku"], returnable=left[x.line_id])


def _exchange(conn: Connection, cmd: RequestReturn, currency: str) -> dict[str, Any] | None:
    """The replacement lines, checked now (an unknown SKU is refused at request time, not at authorize)."""
    if not cmd.exchange:
        return None
    codes = [x.sku for x in cmd.exchange]
    lookups.sku_ids(conn, codes, [f"exchange.lines[{i}].sku" for i in range(len(codes))])
    for i, x in enumerate(cmd.exchange):
        if x.unit_price is not None:
            parse_amount(x.unit_price, currency, field=f"exchange.lines[{i}].unit_price")
    return {"lines": [{"sku": x.sku, "quantity": x.quantity, "unit_price": x.unit_price} for x in cmd.exchange]}


# --- lifecycle steps ---------------------------------------------------------------------------------------

Apply = Callable[[Connection, RowMapping, RowMapping], dict[str, Any]]


def _step(uow: UnitOfWork, who: Principal, return_id: str, action: ReturnAction, apply: Apply,
          **event: Any) -> dict[str, Any]:
    require_staff(who, f"{action.value} returns")
    with uow.writing() as conn:
        desk(conn, who)
        order, ret = locked_return(conn, who, return_id)
        to_status = next_status(ReturnStatus(ret["status"]), action)
        values = apply(conn, order, ret)
        db.update_return(conn, ret["id"], status=to_status.value, **values)
        emit(conn, order, to_status, ret["id"], who, location_id=ret["location_id"],
             **{"from": ret["status"], **values, **event})
        return return_view(conn, who, return_id)


def authorize(uow: UnitOfWork, who: Principal, return_id: str, setup: ReturnsSetup | None = None) -> dict[str, Any]:
    """Accept the return; an exchange's replacement order is placed now, its stock reserved."""
    checkout = (setup or ReturnsSetup()).checkout

    def apply(conn: Connection, order: RowMapping, ret: RowMapping) -> dict[str, Any]:
        if not ret["exchange"]:
            return {}
        return {"exchange_order_id": exchanges.place(conn, who, order, ret, checkout)}

    refusal: Conflict = Conflict("the replacement order could not be placed for concurrent changes; retry",
                                 field="return_id")
    for _ in range(ATTEMPTS):  # a concurrent order took the replacement's stock: decide again, on fresh numbers
        try:
            return _step(uow, who, return_id, A.AUTHORIZE, apply)
        except StockTaken as exc:
            refusal = exc.refusal()
        except exchanges.Replan:
            continue
    raise refusal


def reject(uow: UnitOfWork, who: Principal, return_id: str, reason: str) -> dict[str, Any]:
    def apply(conn: Connection, order: RowMapping, ret: RowMapping) -> dict[str, Any]:
        _call_off_exchange(conn, ret, reason=f"return {ret['id']} rejected")
        note = f"{ret['note']} | rejected: {reason}" if ret["note"] else reason
        return {"note": note[:500]}

    return _step(uow, who, return_id, A.REJECT, apply, reason=reason)


def close(uow: UnitOfWork, who: Principal, return_id: str) -> dict[str, Any]:
    def apply(conn: Connection, order: RowMapping, ret: RowMapping) -> dict[str, Any]:
        _call_off_exchange(conn, ret, reason=f"return {ret['id']} closed without the goods")
        return {}

    return _step(uow, who, return_id, A.CLOSE, apply)


def settle_by_exchange(uow: UnitOfWork, who: Principal, return_id: str) -> dict[str, Any]:
    """The received units pay for the replacement order: no refund."""
    def apply(conn: Connection, order: RowMapping, ret: RowMapping) -> dict[str, Any]:
        if not ret["exchange_order_id"]:
            raise Conflict(f"return {ret['id']} has no exchange order; refund or close it instead", field="action")
        return {}

    return _step(uow, who, return_id, A.EXCHANGE, apply)


def _call_off_exchange(conn: Connection, ret: Row, *, reason: str) -> None:
    """Only before anything came back: once units are received, the replacement is theirs."""
    if ret["exchange_order_id"] and ReturnStatus(ret["status"]) is ReturnStatus.AUTHORIZED:
        exchanges.call_off(conn, ret["exchange_order_id"], reason=reason)
