"""An order's money after capture: a capture per hand-over, a void on cancellation, refunds, retries.

Each flow writes a ``pending`` payments row in the transaction that decides it, under a provider key
that names what it is for (``capture:{fulfillment order}``, ``void:{authorization key}``,
``refund:{payment}``, ``auth:{payment}``); ``settlement.settle`` asks the provider after the commit.
See settlement.py for what happens when the provider declines or does not answer.

- **Capture per fulfillment**: when a fulfillment order is shipped (or delivered locally) or picked up,
  its units are charged: for each line, the all-in amount (goods after discount, tax and the line's
  shipping share) of exactly the units handed over, counted on from the units of that line already
  fulfilled. So the captures of all fulfillment orders add up to what the fulfilled units cost, to the
  minor unit, and a fully fulfilled order is captured at exactly its total.
- **Void**: when an order is cancelled entirely before anything was captured, its authorization is
  voided (generally: once nothing is left to ship, every authorization nothing was captured on). A
  partial cancellation only leaves less to capture (the provider releases the rest of the authorization
  once the order's last capture is done, or lets it lapse).
- **Refund**: at most what was captured less what was refunded or is being refunded.
- **Retry**: settle what is pending now, or authorize again what the order's standing authorizations no
  longer cover (a failed or voided authorization).

Lines added to an order later are authorized on their own (amendments.py), so an order may have several
authorizations. A capture or refund takes from them oldest first, each up to what it has left; when one
is not enough the payment is split into parts with keys ``{key}:2``, ``{key}:3``…, which ``settle`` of the
first part settles too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import orders as orders_db
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db import payments as db
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.errors import Conflict, InvalidInput, NotFound
from ordermesh.domain.ids import new_id
from ordermesh.domain.money import format_amount, parse_amount
from ordermesh.domain.payments import PaymentKind, PaymentStatus, PaymentTotals, payment_totals
from ordermesh.service import idempotency
from ordermesh.service.access import Principal, Role
from ordermesh.service.authorization import SYSTEM_ACTOR
from ordermesh.service.settlement import Providers, SettleReport, settle, settle_pending
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import can_see_order, line_money, order_view, render_payment

__all__ = ["SYSTEM_ACTOR", "SettleReport", "capture_handed_over", "refund", "refund_order",
           "refundable_minor", "retry", "settle", "settle_capture_of", "settle_pending", "totals",
           "void", "void_if_cancelled"]

K, S = PaymentKind, PaymentStatus
log = logging.getLogger("ordermesh.payments")
Row = Mapping[Any, Any]


def totals(conn: Connection, order_id: str) -> PaymentTotals:
    return payment_totals((x["kind"], x["status"], x["amount_minor"]) for x in db.of_order(conn, order_id))


def refundable_minor(conn: Connection, order_id: str) -> int:
    """Captured less refunded, pending refunds counted as refunded."""
    return totals(conn, order_id).refundable


def capture_handed_over(conn: Connection, order: Row, fo: Row, items: Sequence[Row]) -> list[str]:
    """A fulfillment order's units reached the customer (or the carrier): charge them; returns the payment ids.

    Called before the lines' ``fulfilled`` counts move, so each line's units are counted on from those
    already fulfilled. Nothing is captured when the order has no authorization (it carried no payment,
    or someone released its payment hold after a failed one); when every authorization it had was
    voided, the hand-over is refused (409): no goods leave unpaid for and no money moves.
    """
    rows = db.of_order(conn, order["id"])
    usable = _usable_authorizations(rows)
    if usable is None:
        return []
    if not usable:
        raise Conflict(f"order {order['id']}: its payment authorization was voided, so these units cannot be "
                       "charged; authorize the payment again (POST /orders/{id}/payments/retry) first",
                       field="order_id")
    lines = {x["id"]: x for x in orders_db.lines_of(conn, order["id"])}
    amount = sum(line_money(lines[x["order_line_id"]]).units(lines[x["order_line_id"]]["fulfilled"], x["quantity"])
                 for x in items)
    left = {a["id"]: a["amount_minor"] - _sum(rows, K.CAPTURE, a["id"]) for a in usable}
    new = [_row(order, K.CAPTURE, part, _part_key(f"capture:{fo['id']}", i), a, SYSTEM_ACTOR,
                fulfillment_order_id=fo["id"])
           for i, (a, part) in enumerate(_spread(amount, usable, left))]
    db.insert_payments(conn, new)
    return [str(x["id"]) for x in new]


def void_if_cancelled(conn: Connection, order: Row, *, actor: str) -> list[str]:
    """Nothing is left to ship: void each authorization nothing was captured on (all of them when the whole
    order is cancelled before a capture). A partial cancellation leaves the rest to be captured as it ships."""
    if any(x["quantity"] - x["cancelled"] - x["fulfilled"] > 0 for x in orders_db.lines_of(conn, order["id"])):
        return []
    return void(conn, order, actor=actor)


def void(conn: Connection, order: Row, *, actor: str) -> list[str]:
    """Void the order's authorizations that nothing was captured on (pending until ``settle``). Units still
    to ship can then not be handed over until the payment is authorized again."""
    rows = db.of_order(conn, order["id"])
    unused = [a for a in _usable_authorizations(rows) or [] if not _sum(rows, K.CAPTURE, a["id"])]
    new = [_row(order, K.VOID, a["amount_minor"], f"void:{a['provider_key']}", a, actor) for a in unused]
    db.insert_payments(conn, new)
    return [str(x["id"]) for x in new]


def refund(conn: Connection, order: Row, amount_minor: int, *, actor: str, reason: str | None,
           return_id: str | None = None) -> dict[str, Any]:
    """Decide a refund of ``amount_minor``, pending until ``settle``; the caller holds the order's lock.

    Returns the refund as ``render_payment`` shows it, for the whole amount. An order whose captures went
    through more than one authorization (lines added later) may need a refund on each: those parts are
    payments of their own (``payment_ids``), which ``settle`` of the first one settles too.
    """
    currency = order["currency"]
    rows = db.of_order(conn, order["id"])
    money = payment_totals((x["kind"], x["status"], x["amount_minor"]) for x in rows)
    if amount_minor <= 0:
        raise InvalidInput("amount: a refund must be more than zero", field="amount")
    if money.captured == 0:
        raise Conflict(f"amount: order {order['id']} has no captured payment to refund", field="amount")
    if amount_minor > money.refundable:
        raise InvalidInput(
            f"amount: {format_amount(amount_minor, currency)} {currency} is more than the "
            f"{format_amount(money.refundable, currency)} {currency} that can still be refunded (captured "
            f"{format_amount(money.captured, currency)}, refunded or being refunded "
            f"{format_amount(money.refunded + money.refunding, currency)})",
            field="amount", refundable=format_amount(money.refundable, currency))
    captured_on = [a for a in rows if a["kind"] == K.AUTHORIZATION and _sum(rows, K.CAPTURE, a["id"], S.SUCCEEDED)]
    left = {a["id"]: _sum(rows, K.CAPTURE, a["id"], S.SUCCEEDED) - _sum(rows, K.REFUND, a["id"]) for a in captured_on}
    payment_id = new_id("pay")
    new = [_row(order, K.REFUND, part, _part_key(f"refund:{payment_id}", i), a, actor,
                payment_id=payment_id if i == 0 else None, return_id=return_id)
           for i, (a, part) in enumerate(_spread(amount_minor, captured_on, left))]
    db.insert_payments(conn, new)
    ids = [x["id"] for x in new]
    outbox.append(conn, [{"type": "payment.refund_requested", "order_id": order["id"],
                          "channel_id": order["channel_id"],
                          "data": {"order_id": order["id"], "payment_id": payment_id, "payment_ids": ids,
                                   "amount": format_amount(amount_minor, currency), "currency": currency,
                                   "return_id": return_id, "reason": reason, "actor": actor}}])
    return {**render_payment(new[0]), "amount": format_amount(amount_minor, currency), "payment_ids": ids}


def refund_order(uow: UnitOfWork, who: Principal, providers: Providers, order_id: str, *, amount: str,
                 reason: str | None, key: str | None, request_hash: str) -> idempotency.Outcome:
    """``POST /orders/{id}/refunds``: the refund, as the provider answered it (a replay shows it as first
    decided, ``pending``)."""
    who.require(Role.CHANNEL, action="refund orders")

    def work(conn: Connection) -> tuple[int, dict[str, Any]]:
        order = _locked(conn, who, order_id)
        amount_minor = parse_amount(amount, order["currency"], field="amount")
        return 201, refund(conn, order, amount_minor, actor=who.actor, reason=reason)

    outcome = idempotency.run(uow, who, key, request_hash, work)
    if outcome.replayed:
        return outcome
    ids = outcome.body["payment_ids"]
    settle(uow, providers, ids)
    with uow.reading() as conn:
        parts = [row for x in ids if (row := db.get(conn, x)) is not None]
    return idempotency.Outcome(outcome.status_code, {**outcome.body, **_outcome_of(parts)})


def retry(uow: UnitOfWork, who: Principal, providers: Providers, order_id: str, *, token: str | None = None,
          provider: str | None = None) -> dict[str, Any]:
    """``POST /orders/{id}/payments/retry``: settle the order's pending payments now; if none are pending
    and its authorization failed, authorize again (with ``token``, or the one the order was placed with)."""
    who.require(Role.CHANNEL, action="retry payments")
    with uow.writing() as conn:
        order = _locked(conn, who, order_id)
        rows = db.of_order(conn, order["id"])
        settling = [x["id"] for x in rows if x["status"] == S.PENDING]
        if not settling:
            settling = [_authorize_again(conn, order, rows, providers, token, provider, actor=who.actor)]
    settle(uow, providers, settling)
    with uow.reading() as conn:
        return order_view(conn, who, order_id, public_url=uow.public_url)


def settle_capture_of(uow: UnitOfWork, providers: Providers, fulfillment_order_id: str) -> None:
    """After a hand-over commits: settle the capture it made, if any (``settle`` finds its parts).
    Never raises: the hand-over stands, and a capture left pending is settled later."""
    try:
        with uow.reading() as conn:
            payment_id = db.id_of_key(conn, f"capture:{fulfillment_order_id}")
    except Exception:
        log.exception("could not look up the capture of %s; it is settled later", fulfillment_order_id)
        return
    if payment_id is not None:
        settle(uow, providers, [payment_id])


def _authorize_again(conn: Connection, order: Row, rows: Sequence[Row], providers: Providers, token: str | None,
                     provider: str | None, *, actor: str) -> str:
    """A new authorization for what the order's units cost beyond what its standing authorizations cover."""
    lines = orders_db.lines_of(conn, order["id"])
    due = sum(line_money(x).units(0, x["quantity"] - x["cancelled"]) for x in lines)
    covered = sum(a["amount_minor"] for a in _usable_authorizations(rows) or [])
    if due <= covered:
        raise Conflict(f"order {order['id']}: its payment is authorized and nothing is pending; there is nothing "
                       "to retry", field="order_id")
    paying: dict[str, Any] = dict(order["payment"] or {})
    paying["provider"] = provider or paying.get("provider")
    paying["token"] = token or paying.get("token")
    if paying["provider"] not in providers:
        known = ", ".join(sorted(providers)) or "none"
        raise InvalidInput(f"provider: name a configured payment provider ({known}) to authorize with",
                           field="provider")
    if not paying["token"]:
        raise InvalidInput("token: the order has no payment token; send the one to authorize with", field="token")
    db.set_order_payment(conn, order["id"], paying)  # where a later settlement finds the token
    payment_id = new_id("pay")
    row = _row(order, K.AUTHORIZATION, due - covered, f"auth:{payment_id}", None, actor, payment_id=payment_id,
               provider=paying["provider"])
    db.insert_payments(conn, [row])
    return payment_id


