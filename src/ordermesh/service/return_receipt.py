"""Receiving a return at a location that takes returns, each unit with its disposition.

Restocked units are put on hand at the receiving location in the same transaction (a ``return`` movement
in the ledger, source ``return:{id}``): the next order of any channel fed by that location can reserve
them at once. Damaged and returned-to-vendor units add no sellable stock and write no ledger row: they
are counted on the return line (``damaged``, ``returned_to_vendor``) and in the ``return.received`` event.
Receiving never moves money; the refund is its own step.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import returns as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.domain.catalogue import Capability
from ordermesh.domain.errors import Conflict, InvalidInput
from ordermesh.domain.inventory import MAX_UNITS
from ordermesh.domain.returns import Disposition, ReturnAction, ReturnStatus, next_status
from ordermesh.service import idempotency, lookups
from ordermesh.service.access import Principal, Role
from ordermesh.service.return_access import locked_return
from ordermesh.service.return_commands import ReceiveReturn
from ordermesh.service.return_views import return_view
from ordermesh.service.returns import emit
from ordermesh.service.unit_of_work import UnitOfWork

Row = Mapping[Any, Any]
OK = 200


def receive(uow: UnitOfWork, who: Principal, cmd: ReceiveReturn, key: str | None,
            request_hash: str) -> idempotency.Outcome:
    who.require_write("receive returns")
    who.require(Role.LOCATION, action="receive returns (goods arrive at a location)")
    return idempotency.run(uow, who, key, request_hash, lambda conn: (OK, _receive(conn, who, cmd)))


def _receive(conn: Connection, who: Principal, cmd: ReceiveReturn) -> dict[str, Any]:
    order, ret = locked_return(conn, who, cmd.return_id)
    next_status(ReturnStatus(ret["status"]), ReturnAction.RECEIVE)
    site = lookups.location(conn, who, cmd.location, field="location")  # a store key: its own store only
    if Capability.RETURNS.value not in (site["capabilities"] or []):
        raise InvalidInput(f"location: {cmd.location} does not take returns (it lacks the returns capability)",
                           field="location")
    if ret["location_id"] not in (None, site["id"]):
        raise Conflict(f"location: return {ret['id']} is being received at {ret['location']}; receive the rest "
                       "there", field="location", received_at=ret["location"])
    lines = {x["order_line_id"]: x for x in db.lines_of(conn, [ret["id"]])}
    tally = _tally(cmd, lines)
    restocked: list[dict[str, Any]] = []
    for line_id in sorted(tally, key=lambda k: lines[k]["sku_id"]):  # stock rows in the ledger's lock order
        counts, line = tally[line_id], lines[line_id]
        db.receive_line(conn, ret["id"], line_id, restocked=counts[Disposition.RESTOCK],
                        damaged=counts[Disposition.DAMAGED], returned_to_vendor=counts[Disposition.RETURN_TO_VENDOR])
        if counts[Disposition.RESTOCK]:
            on_hand = db.restock(conn, StockChange(line["sku_id"], site["id"], counts[Disposition.RESTOCK]),
                                 source=f"return:{ret['id']}", reason="restocked from a return",
                                 key=f"return:{ret['id']}:{line_id}:{line['received']}")
            restocked.append({"sku": line["sku"], "quantity": counts[Disposition.RESTOCK], "on_hand": on_hand})
    db.update_return(conn, ret["id"], status=ReturnStatus.RECEIVED.value, location_id=site["id"])
    emit(conn, order, ReturnStatus.RECEIVED, ret["id"], who, location_id=site["id"], location=site["code"],
         restocked=restocked, **{"from": ret["status"]},
         lines=[{"line_id": x.line_id, "sku": lines[x.line_id]["sku"], "quantity": x.quantity,
                 "disposition": x.disposition} for x in cmd.lines])
    return return_view(conn, who, ret["id"], timeline=False)


def _tally(cmd: ReceiveReturn, lines: Mapping[str, Row]) -> dict[str, Counter[Disposition]]:
    """Units per line and disposition; a line may arrive in several entries (one restocked, one damaged)."""
    tally: dict[str, Counter[Disposition]] = defaultdict(Counter)
    for i, x in enumerate(cmd.lines):
        line = lines.get(x.line_id)
        if line is None:
            raise InvalidInput(f"lines[{i}].line_id: {x.line_id!r} is not a line of return {cmd.return_id}",
                               field=f"lines[{i}].line_id")
        try:
            disposition = Disposition(x.disposition)
        except ValueError:
            raise InvalidInput(f"lines[{i}].disposition: must be one of {', '.join(Disposition)}",
                               field=f"lines[{i}].disposition") from None
        if not 0 < x.quantity <= MAX_UNITS:
            raise InvalidInput(f"lines[{i}].quantity: must be at least 1", field=f"lines[{i}].quantity")
        tally[x.line_id][disposition] += x.quantity
        expected = line["quantity"] - line["received"]
        if tally[x.line_id].total() > expected:
            raise Conflict(f"lines[{i}].quantity: {tally[x.line_id].total()} units of {line['sku']} received, but "
                           f"the return expects {expected} more", field=f"lines[{i}].quantity", sku=line["sku"],
                           expected=expected)
    return tally
