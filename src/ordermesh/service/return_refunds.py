"""Refunding a return's received units through the payment provider: a step of its own, apart from receiving.

What the units are worth is each line's merchandise — its price after its share of the order discount,
with its share of the tax; shipping stays — unit by unit in order across all returns of the line
(``LineMoney.refund_units``), so returning a line one unit at a time refunds exactly what it cost. Less
the restocking fee; never more than the order's captured money not yet refunded (``payments``).

The refund is written ``pending`` in the transaction that decides it, together with the return's new
state; the provider is asked after the commit (service/settlement.py), under a key that makes a retry
move the money once. A refund above what may be refunded is refused before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import orders as orders_db
from ordermesh.adapters.db import returns as db
from ordermesh.domain.errors import Conflict, InvalidInput
from ordermesh.domain.money import format_amount, parse_amount
from ordermesh.domain.returns import ReturnAction, ReturnStatus, UnitsToRefund, next_status, refund_value
from ordermesh.service import idempotency, payments
from ordermesh.service.access import Principal
from ordermesh.service.return_access import desk, locked_return, require_staff
from ordermesh.service.return_commands import RefundReturn
from ordermesh.service.return_views import return_view
from ordermesh.service.returns import ReturnsSetup, emit
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import line_money

OK = 200


def refund(uow: UnitOfWork, who: Principal, cmd: RefundReturn, key: str | None, request_hash: str,
           setup: ReturnsSetup | None = None) -> idempotency.Outcome:
    """Refund the received units not refunded yet; the provider is asked once the decision is committed.

    The response shows the refund as the provider answered it; a replay shows it as first decided.
    """
    require_staff(who, "refund returns")
    providers = (setup or ReturnsSetup()).checkout.providers
    asked: list[str] = []

    def work(conn: Connection) -> tuple[int, dict[str, Any]]:
        return OK, _refund(conn, who, cmd, asked)

    outcome = idempotency.run(uow, who, key, request_hash, work)
    if outcome.replayed or not asked:
        return outcome
    payments.settle(uow, providers, asked)
    with uow.reading() as conn:
        return idempotency.Outcome(outcome.status_code, return_view(conn, who, cmd.return_id, timeline=False))


def _refund(conn: Connection, who: Principal, cmd: RefundReturn, asked: list[str]) -> dict[str, Any]:
    desk(conn, who)
    order, ret = locked_return(conn, who, cmd.return_id)
    next_status(ReturnStatus(ret["status"]), ReturnAction.REFUND)
    if ret["exchange_order_id"] and _exchange_stands(conn, ret["exchange_order_id"]):
        raise Conflict(f"return {ret['id']} is settled by its exchange order {ret['exchange_order_id']}; "
                       "use exchange, not refund", field="action")
    currency = order["currency"]
    worth = refund_value(_units(conn, db.lines_of(conn, [ret["id"]])))
    fee = (parse_amount(cmd.restocking_fee, currency, field="restocking_fee") if cmd.restocking_fee is not None
           else ret["restocking_fee_minor"])
    if fee > worth:
        raise InvalidInput(f"restocking_fee: {format_amount(fee, currency)} is more than the received units are "
                           f"worth ({format_amount(worth, currency)})", field="restocking_fee")
    amount = _amount(conn, cmd, order, worth - fee)
    payment_id = None
    if amount:
        payment = payments.refund(conn, order, amount, actor=who.actor, reason=f"return {ret['id']}",
                                  return_id=ret["id"])
        payment_id = payment["id"]
        asked.append(payment_id)
    db.mark_refunded(conn, ret["id"])
    db.update_return(conn, ret["id"], status=ReturnStatus.REFUNDED.value, restocking_fee_minor=fee,
                     refunded_minor=ret["refunded_minor"] + amount)
    emit(conn, order, ReturnStatus.REFUNDED, ret["id"], who, location_id=ret["location_id"], payment_id=payment_id,
         amount=format_amount(amount, currency), restocking_fee=format_amount(fee, currency), currency=currency,
         **{"from": ret["status"]})
    return return_view(conn, who, ret["id"], timeline=False)


def _units(conn: Connection, lines: Sequence[RowMapping]) -> list[UnitsToRefund]:
    """Each line's received units not refunded yet, after the units of that order line refunded before
    (by this return or another)."""
    refunded_before: dict[str, int] = defaultdict(int)
    for h in db.holdings(conn, [x["order_line_id"] for x in lines]):
        refunded_before[h["order_line_id"]] += h["refunded"]
    return [UnitsToRefund(line_money({**x, "quantity": x["ordered"]}), refunded_before[x["order_line_id"]],
                          x["received"] - x["refunded"]) for x in lines]


def _amount(conn: Connection, cmd: RefundReturn, order: RowMapping, due: int) -> int:
    """The amount asked for, or by default what is due capped at what the order may still refund."""
    currency = order["currency"]
    if cmd.amount is None:
        refundable = payments.refundable_minor(conn, order["id"])
        if due and not refundable:
            raise Conflict(f"amount: order {order['id']} has no captured payment left to refund "
                           f"({format_amount(due, currency)} due); refund outside Ordermesh and close the return",
                           field="amount", due=format_amount(due, currency))
        return min(due, refundable)
    amount = parse_amount(cmd.amount, currency, field="amount")
    if amount == 0:
        raise InvalidInput("amount: a refund must be more than 0; close the return to settle it without one",
                           field="amount")
    if amount > due:
        raise InvalidInput(f"amount: {format_amount(amount, currency)} is more than the received units are worth "
                           f"after the restocking fee ({format_amount(due, currency)})", field="amount",
                           due=format_amount(due, currency))
    return amount


def _exchange_stands(conn: Connection, exchange_order_id: str) -> bool:
    """An exchange whose replacement order was cancelled (no stock after all, called off) settles nothing:
    the customer gets the money back instead."""
    replacement = orders_db.get_order(conn, exchange_order_id)
    return replacement is not None and replacement["status"] != "cancelled"
