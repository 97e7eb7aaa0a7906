"""Customer profiles as the API shows them: the person, and their history across every channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ordermesh.domain.money import format_amount
from ordermesh.service.views import iso

Row = Mapping[Any, Any]
TOTALS = ("subtotal", "discount", "shipping", "tax", "total")


def render_profile(p: Row) -> dict[str, Any]:
    return {"id": p["id"], "email": p["email"], "phone": p["phone"], "name": p["name"],
            "merged_into": p["merged_into"], "erased": p["erased_at"] is not None, "erased_at": iso(p["erased_at"]),
            "created_at": iso(p["created_at"]), "updated_at": iso(p["updated_at"])}


def render_order_summary(o: Row) -> dict[str, Any]:
    currency = o["currency"]
    return {"id": o["id"], "channel": o["channel"], "external_id": o["external_id"], "status": o["status"],
            "currency": currency, "totals": {name: format_amount(o[f"{name}_minor"], currency) for name in TOTALS},
            "customer_id": o["customer_id"], "created_at": iso(o["created_at"])}


def render_return(r: Row) -> dict[str, Any]:
    currency = r["currency"]
    return {"id": r["id"], "order_id": r["order_id"], "channel": r["channel"], "status": r["status"],
            "refunded": format_amount(r["refunded_minor"], currency),
            "restocking_fee": format_amount(r["restocking_fee_minor"], currency), "currency": currency,
            "created_at": iso(r["created_at"])}


def render_refund(x: Row) -> dict[str, Any]:
    return {"id": x["id"], "order_id": x["order_id"], "return_id": x["return_id"], "status": x["status"],
            "amount": format_amount(x["amount_minor"], x["currency"]), "currency": x["currency"],
            "created_at": iso(x["created_at"])}


def render_history(profile: Row, *, orders: Sequence[Row], more_orders: bool, returns: Sequence[Row],
                   refunds: Sequence[Row], identifiers: Sequence[Row] | None,
                   merged: Sequence[str] | None) -> dict[str, Any]:
    """The profile with its orders (newest first), returns and refunds. ``identifiers`` and ``merged`` are
    left out (None) for a channel's key: those are what the person gave other channels."""
    view = render_profile(profile)
    if identifiers is not None:
        view["emails"] = [k["value"] for k in identifiers if k["kind"] == "email"]
        view["phones"] = [k["value"] for k in identifiers if k["kind"] == "phone"]
    if merged is not None:
        view["merged"] = list(merged)
    view |= {"channels": sorted({o["channel"] for o in orders}),
             "orders": [render_order_summary(o) for o in orders], "more_orders": more_orders,
             "returns": [render_return(r) for r in returns], "refunds": [render_refund(x) for x in refunds]}
    return view
