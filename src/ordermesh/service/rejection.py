"""A location gives work back: a rejection with a reason code, a short pick, or a missed deadline.

Each reason has its inventory effect, applied after the units are released at the location:

- ``not_found``: the count was wrong. The SKU is counted down to what other orders still hold there,
  and the location's other unpicked fulfillment orders for it are re-sourced too (each in its own
  transaction, after this one commits, so two stores' rejections never wait on each other's orders);
  each of those recounts again, so the count ends at the units already picked for orders — none if none.
- ``damaged``: the units move off hand (an ``adjust`` movement, reason "damaged").
- ``no_capacity``: the location is closed for the method for the rest of the day.
- ``other``: no inventory effect.

A short pick releases and writes off only the missing units and re-sources only those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import capacity, catalogue, outbox
from ordermesh.adapters.db import fulfillment as work
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.stock_moves import count_to_held, write_off
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.fulfillment import NOT_PICKED, FulfillmentMethod, FulfillmentPolicy, RejectReason
from ordermesh.domain.fulfillment import FulfillmentStatus as S
from ordermesh.domain.picking import LineFound, shortfall
from ordermesh.service.allocation import refresh_status
from ordermesh.service.resourcing import resource
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.withdrawal import lines_of_fulfillment, whole, withdraw

Row = Mapping[Any, Any]
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Unfound:
    """Another unpicked fulfillment order at the location holding SKUs that turned out not to be there."""

    fulfillment_order_id: str
    sku_ids: tuple[int, ...]
    because: str  # the fulfillment order whose rejection found out


def reject(conn: Connection, order: Row, fo: Row, reason: str | None, skus: Sequence[str] | None, *,
           actor: str, policy: FulfillmentPolicy) -> list[Unfound]:
    """Reject ``fo`` with a reason code, apply its inventory effect and re-source its units.

    ``skus`` narrows the inventory effect to the SKUs at fault (default: every SKU on the fulfillment order).
    Returns the other fulfillment orders the caller must re-source after commit (see ``resource_unfound``).
    """
    try:
        code = RejectReason(reason or "")
    except ValueError:
        raise InvalidInput(f"reason: must be one of {', '.join(r.value for r in RejectReason)}",
                           field="reason") from None
    items = lines_of_fulfillment(conn, fo["id"])
    at_fault = _skus_at_fault(items, skus)
    withdraw(conn, order, whole(items), reason=f"rejected:{code.value}", close_as=S.REJECTED, only=fo["id"])
    work.annotate(conn, fo["id"], reject_reason=code.value, rejected_by=actor)
    unfound = _EFFECTS[code](conn, fo, items, at_fault)
    resource(conn, order, fo, _units(items), trigger=f"rejected:{code.value}", policy=policy)
    return unfound


def _not_found(conn: Connection, fo: Row, items: Sequence[Row], skus: Mapping[int, str]) -> list[Unfound]:
    _recount(conn, fo, skus)
    others = work.holding_at(conn, fo["location_id"], list(skus), NOT_PICKED, besides=fo["id"])
    return [Unfound(r["id"], tuple(sorted(skus)), fo["id"]) for r in others]


def _damaged(conn: Connection, fo: Row, items: Sequence[Row], skus: Mapping[int, str]) -> list[Unfound]:
    for sku_id, sku in sorted(skus.items()):
        units = sum(x["quantity"] for x in items if x["sku_id"] == sku_id)
        write_off(conn, StockChange(sku_id, fo["location_id"], units), reason="damaged",
                  source=f"fulfillment:{fo['id']}")
        _moved(conn, fo, sku, "adjust", -units, "damaged")
    return []


def _no_capacity(conn: Connection, fo: Row, items: Sequence[Row], skus: Mapping[int, str]) -> list[Unfound]:
    method, day = FulfillmentMethod(fo["method"]).as_delivery.value, capacity.day_of(utcnow())
    capacity.close_for_day(conn, fo["location_id"], method, day)
    outbox.append(conn, [{"type": "location.closed_for_day", "location_id": fo["location_id"],
                          "data": {"location": fo["location"], "method": method, "day": day,
                                   "reason": RejectReason.NO_CAPACITY.value, "fulfillment_order_id": fo["id"]}}])
    return []


def _no_effect(conn: Connection, fo: Row, items: Sequence[Row], skus: Mapping[int, str]) -> list[Unfound]:
    return []


Effect = Callable[[Connection, Row, Sequence[Row], Mapping[int, str]], list[Unfound]]
_EFFECTS: dict[RejectReason, Effect] = {RejectReason.NOT_FOUND: _not_found, RejectReason.DAMAGED: _damaged,
                                        RejectReason.NO_CAPACITY: _no_capacity, RejectReason.OTHER: _no_effect}


def _skus_at_fault(items: Sequence[Row], named: Sequence[str] | None) -> dict[int, str]:
    on_fo = {x["sku"]: x["sku_id"] for x in items}
    if named is None:
        return {sku_id: sku for sku, sku_id in on_fo.items()}
    for i, sku in enumerate(named):
        if sku not in on_fo:
            raise InvalidInput(f"skus[{i}]: {sku!r} is not on this fulfillment order", field=f"skus[{i}]")
    return {on_fo[sku]: sku for sku in named}


def _recount(conn: Connection, fo: Row, skus: Mapping[int, str]) -> None:
    for sku_id, sku in sorted(skus.items()):
        before, after = count_to_held(conn, sku_id, fo["location_id"], reason="not_found",
                                      source=f"fulfillment:{fo['id']}")
        if after != before:
            _moved(conn, fo, sku, "count", after - before, "not_found", on_hand=after)


def _moved(conn: Connection, fo: Row, sku: str, kind: str, delta: int, reason: str, **extra: Any) -> None:
    outbox.append(conn, [{"type": "inventory.moved", "location_id": fo["location_id"],
                          "data": {"sku": sku, "location": fo["location"], "type": kind, "delta": delta,
                                   "reason": reason, "fulfillment_order_id": fo["id"], **extra}}])


def _units(items: Sequence[Row]) -> list[tuple[str, int, int]]:
    return [(x["order_line_id"], x["sku_id"], x["quantity"]) for x in items]


def short_pick(conn: Connection, order: Row, fo: Row, found: Sequence[LineFound],
               policy: FulfillmentPolicy) -> dict[str, Any]:
    """The picker found fewer units than the fulfillment order holds: release and write off only the
    missing ones and re-source them; the found ones go on. Returns details for the fulfillment order."""
    items = lines_of_fulfillment(conn, fo["id"])
    holding = whole(items)
    missing = shortfall(found, holding)
    if not missing:
        return {}
    if missing == holding:
        raise InvalidInput("lines: nothing was found; reject the fulfillment order with reason not_found "
                           "instead", field="lines")
    withdraw(conn, order, missing, reason="short_pick", close_as=S.REJECTED, only=fo["id"])
    sku_of = {x["order_line_id"]: (x["sku_id"], x["sku"]) for x in items}
    for line_id, units in sorted(missing.items()):
        sku_id, sku = sku_of[line_id]
        write_off(conn, StockChange(sku_id, fo["location_id"], units), reason="short pick",
                  source=f"fulfillment:{fo['id']}")
        _moved(conn, fo, sku, "adjust", -units, "short pick")
    resource(conn, order, fo, [(line, sku_of[line][0], q) for line, q in sorted(missing.items())],
             trigger="short_pick", policy=policy)
    return {"short_picked": [{"order_line_id": line, "sku": sku_of[line][1], "missing": q}
                             for line, q in sorted(missing.items())]}


def give_up_unaccepted(conn: Connection, order: Row, fo: Row, policy: FulfillmentPolicy) -> None:
    """Not accepted within its SLA: the fulfillment order is rejected on the location's behalf and re-sourced."""
    items = lines_of_fulfillment(conn, fo["id"])
    withdraw(conn, order, whole(items), reason="sla_expired", close_as=S.REJECTED, only=fo["id"])
    work.annotate(conn, fo["id"], reject_reason="sla_expired", rejected_by=SYSTEM)
    resource(conn, order, fo, _units(items), trigger="sla_expired", policy=policy)


