"""The fulfillment sweeper: deadlines nobody acted on.

- A fulfillment order not accepted by its ``accept_by`` is re-sourced elsewhere (trigger ``sla_expired``),
  unless its order is on hold (the store could not accept it then).
- A pickup not collected by its ``pickup_expires_at`` expires: its order lines are cancelled and the
  units go back on sale.

Each fulfillment order is handled in its own transaction under its order's lock and re-checked there,
so any number of server processes (and ``ordermesh fulfillment sweep``) may sweep at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import fulfillment as work
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.sql import as_utc, utcnow
from ordermesh.domain.fulfillment import (
    AWAITING_COLLECTION,
    FulfillmentAction,
    FulfillmentMethod,
    FulfillmentPolicy,
    FulfillmentStatus,
    next_status,
)
from ordermesh.service import rejection
from ordermesh.service.allocation import refresh_status
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.withdrawal import call_off

BATCH = 200


@dataclass(frozen=True, slots=True)
class SweepReport:
    re_sourced: int  # not accepted in time, sent elsewhere (or cancelled where nowhere else could)
    expired: int  # pickups nobody collected


def sweep(uow: UnitOfWork, policy: FulfillmentPolicy, *, now: datetime | None = None,
          batch: int = BATCH) -> SweepReport:
    moment = now or utcnow()
    re_sourced = _each(uow, lambda conn: work.due_for_acceptance(conn, moment, batch),
                       lambda fo_id: _re_source_unaccepted(uow, fo_id, moment, policy))
    expired = _each(uow, lambda conn: work.due_for_expiry(conn, [s.value for s in AWAITING_COLLECTION], moment, batch),
                    lambda fo_id: _expire_pickup(uow, fo_id, moment))
    return SweepReport(re_sourced, expired)


def _each(uow: UnitOfWork, due: Callable[[Connection], list[str]], handle: Callable[[str], bool]) -> int:
    """Handle every due fulfillment order, batch after batch, each once (one skipped stays skipped)."""
    done, seen = 0, set()
    while True:
        with uow.reading() as conn:
            fresh = [fo_id for fo_id in due(conn) if fo_id not in seen]
        if not fresh:
            return done
        for fo_id in fresh:
            seen.add(fo_id)
            done += handle(fo_id)


def _locked(conn: Connection, fo_id: str) -> tuple[RowMapping, RowMapping] | None:
    fo = db.get_fulfillment_order(conn, fo_id)
    order = db.lock_order(conn, fo["order_id"]) if fo is not None else None
    fo = db.get_fulfillment_order(conn, fo_id)  # re-read under the order's lock: another sweeper may have won
    return (order, fo) if order is not None and fo is not None else None


def _re_source_unaccepted(uow: UnitOfWork, fo_id: str, now: datetime, policy: FulfillmentPolicy) -> bool:
    with uow.writing() as conn:
        found = _locked(conn, fo_id)
        if found is None:
            return False
        order, fo = found
        late = fo["accept_by"] is not None and as_utc(fo["accept_by"]) <= now
        if fo["status"] != FulfillmentStatus.OPEN or not late or db.has_active_hold(conn, order["id"]):
            return False
        rejection.give_up_unaccepted(conn, order, fo, policy)
        refresh_status(conn, order)
        return True


def _expire_pickup(uow: UnitOfWork, fo_id: str, now: datetime) -> bool:
    with uow.writing() as conn:
        found = _locked(conn, fo_id)
        if found is None:
            return False
        order, fo = found
        status = FulfillmentStatus(fo["status"])
        late = fo["pickup_expires_at"] is not None and as_utc(fo["pickup_expires_at"]) <= now
        if status not in AWAITING_COLLECTION or not late:
            return False
        to_status = next_status(status, FulfillmentAction.EXPIRE, FulfillmentMethod(fo["method"]))
        call_off(conn, order, fo, to_status, reason="pickup_expired")
        refresh_status(conn, order)
        return True
