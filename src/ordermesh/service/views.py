"""Read models: orders and fulfillment orders as the API and CLI show them.

Views are plain JSON-ready dicts (money as decimal strings, times as ISO 8601), so that a stored
idempotent response is byte-for-byte what the first caller saw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import catalogue, outbox
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db import payments as payments_db
from ordermesh.adapters.db import returns as returns_db
from ordermesh.adapters.db.sql import as_utc
from ordermesh.domain.errors import NotFound
from ordermesh.domain.fulfillment import FulfillmentMethod, FulfillmentStatus, allowed_actions
from ordermesh.domain.money import LineMoney, format_amount
from ordermesh.domain.payments import payment_totals
from ordermesh.service.access import Principal, Role

Row = Mapping[Any, Any]


def iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def render_line(line: Row, currency: str) -> dict[str, Any]:
    quantity, cancelled, fulfilled = line["quantity"], line.get("cancelled", 0), line.get("fulfilled", 0)
    money = line_money(line)
    return {"id": line["id"], "sku": line["sku"], "quantity": quantity,
            "unit_price": format_amount(line["unit_price_minor"], currency),
            "line_total": format_amount(money.subtotal, currency),
            "discount": format_amount(money.discount, currency), "shipping": format_amount(money.shipping, currency),
            "tax": format_amount(money.tax, currency), "total": format_amount(money.total, currency),
            "cancelled_quantity": cancelled, "fulfilled_quantity": fulfilled,
            "open_quantity": quantity - cancelled - fulfilled, "returned_quantity": line.get("returned", 0)}


def line_money(line: Row) -> LineMoney:
    """An order line's money as the domain reckons with it (see domain/money.py)."""
    return LineMoney(line["quantity"], line["quantity"] * line["unit_price_minor"], line.get("discount_minor", 0),
                     line.get("shipping_minor", 0), line.get("tax_minor", 0))


def render_payment(x: Row) -> dict[str, Any]:
    return {"id": x["id"], "kind": x["kind"], "status": x["status"], "amount": format_amount(x["amount_minor"],
                                                                                              x["currency"]),
            "currency": x["currency"], "provider": x["provider"], "provider_ref": x["provider_ref"],
            "fulfillment_order_id": x["fulfillment_order_id"], "return_id": x["return_id"], "error": x["error"],
            "created_at": iso(x["created_at"])}


def render_payment_summary(payments: Sequence[Row], currency: str) -> dict[str, Any]:
    """Authorized (and not voided), captured and refunded so far, and what may still be refunded."""
    money = payment_totals((x["kind"], x["status"], x["amount_minor"]) for x in payments)
    amounts = {"authorized": money.authorized, "captured": money.captured, "refunded": money.refunded,
               "refundable": money.refundable}
    return {**{name: format_amount(v, currency) for name, v in amounts.items()}, "voided": money.voided}


def tracking_url(public_url: str, token: str | None) -> str | None:
    return f"{public_url.rstrip('/')}/track/{token}" if token else None


def render_fulfillment_order(fo: Row, fo_lines: Sequence[Row], *, show_code: bool) -> dict[str, Any]:
    status, method = FulfillmentStatus(fo["status"]), FulfillmentMethod(fo["method"])
    view = {"id": fo["id"], "order_id": fo["order_id"], "location": fo["location"], "method": fo["method"],
            "status": fo["status"],
            "lines": [{"order_line_id": x["order_line_id"], "sku": x["sku"], "quantity": x["quantity"]}
                      for x in fo_lines if x["quantity"] > 0],
            "allowed_actions": [a.value for a in allowed_actions(status, method)],
            "details": fo["details"] or {}, "due_at": iso(fo.get("due_at")), "accept_by": iso(fo.get("accept_by")),
            "pickup_expires_at": iso(fo.get("pickup_expires_at")),
            "created_at": iso(fo["created_at"]), "updated_at": iso(fo["updated_at"])}
    if fo["pickup_code"] is not None and show_code:
        view["pickup_code"] = fo["pickup_code"]
    return view


