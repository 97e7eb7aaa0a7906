"""Read-side use cases: orders and the event feed."""

from __future__ import annotations

from typing import Any

from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db import outbox
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.orders import OrderStatus
from ordermesh.service import lookups
from ordermesh.service.access import Principal, Role
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso, order_view, render_event


def get_order(uow: UnitOfWork, who: Principal, order_id: str) -> dict[str, Any]:
    with uow.reading() as conn:
        return order_view(conn, who, order_id, public_url=uow.public_url)


def list_orders(uow: UnitOfWork, who: Principal, *, channel: str | None, status: str | None,
                cursor: str | None, limit: int) -> dict[str, Any]:
    if status is not None and status not in {s.value for s in OrderStatus}:
        raise InvalidInput(f"status: {status!r} is not an order status", field="status")
    if who.role is Role.CHANNEL:
        who.check_channel(channel or who.scope or "")
        channel = who.scope
    with uow.reading() as conn:
        location_id = lookups.optional_id(conn, "location", who.scope) if who.role is Role.LOCATION else None
        rows = db.page_orders(conn, channel_id=lookups.optional_id(conn, "channel", channel), status=status,
                              location_id=location_id, after=cursor, limit=limit + 1)
    page = rows[:limit]
    items = [{"id": r["id"], "status": r["status"], "channel": r["channel"], "external_id": r["external_id"],
              "currency": r["currency"], "customer_email": (r["customer"] or {}).get("email"),
              "delivery_method": (r["delivery"] or {}).get("method"), "created_at": iso(r["created_at"]),
              "total_minor": r["total_minor"]} for r in page]
    return {"items": items, "next_cursor": page[-1]["id"] if len(rows) > limit else None}


def encode_cursor(tx_id: int, event_id: int) -> str:
    return f"{tx_id}.{event_id}"


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return (-1, 0)
    try:
        tx, _, ev = cursor.partition(".")
        return (int(tx), int(ev))
    except ValueError:
        raise InvalidInput(f"after: {cursor!r} is not a cursor from this feed", field="after") from None


def events_page(uow: UnitOfWork, who: Principal, *, after: str | None, limit: int,
                types: list[str] | None = None) -> dict[str, Any]:
    position = decode_cursor(after)
    with uow.reading() as conn:
        channel_id = lookups.optional_id(conn, "channel", who.scope) if who.role is Role.CHANNEL else None
        location_id = lookups.optional_id(conn, "location", who.scope) if who.role is Role.LOCATION else None
        rows = outbox.page(conn, after=position, limit=limit, channel_id=channel_id, location_id=location_id,
                           types=types)
    items = [render_event(r) for r in rows]
    last = rows[-1] if rows else None
    return {"items": items,
            "next_cursor": encode_cursor(last["tx_id"], last["id"]) if last else (after or None)}
