"""Screening an order for fraud while it is planned: each rule it trips becomes a ``fraud`` hold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import orders as orders_db
from ordermesh.adapters.db import risk
from ordermesh.domain.fraud import RECENT_WINDOW_SECONDS, FraudRule, RiskFacts, counts_recent_orders, screen
from ordermesh.domain.orders import HoldType
from ordermesh.service.commands import PlaceOrder
from ordermesh.service.holds import hold_row

SYSTEM_ACTOR = "system:fraud"


def fraud_holds(conn: Connection, cmd: PlaceOrder, order: Mapping[str, Any],
              rules: Sequence[FraudRule]) -> list[dict[str, Any]]:
    """One hold row per tripped rule (none when no rules are configured: no work at all)."""
    if not rules:
        return []
    tripped = screen(rules, facts(conn, cmd, order, count=counts_recent_orders(rules)))
    return [hold_row(order["id"], HoldType.FRAUD.value, f"{name}: {reason}", SYSTEM_ACTOR, order["created_at"])
            for name, reason in tripped]


def facts(conn: Connection, cmd: PlaceOrder, order: Mapping[str, Any], *, count: bool) -> RiskFacts:
    email = order["customer"]["email"]
    address = cmd.delivery.address
    recent = None
    if count:  # the one query fraud screening costs, and only when a rule asked for it
        recent = risk.orders_since(conn, order["created_at"] - timedelta(seconds=RECENT_WINDOW_SECONDS),
                                   customer_id=order.get("customer_id"), email=email)
    return RiskFacts(channel=cmd.channel, currency=cmd.currency, order_value_minor=order["total_minor"],
                     customer_email=email, delivery_method=cmd.delivery.method,
                     shipping_country=address.country if address else None,
                     billing_country=(cmd.billing or {}).get("country"),
                     units=sum(x.quantity for x in cmd.lines), recent_orders=recent)


def screen_changed(conn: Connection, order: Mapping[str, Any], rules: Sequence[FraudRule]) -> list[dict[str, Any]]:
    """Screen an order again after a change (a new address, added lines): one new ``fraud`` hold per rule it
    now trips that no unreleased hold already stands for. The order's own placement is not counted again."""
    if not rules:
        return []
    current = orders_db.get_order(conn, order["id"]) or order
    delivery, billing = current["delivery"] or {}, current["billing"] or {}
    facts = RiskFacts(channel=current["channel"], currency=current["currency"],
                      order_value_minor=current["total_minor"], customer_email=current["customer"].get("email") or "",
                      delivery_method=delivery.get("method", ""),
                      shipping_country=(delivery.get("address") or {}).get("country"),
                      billing_country=billing.get("country"),
                      units=sum(x["quantity"] - x["cancelled"] for x in orders_db.lines_of(conn, order["id"])))
    standing = {h["reason"].split(":", 1)[0] for h in orders_db.holds_of(conn, order["id"])
                if h["type"] == HoldType.FRAUD.value and h["released_at"] is None}
    return [hold_row(order["id"], HoldType.FRAUD.value, f"{name}: {reason}", SYSTEM_ACTOR)
            for name, reason in screen(rules, facts) if name not in standing]
