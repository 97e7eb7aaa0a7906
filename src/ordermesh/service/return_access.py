"""Who may do what with returns, in the terms of service/access.py.

- admin: everything. analyst: read-only (returns, the returns desk lookup).
- channel:CODE: requests, authorizes, rejects, refunds and closes the returns of its own channel's orders;
  it receives nothing (goods arrive at a location).
- location:CODE, the **returns desk** of a location with the ``returns`` capability: finds the orders of
  *any* channel (a web order is brought back to a store) and may start, authorize or reject a return for
  them; it receives returns at its own location only, and refunds or closes what it received. It sees
  the returns that have not been received anywhere yet (the customer may walk into any store) and those
  received at its location; everything else is not found (404). A location without the ``returns``
  capability is no returns desk (403). The desk sees an order's lines and returnable units, not the
  customer's full contact details (masked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue
from ordermesh.adapters.db import orders as orders_db
from ordermesh.adapters.db import returns as db
from ordermesh.domain.catalogue import Capability
from ordermesh.domain.errors import Forbidden, NotFound
from ordermesh.service.access import Principal, Role

Row = Mapping[Any, Any]


def require_staff(who: Principal, action: str) -> None:
    """Admins, channels and returns desks change returns; analysts only read."""
    who.require_write(action)
    who.require(Role.CHANNEL, Role.LOCATION, action=action)


def desk(conn: Connection, who: Principal) -> RowMapping | None:
    """A location key's location, which must take returns; None for other keys."""
    if who.role is not Role.LOCATION:
        return None
    site = catalogue.get(conn, "location", who.scope or "")
    if site is None or Capability.RETURNS.value not in (site["capabilities"] or []):
        raise Forbidden(f"location {who.scope} does not take returns (it lacks the returns capability)")
    return site


def sees_return(who: Principal, ret: Row, desk_id: int | None) -> bool:
    if who.role is Role.CHANNEL:
        return bool(ret["channel"] == who.scope)
    if who.role is Role.LOCATION:
        return ret["location_id"] is None or ret["location_id"] == desk_id
    return True


def sees_order(who: Principal, order: Row) -> bool:
    """Whose orders a key may start a return for: a channel its own, a returns desk any."""
    return who.role is not Role.CHANNEL or bool(order["channel"] == who.scope)


def visible_return(conn: Connection, who: Principal, return_id: str) -> RowMapping:
    ret = db.get_return(conn, return_id)
    site_id = _scope_location_id(conn, who)
    if ret is None or not sees_return(who, ret, site_id):
        raise NotFound(f"return {return_id!r} not found", field="return_id")
    return ret


def locked_return(conn: Connection, who: Principal, return_id: str) -> tuple[RowMapping, RowMapping]:
    """The return's order, locked (every change to an order and its returns is serialised on it), and the
    return read again under that lock."""
    found = visible_return(conn, who, return_id)
    order = orders_db.lock_order(conn, found["order_id"])
    ret = db.get_return(conn, return_id)
    if order is None or ret is None:
        raise NotFound(f"return {return_id!r} not found", field="return_id")
    return order, ret


def _scope_location_id(conn: Connection, who: Principal) -> int | None:
    """A returns desk's location id (a location that takes no returns sees no returns at all: 403)."""
    site = desk(conn, who)
    return None if site is None else int(site["id"])