def _outcome_of(parts: Sequence[Row]) -> dict[str, Any]:
    """How a refund (in one or more parts) stands after the provider was asked."""
    statuses = {x["status"] for x in parts}
    status = next((s.value for s in (S.FAILED, S.PENDING) if s in statuses), S.SUCCEEDED.value)
    return {"status": status, "provider_ref": parts[0]["provider_ref"] if parts else None,
            "error": next((x["error"] for x in parts if x["error"]), None)}


def _locked(conn: Connection, who: Principal, order_id: str) -> RowMapping:
    order = orders_db.lock_order(conn, order_id)
    if order is None or not can_see_order(conn, who, order):
        raise NotFound(f"order {order_id!r} not found", field="order_id")
    return order


def _usable_authorizations(rows: Sequence[Row]) -> list[Row] | None:
    """The order's succeeded authorizations not voided, oldest first; None when it never had one."""
    granted = [x for x in rows if x["kind"] == K.AUTHORIZATION and x["status"] == S.SUCCEEDED]
    if not granted:
        return None
    voided = {x["authorization_id"] for x in rows if x["kind"] == K.VOID and x["status"] != S.FAILED}
    return [a for a in granted if a["id"] not in voided]


def _sum(rows: Sequence[Row], kind: PaymentKind, authorization_id: str, status: PaymentStatus | None = None) -> int:
    """The amounts of ``kind`` on one authorization: of ``status``, or else all but the failed ones."""
    return sum(x["amount_minor"] for x in rows if x["kind"] == kind and x["authorization_id"] == authorization_id
               and (x["status"] == status if status else x["status"] != S.FAILED))


