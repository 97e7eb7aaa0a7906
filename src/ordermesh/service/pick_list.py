"""A location's pick list: every unit it still has to pick, the most urgent first."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson

from ordermesh.adapters.db import catalogue
from ordermesh.adapters.db import fulfillment as work
from ordermesh.adapters.db.sql import as_utc
from ordermesh.domain.errors import Forbidden, InvalidInput, NotFound
from ordermesh.domain.fulfillment import TO_PICK
from ordermesh.service.access import Principal, Role
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso


def pick_list(uow: UnitOfWork, who: Principal, location: str, *, cursor: str | None, limit: int) -> dict[str, Any]:
    """Open, accepted and picking fulfillment orders' lines at ``location``, by due time.

    Admins and analysts see any location's list; a location key only its own (others: 404).
    """
    if who.role is Role.CHANNEL:
        raise Forbidden("a channel key may not read a location's pick list")
    who.check_location(location, field="code")
    after = _decode(cursor) if cursor is not None else None
    with uow.reading() as conn:
        found = catalogue.ids_by_code(conn, "location", [location], active_only=False)
        if location not in found:
            raise NotFound(f"location {location!r} not found", field="code")
        rows = work.pick_list(conn, found[location], [s.value for s in TO_PICK], after=after, limit=limit + 1)
    page = rows[:limit]
    items = [{"sku": r["sku"], "quantity": r["quantity"], "order_id": r["order_id"],
              "fulfillment_order_id": r["fulfillment_order_id"], "order_line_id": r["order_line_id"],
              "due_at": iso(r["due_at"]), "method": r["method"], "status": r["status"]} for r in page]
    last = page[-1] if page and len(rows) > limit else None
    next_cursor = _encode(last["due_at"], last["fulfillment_order_id"], last["order_line_id"]) if last else None
    return {"location": location, "items": items, "next_cursor": next_cursor}


def _encode(due_at: datetime, fo_id: str, line_id: str) -> str:
    raw = orjson.dumps([as_utc(due_at).isoformat(), fo_id, line_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str, str]:
    try:
        due, fo_id, line_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return as_utc(datetime.fromisoformat(due)), str(fo_id), str(line_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidInput("cursor: not a cursor this list handed out", field="cursor") from None