def render_order(order: Row, lines: Sequence[Row], fos: Sequence[Row], fo_lines: Sequence[Row], *,
                 holds: Sequence[Row] = (), decisions: Sequence[Row] = (), timeline: Sequence[Row] | None = None,
                 payments: Sequence[Row] = (), changes: Sequence[Row] = (), returns: Sequence[Row] = (),
                 public_url: str = "",
                 show_codes: bool = True) -> dict[str, Any]:
    currency = order["currency"]
    by_fo: dict[str, list[Row]] = defaultdict(list)
    for x in fo_lines:
        by_fo[x["fulfillment_order_id"]].append(x)
    view: dict[str, Any] = {
        "id": order["id"], "status": order["status"], "channel": order["channel"],
        "external_id": order["external_id"], "currency": currency,
        "totals": {name: format_amount(order.get(f"{name}_minor", 0), currency)
                   for name in ("subtotal", "discount", "shipping", "tax", "total")} | {"currency": currency},
        "customer": order["customer"], "customer_id": order.get("customer_id"), "delivery": order["delivery"],
        "lines": [render_line(x, currency) for x in lines],
        "fulfillment_orders": [render_fulfillment_order(fo, by_fo[fo["id"]], show_code=show_codes) for fo in fos],
        "holds": [render_hold(h) for h in holds],
        "payments": [render_payment(x) for x in payments],
        "payment_summary": render_payment_summary(payments, currency),
        "returns": [{"id": r["id"], "status": r["status"], "refunded": format_amount(r["refunded_minor"], currency),
                     "exchange_order_id": r["exchange_order_id"], "created_at": iso(r["created_at"])}
                    for r in returns],
        "changes": [{"number": c["number"], "kind": c["kind"], "actor": c["actor"], "data": c["data"],
                     "created_at": iso(c["created_at"])} for c in changes],
        # The tracking page shows the pickup code, which a store's key must never see (the customer proves
        # the pickup with it).
        "tracking_url": tracking_url(public_url, order.get("tracking_token")) if show_codes else None,
        "sourcing": render_sourcing(decisions),
        "created_at": iso(order["created_at"]), "updated_at": iso(order["updated_at"]),
    }
    if timeline is not None:
        view["timeline"] = [render_event(e) for e in timeline]
    return view


def render_hold(h: Row) -> dict[str, Any]:
    return {"id": h["id"], "type": h["type"], "reason": h["reason"], "created_by": h["created_by"],
            "created_at": iso(h["created_at"]), "released_at": iso(h["released_at"]),
            "released_by": h["released_by"]}


def render_sourcing(decisions: Sequence[Row]) -> dict[str, Any] | None:
    if not decisions:
        return None
    latest = decisions[-1]
    return {**latest["explanation"], "trigger": latest["trigger"], "decided_at": iso(latest["created_at"]),
            "history": [{"trigger": d["trigger"], "strategy": d["strategy"], "decided_at": iso(d["created_at"]),
                         "chosen": [c["location"] for c in d["explanation"]["candidates"] if c["chosen"]]}
                        for d in decisions]}


def render_event(e: Row) -> dict[str, Any]:
    return {"id": e["id"], "type": e["type"], "occurred_at": iso(e["occurred_at"]), "data": e["data"]}


def order_view(conn: Connection, who: Principal, order_id: str, *, timeline: bool = True,
               public_url: str = "") -> dict[str, Any]:
    order = db.get_order(conn, order_id)
    if order is None or not can_see_order(conn, who, order):
        raise NotFound(f"order {order_id!r} not found", field="order_id")
    fos = db.fulfillment_orders_of(conn, order_id)
    return render_order(
        order, db.lines_of(conn, order_id), fos, db.fulfillment_lines_of(conn, [f["id"] for f in fos]),
        holds=db.holds_of(conn, order_id), decisions=db.decisions_of(conn, order_id),
        timeline=outbox.for_order(conn, order_id) if timeline else None,
        payments=payments_db.of_order(conn, order_id), changes=db.changes_of(conn, order_id),
        returns=returns_db.returns_of_orders(conn, [order_id]).get(order_id, []), public_url=public_url,
        show_codes=who.role is not Role.LOCATION)


def can_see_order(conn: Connection, who: Principal, order: Row) -> bool:
    if who.role is Role.CHANNEL:
        return bool(order["channel"] == who.scope)
    if who.role is Role.LOCATION:
        ids = catalogue.ids_by_code(conn, "location", [who.scope or ""], active_only=False)
        return bool(ids) and db.order_has_location(conn, order["id"], next(iter(ids.values())))
    return True
