"""Screening an order for fraud while it is planned: each rule it trips becomes a ``fraud`` hold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import risk
from ordermesh.domain.fraud import RECENT_WINDOW_SECONDS, FraudRule, RiskFacts, counts_recent_orders, screen
from ordermesh.domain.ids import new_id
from ordermesh.domain.orders import HoldType
from ordermesh.service.commands import PlaceOrder

SYSTEM_ACTOR = "system:fraud"


def fraud_holds(conn: Connection, cmd: PlaceOrder, order: Mapping[str, Any],
              rules: Sequence[FraudRule]) -> list[dict[str, Any]]:
    """One hold row per tripped rule (none when no rules are configured: no work at all)."""
    if not rules:
        return []
    tripped = screen(rules, facts(conn, cmd, order, count=counts_recent_orders(rules)))
    return [{"id": new_id("hld"), "order_id": order["id"], "type": HoldType.FRAUD.value,
             "reason": f"{name}: {reason}"[:500], "created_by": SYSTEM_ACTOR, "created_at": order["created_at"],
             "released_at": None, "released_by": None} for name, reason in tripped]


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