def _spread(amount: int, authorizations: Sequence[Row], left: Mapping[str, int]) -> list[tuple[Row, int]]:
    """``amount`` over the authorizations, each up to what it has left, oldest first. What none has left
    (lines added without an authorization) goes on the last one, for the provider to refuse out loud."""
    parts: list[tuple[Row, int]] = []
    for a in authorizations:
        take = min(amount, max(0, left[a["id"]]))
        if take:
            parts.append((a, take))
            amount -= take
    if amount and authorizations:
        last = authorizations[-1]
        parts = ([*parts[:-1], (last, parts[-1][1] + amount)] if parts and parts[-1][0] is last
                 else [*parts, (last, amount)])
    return parts


def _part_key(key: str, index: int) -> str:
    """The first part of a payment has the plain key; further parts ``{key}:2``, ``{key}:3``…"""
    return key if index == 0 else f"{key}:{index + 1}"


def _row(order: Row, kind: PaymentKind, amount: int, key: str, authorization: Row | None, actor: str, *,
         payment_id: str | None = None, provider: str | None = None, fulfillment_order_id: str | None = None,
         return_id: str | None = None) -> dict[str, Any]:
    now = utcnow()
    return {"id": payment_id or new_id("pay"), "order_id": order["id"], "kind": kind.value,
            "status": S.PENDING.value, "amount_minor": amount, "currency": order["currency"],
            "provider": provider or (authorization["provider"] if authorization else ""), "provider_key": key,
            "provider_ref": None, "authorization_id": authorization["id"] if authorization else None,
            "fulfillment_order_id": fulfillment_order_id, "return_id": return_id, "error": None,
            "actor": actor[:100], "created_at": now, "updated_at": now}
