"""Returns as the API shows them: JSON-ready dicts (money as decimal strings, times as ISO 8601)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import catalogue, outbox
from ordermesh.adapters.db import payments as payments_db
from ordermesh.adapters.db import returns as db
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.money import format_amount
from ordermesh.domain.returns import ReturnAction, ReturnStatus, allowed_actions
from ordermesh.service.access import Principal, Role
from ordermesh.service.return_access import desk, visible_return
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso, render_event, render_payment

Row = Mapping[Any, Any]


def render_line(x: Row) -> dict[str, Any]:
    return {"line_id": x["order_line_id"], "sku": x["sku"], "quantity": x["quantity"], "reason": x["reason"],
            "received": x["received"], "restocked": x["restocked"], "damaged": x["damaged"],
            "returned_to_vendor": x["returned_to_vendor"], "refunded": x["refunded"]}


def actions_of(ret: Row) -> list[str]:
    """What the return allows next: an exchange settles by its replacement order, anything else by refund."""
    unavailable = ReturnAction.REFUND if ret["exchange_order_id"] else ReturnAction.EXCHANGE
    return [a.value for a in allowed_actions(ReturnStatus(ret["status"])) if a is not unavailable]


def render_return(ret: Row, lines: Sequence[Row], *, payments: Sequence[Row] = (),
                  timeline: Sequence[Row] | None = None) -> dict[str, Any]:
    currency = ret["currency"]
    view: dict[str, Any] = {
        "id": ret["id"], "order_id": ret["order_id"], "order_external_id": ret["order_external_id"],
        "channel": ret["channel"], "status": ret["status"], "location": ret["location"],
        "lines": [render_line(x) for x in lines],
        "exchange": ret["exchange"], "exchange_order_id": ret["exchange_order_id"], "currency": currency,
        "restocking_fee": format_amount(ret["restocking_fee_minor"], currency),
        "refunded": format_amount(ret["refunded_minor"], currency),
        "payments": [render_payment(x) for x in payments], "note": ret["note"],
        "allowed_actions": actions_of(ret), "created_by": ret["created_by"],
        "created_at": iso(ret["created_at"]), "updated_at": iso(ret["updated_at"]),
    }
    if timeline is not None:
        view["timeline"] = [render_event(e) for e in timeline]
    return view


def return_view(conn: Connection, who: Principal, return_id: str, *, timeline: bool = True) -> dict[str, Any]:
    ret = visible_return(conn, who, return_id)
    refunds = [p for p in payments_db.of_order(conn, ret["order_id"]) if p["return_id"] == ret["id"]]
    events = None
    if timeline:
        events = [e for e in outbox.for_order(conn, ret["order_id"])
                  if e["type"].startswith("return.") and (e["data"] or {}).get("return_id") == ret["id"]]
    return render_return(ret, db.lines_of(conn, [ret["id"]]), payments=refunds, timeline=events)


def get(uow: UnitOfWork, who: Principal, return_id: str) -> dict[str, Any]:
    with uow.reading() as conn:
        return return_view(conn, who, return_id)


def list_page(uow: UnitOfWork, who: Principal, *, order_id: str | None, status: str | None, cursor: str | None,
              limit: int) -> dict[str, Any]:
    """Returns newest first, within the key's scope (see return_access.py)."""
    if status is not None and status not in {s.value for s in ReturnStatus}:
        raise InvalidInput(f"status: {status!r} is not a return status", field="status")
    with uow.reading() as conn:
        channel_id = location_id = None
        if who.role is Role.CHANNEL:
            channel_id = catalogue.ids_by_code(conn, "channel", [who.scope or ""], active_only=False).get(
                who.scope or "", -1)
        if (site := desk(conn, who)) is not None:  # a location that takes no returns is no returns desk: 403
            location_id = int(site["id"])
        rows = db.page_returns(conn, order_id=order_id, status=status, channel_id=channel_id,
                               location_id=location_id, after=cursor, limit=limit + 1)
        page = rows[:limit]
        lines = db.lines_of(conn, [r["id"] for r in page])
    items = [render_return(r, [x for x in lines if x["return_id"] == r["id"]]) for r in page]
    return {"items": items, "next_cursor": page[-1]["id"] if len(rows) > limit else None}
