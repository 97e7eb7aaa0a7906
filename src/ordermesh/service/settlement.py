"""Settling payments with the provider, after the transaction that decided them has committed.

A capture, refund, void or re-authorization is first written as a ``pending`` payments row, in the
transaction that decides it (a shipment, a refund, a cancellation). Only after that commit is the
provider asked, under the row's ``provider_key``; its answer is then recorded in a second, short
transaction that also writes the events. No lock is held while the provider thinks.

If the process dies between the two, or the provider's answer is lost, the row stays ``pending`` and
is settled later (the server's background loop, ``ordermesh payments settle``, or
``POST /orders/{id}/payments/retry``) with the *same* key: the provider recognises the key and answers
as it did the first time, so money moves exactly once however often a payment is settled.

- approved → ``succeeded`` with the provider's reference, and ``payment.captured`` / ``payment.refunded``
  / ``payment.voided`` / ``payment.authorized``; a re-authorization also releases the payment holds the
  system placed (a hold a person placed stays until a person releases it).
- declined → ``failed`` and ``payment.failed``; a declined capture also puts the order on a ``payment``
  hold: goods went out that were not paid for, and nothing more ships until someone has looked.
- no answer (``ProviderUnavailable`` or any other error) → stays ``pending`` with the error noted, and is
  tried again no sooner than ``ORDERMESH_PAYMENT_RETRY_SECONDS`` later. A re-authorization is the
  exception: like one at order capture, an unanswered authorization counts as failed (nothing was
  charged; a hold it may have left on the card lapses), and the order stays on its payment hold.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import orders as orders_db
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db import payments as db
from ordermesh.adapters.db import returns as returns_db
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.money import format_amount
from ordermesh.domain.orders import HoldType
from ordermesh.domain.payments import PaymentKind, PaymentProvider, PaymentStatus, ProviderResult
from ordermesh.domain.returns import ReturnStatus
from ordermesh.service import holds
from ordermesh.service.allocation import refresh_status
from ordermesh.service.authorization import SYSTEM_ACTOR
from ordermesh.service.unit_of_work import UnitOfWork

log = logging.getLogger("ordermesh.payments")
# The same actor as the holds placed at order capture: a successful authorization releases those too.
Providers = Mapping[str, PaymentProvider]
K = PaymentKind

APPROVED_EVENT = {K.AUTHORIZATION: "payment.authorized", K.CAPTURE: "payment.captured",
                  K.REFUND: "payment.refunded", K.VOID: "payment.voided"}


@dataclass(frozen=True, slots=True)
class SettleReport:
    settled: int = 0  # answered by the provider (succeeded or failed)
    pending: int = 0  # still without an answer


def settle(uow: UnitOfWork, providers: Providers, payment_ids: Sequence[str]) -> None:
    """Ask the provider about each pending payment and record the answer (after the deciding commit).

    Never raises: the deciding change is committed already, and a payment left pending is settled later.
    A capture or refund split over several authorizations is settled whole when its first part is named.
    """
    for payment_id in _with_parts(uow, payment_ids):
        try:
            _settle_one(uow, providers, payment_id)
        except Exception:  # a database hiccup: the row stays pending for the next try
            log.exception("settling payment %s failed; it stays pending", payment_id)


def settle_pending(uow: UnitOfWork, providers: Providers, *, min_age_seconds: float = 30,
                   limit: int = 200) -> SettleReport:
    """Settle the pending payments nobody has tried for ``min_age_seconds`` (the background retry)."""
    with uow.reading() as conn:
        ids = db.pending(conn, untouched_since=utcnow() - timedelta(seconds=min_age_seconds), limit=limit)
    settled = sum(_settle_one(uow, providers, payment_id) for payment_id in ids)
    return SettleReport(settled, len(ids) - settled)


def _with_parts(uow: UnitOfWork, payment_ids: Sequence[str]) -> list[str]:
    """The payments and their further parts (keys ``{key}:2``, ``{key}:3``…, see payments.py)."""
    found: list[str] = []
    try:
        with uow.reading() as conn:
            for payment_id in payment_ids:
                found.append(payment_id)
                row = db.get(conn, payment_id)
                if row is not None and row["kind"] in (K.CAPTURE, K.REFUND):
                    found += [x["id"] for x in db.of_order(conn, row["order_id"])
                              if x["provider_key"].startswith(f"{row['provider_key']}:")]
    except Exception:
        log.exception("looking up the parts of payments %s failed", ", ".join(payment_ids))
        return list(payment_ids)
    return found


def _settle_one(uow: UnitOfWork, providers: Providers, payment_id: str) -> bool:
    """True once the payment has its answer (now or earlier); False while it stays pending."""
    with uow.reading() as conn:
        row = db.get(conn, payment_id)
        if row is None or row["status"] != PaymentStatus.PENDING:
            return True
        authorization = db.get(conn, row["authorization_id"]) if row["authorization_id"] else None
        order = orders_db.get_order(conn, row["order_id"])
    provider = providers.get(row["provider"])
    if provider is None:
        log.warning("payment %s: provider %r is not configured; it stays pending", payment_id, row["provider"])
        return False
    try:
        answer = _ask(provider, row, authorization, (order["payment"] if order else None) or {})
    except Exception as exc:  # ProviderUnavailable, a timeout, a bug in a plug-in: the outcome is unknown
        if row["kind"] != K.AUTHORIZATION:
            log.warning("payment %s (%s) got no answer from %s: %s; it stays pending", payment_id, row["kind"],
                        provider.name, exc)
            with uow.writing() as conn:
                db.note_attempt(conn, payment_id, f"no answer from the provider: {exc}")
            return False
        answer = ProviderResult(False, None, f"payment provider {provider.name} unavailable: {exc}")
    with uow.writing() as conn:
        _record(conn, row, answer)
    return True


def _ask(provider: PaymentProvider, row: RowMapping, authorization: RowMapping | None,
         payment: Mapping[str, Any]) -> ProviderResult:
    kind, key, amount, currency = K(row["kind"]), row["provider_key"], row["amount_minor"], row["currency"]
    if kind is K.AUTHORIZATION:
        token = payment.get("token")
        if not token:
            return ProviderResult(False, None, "the order has no payment token to authorize with")
        return provider.authorize(key=key, token=token, amount_minor=amount, currency=currency)
    if authorization is None or not authorization["provider_ref"]:
        return ProviderResult(False, None, "the order has no authorization to act on")
    ref = authorization["provider_ref"]
    if kind is K.CAPTURE:
        return provider.capture(key=key, authorization=ref, amount_minor=amount, currency=currency)
    if kind is K.REFUND:
        return provider.refund(key=key, authorization=ref, amount_minor=amount, currency=currency)
    return provider.void(key=key, authorization=ref)


def _record(conn: Connection, row: RowMapping, answer: ProviderResult) -> None:
    """The provider's answer, its event, and what it means for the order's holds — once."""
    order = orders_db.lock_order(conn, row["order_id"])
    status = PaymentStatus.SUCCEEDED if answer.approved else PaymentStatus.FAILED
    error = None if answer.approved else (answer.message or "declined")[:500]
    if order is None or not db.settle(conn, row["id"], status=status.value, provider_ref=answer.reference,
                                      error=error):
        return  # another process recorded the same answer first
    kind = K(row["kind"])
    base = {"order_id": order["id"], "channel_id": order["channel_id"]}
    data = {"order_id": order["id"], "payment_id": row["id"], "kind": kind.value,
            "amount": format_amount(row["amount_minor"], row["currency"]), "currency": row["currency"],
            "fulfillment_order_id": row["fulfillment_order_id"], "return_id": row["return_id"], "error": error}
    events = [{"type": APPROVED_EVENT[kind] if answer.approved else "payment.failed", **base, "data": data}]
    holds_changed = False
    if not answer.approved and kind is K.CAPTURE:
        events.append(_hold(conn, order, f"payment capture declined: {error}"))
        holds_changed = True
    if not answer.approved and kind is K.REFUND and row["return_id"]:
        events += _return_not_refunded(conn, order, row, error)
    if answer.approved and kind is K.AUTHORIZATION:
        released = _release_payment_holds(conn, order)
        events += released
        holds_changed = bool(released)
    outbox.append(conn, events)
    if holds_changed:
        refresh_status(conn, order)


def _return_not_refunded(conn: Connection, order: RowMapping, row: RowMapping, error: str | None,
                         ) -> list[dict[str, Any]]:
    """The provider declined a return's refund: the return goes back to ``received``, so that its refund can
    be asked for again (the money did not move; the units stay received)."""
    ret = returns_db.get_return(conn, row["return_id"])
    if ret is None or ret["status"] != ReturnStatus.REFUNDED.value:
        return []
    left = max(0, ret["refunded_minor"] - row["amount_minor"])
    returns_db.update_return(conn, ret["id"], status=ReturnStatus.RECEIVED.value, refunded_minor=left)
    if left == 0:
        returns_db.unmark_refunded(conn, ret["id"])
    return [{"type": "return.refund_failed", "order_id": order["id"], "channel_id": order["channel_id"],
             "data": {"return_id": ret["id"], "order_id": order["id"], "payment_id": row["id"], "error": error,
                      "from": ReturnStatus.REFUNDED.value, "to": ReturnStatus.RECEIVED.value, "actor": SYSTEM_ACTOR}}]


def _hold(conn: Connection, order: RowMapping, reason: str) -> dict[str, Any]:
    hold = holds.hold_row(order["id"], HoldType.PAYMENT.value, reason, SYSTEM_ACTOR)
    orders_db.insert_hold(conn, hold)
    return holds.placed_event(order, hold)


def _release_payment_holds(conn: Connection, order: RowMapping) -> list[dict[str, Any]]:
    """The payment holds the system placed are resolved by a successful authorization."""
    events = []
    for h in orders_db.holds_of(conn, order["id"]):
        if (h["type"] == HoldType.PAYMENT and h["released_at"] is None and h["created_by"] == SYSTEM_ACTOR
                and orders_db.release_hold(conn, h["id"], order["id"], SYSTEM_ACTOR)):
            events.append(holds.released_event(order, h["id"], SYSTEM_ACTOR))
    return events
