"""Today's fulfillment capacity of a location: what it may still take per method, and switching it off.

Store staff switch their store off for a method for the rest of the day (short-staffed, stock-take):
sourcing then skips it, exactly as when its daily capacity is used up, and switching it on again
undoes that. Days are UTC dates, as for the capacity counts themselves.
"""

from __future__ import annotations

from typing import Any

from ordermesh.adapters.db import capacity, outbox
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.service import lookups
from ordermesh.service.access import Principal, Role
from ordermesh.service.candidates import today
from ordermesh.service.unit_of_work import UnitOfWork


def today_at(uow: UnitOfWork, who: Principal, location: str) -> dict[str, Any]:
    """Per method the location offers: today's limit (None: none), units used, and whether it is closed."""
    with uow.reading() as conn:
        site = lookups.location(conn, who, location, active_only=False)
        return _view(conn, site, today())


def switch(uow: UnitOfWork, who: Principal, location: str, method: DeliveryMethod, *, closed: bool) -> dict[str, Any]:
    who.require(Role.LOCATION, action="switch a location's fulfillment on or off")
    who.require_write("switch a location's fulfillment on or off")
    day = today()
    with uow.writing() as conn:
        site = lookups.location(conn, who, location)
        capacity.close_for_day(conn, site["id"], method.value, day, closed=closed)
        outbox.append(conn, [{"type": "location.capacity_closed" if closed else "location.capacity_opened",
                              "data": {"location": location, "method": method.value, "day": day}}])
        return _view(conn, site, day)


def _view(conn: Any, site: Any, day: str) -> dict[str, Any]:
    methods = []
    booked = capacity.day_at(conn, site["id"], day)
    for method in DeliveryMethod:
        if method.capability.value not in site["capabilities"]:
            continue
        used, closed = booked.get(method.value, (0, False))
        limit = (site["daily_capacity"] or {}).get(method.value)
        methods.append({"method": method.value, "limit": limit, "used": used, "closed": closed,
                        "left": 0 if closed else (max(0, limit - used) if limit is not None else None)})
    return {"location": site["code"], "day": day, "methods": methods}
