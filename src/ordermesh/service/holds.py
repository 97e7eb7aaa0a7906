"""Holds as rows and events: one shape for every hold, whoever places it (a person, the fraud rules, the
payment provider's answer), and for every release."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.ids import new_id

Row = Mapping[Any, Any]
MAX_REASON = 500  # the column's length


def hold_row(order_id: str, kind: str, reason: str, actor: str, at: datetime | None = None) -> dict[str, Any]:
    return {"id": new_id("hld"), "order_id": order_id, "type": kind, "reason": reason[:MAX_REASON],
            "created_by": actor, "created_at": at or utcnow(), "released_at": None, "released_by": None}


def placed_event(order: Row, hold: Row) -> dict[str, Any]:
    return {"type": "order.hold_placed", "order_id": order["id"], "channel_id": order["channel_id"],
            "data": {"order_id": order["id"], "hold_id": hold["id"], "type": hold["type"], "reason": hold["reason"],
                     "actor": hold["created_by"]}}


def released_event(order: Row, hold_id: str, actor: str) -> dict[str, Any]:
    return {"type": "order.hold_released", "order_id": order["id"], "channel_id": order["channel_id"],
            "data": {"order_id": order["id"], "hold_id": hold_id, "actor": actor}}


def put_on_hold(conn: Connection, order: Row, hold: Row) -> None:
    """Write the hold and its event (the caller derives the order's status afterwards)."""
    db.insert_hold(conn, dict(hold))
    outbox.append(conn, [placed_event(order, hold)])
