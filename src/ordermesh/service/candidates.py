"""The candidate locations of an order: what each may give this channel, and what it is.

Stock comes fresh from every order's one query; a location's other attributes (coordinates,
capabilities, type, tags, priority, daily capacity) are kept per process and re-read when the query
reports a new version of the location, so they are never served stale. Today's used capacity for the
delivery method travels in the same round trip as the stock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from ordermesh.adapters.db import capacity, inventory
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.sourcing import Candidate


@dataclass(frozen=True, slots=True)
class Site:
    """What sourcing needs to know of a location besides its stock."""

    version: int
    code: str
    latitude: float
    longitude: float
    capabilities: frozenset[str]
    type: str
    tags: frozenset[str]
    priority: int
    country: str | None
    daily_capacity: Mapping[str, int]

    def capacity_limit(self, method: DeliveryMethod | None) -> int | None:
        """Fulfillment orders a day for ``method``; None: no limit."""
        return self.daily_capacity.get(method.value) if method is not None else None


_SITES: WeakKeyDictionary[Engine, dict[int, Site]] = WeakKeyDictionary()


def sites(conn: Connection, versions: Mapping[int, int]) -> dict[int, Site]:
    """Location id → its attributes, re-read for every location whose version moved on."""
    known = _SITES.setdefault(conn.engine, {})
    stale = [i for i, v in versions.items() if i not in known or known[i].version != v]
    if stale:
        for r in inventory.location_attributes(conn, stale):
            known[r["id"]] = Site(r["version"], r["code"], r["latitude"], r["longitude"],
                                  frozenset(r["capabilities"]), r["type"], frozenset(r["tags"] or ()),
                                  r["priority"], r["country"], r["daily_capacity"] or {})
    return known


def today() -> str:
    return capacity.day_of(utcnow())


def candidates(conn: Connection, channel: Mapping[Any, Any], sku_ids: Sequence[int], *,
               method: DeliveryMethod | None = None,
               location_ids: Sequence[int] | None = None) -> list[Candidate]:
    """The locations feeding ``channel`` that hold any of ``sku_ids``, with today's capacity for ``method``."""
    rows_sent = inventory.sellable_at_later(conn, channel_id=channel["id"], all_locations=channel["all_locations"],
                                            buffer=channel["buffer"], sku_ids=sku_ids, location_ids=location_ids)
    used_sent = capacity.used_today_later(conn, method.value, today()) if method is not None else None
    stock: dict[int, dict[int, int]] = defaultdict(dict)
    versions: dict[int, int] = {}
    for location_id, version, sku_id, sellable in rows_sent():
        stock[location_id][sku_id] = sellable if sellable > 0 else 0
        versions[location_id] = version
    used = used_sent() if used_sent is not None else {}
    known = sites(conn, versions)
    kind = method.value if method is not None else None  # once per order, not per candidate
    found = []
    for i in versions:  # a plain loop: this runs for every candidate location of every order
        site = known[i]
        limit = site.daily_capacity.get(kind) if kind is not None else None
        taken, closed = used.get(i) or (0, False)
        left = 0 if closed else (max(0, limit - taken) if limit is not None else None)
        found.append(Candidate(i, site.code, site.latitude, site.longitude, site.capabilities, stock[i],
                               site.type, site.tags, site.priority, left, site.country))
    found.sort(key=_BY_CODE)
    return found


_BY_CODE = attrgetter("code")