def resource_unfound(uow: UnitOfWork, unfound: Unfound, policy: FulfillmentPolicy) -> bool:
    """Re-source another fulfillment order's units of SKUs its location could not find (own transaction).

    Skipped when that fulfillment order was picked meanwhile: its picker found the units after all.
    """
    with uow.writing() as conn:
        fo = db.get_fulfillment_order(conn, unfound.fulfillment_order_id)
        order = db.lock_order(conn, fo["order_id"]) if fo is not None else None
        fo = db.get_fulfillment_order(conn, unfound.fulfillment_order_id)  # re-read under the order's lock
        if order is None or fo is None or S(fo["status"]) not in NOT_PICKED:
            return False
        items = [x for x in lines_of_fulfillment(conn, fo["id"]) if x["sku_id"] in unfound.sku_ids]
        if not items:
            return False
        withdraw(conn, order, whole(items), reason="rejected:not_found", close_as=S.REJECTED, only=fo["id"])
        skus = catalogue.codes_by_id(conn, "sku", unfound.sku_ids)
        note = {"order_line_ids": sorted({x["order_line_id"] for x in items}), "because": unfound.because}
        closed = db.get_fulfillment_order(conn, fo["id"])
        if closed is not None and closed["status"] == S.REJECTED:
            work.annotate(conn, fo["id"], reject_reason="not_found", rejected_by=SYSTEM, not_found=note)
        else:
            work.annotate(conn, fo["id"], not_found=note)
        _recount(conn, fo, skus)
        resource(conn, order, fo, _units(items), trigger="rejected:not_found", policy=policy)
        refresh_status(conn, order)
        return True
