"""Daily fulfillment capacity per location and method (e.g. a store ships 40 orders a day).

A fulfillment order takes one unit of its location's capacity for its method on its day (UTC) in the
same transaction as its stock reservation, by one conditional upsert that cannot go past the limit,
whatever the concurrency; cancelling or rejecting it gives the unit back. ``closed`` switches a location
off for a method for the rest of the day (a store that says "no capacity", or staff closing it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, bindparam, false, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.tables import LocationCapacity, table_of

capacity = table_of(LocationCapacity)


def day_of(moment: datetime) -> str:
    """The capacity day of a moment: its UTC date (YYYY-MM-DD; isoformat is several times cheaper than
    strftime, and this runs a few times for every order)."""
    return moment.date().isoformat()


def _take_statement(dialect: object) -> FastStatement:
    insert = postgresql.insert if dialect is postgresql else sqlite.insert
    stmt = insert(capacity).values(location_id=bindparam("l"), day=bindparam("d"), method=bindparam("m"),
                                   used=literal_column("1"), closed=false())
    # Conflict: the day's row exists; count one more only while under the limit and open.
    stmt = stmt.on_conflict_do_update(
        index_elements=["location_id", "day", "method"], set_={"used": capacity.c.used + literal_column("1")},
        where=and_(capacity.c.used < bindparam("limit"), capacity.c.closed.is_(False)))
    return FastStatement(stmt.returning(capacity.c.used))


_TAKE = {"postgresql": _take_statement(postgresql), "sqlite": _take_statement(sqlite)}
_GIVE_BACK = (update(capacity)
              .where(capacity.c.location_id == bindparam("l"), capacity.c.day == bindparam("d"),
                     capacity.c.method == bindparam("m"), capacity.c.used > 0)
              .values(used=capacity.c.used - 1))
_USED = FastStatement(select(capacity.c.location_id, capacity.c.used, capacity.c.closed)
                      .where(capacity.c.day == bindparam("d"), capacity.c.method == bindparam("m")))


def take(conn: Connection, location_id: int, method: str, day: str, limit: int | None) -> bool:
    """Take one unit of the day's capacity; False when the location is full or closed for the method.

    ``limit`` None means unlimited: the unit is still counted, so the day's load shows, unless the
    location was closed for the day.
    """
    return take_later(conn, location_id, method, day, limit)()


def take_later(conn: Connection, location_id: int, method: str, day: str,
               limit: int | None) -> Callable[[], bool]:
    """``take``, sent at once and answered when the returned function is called (see batch.py)."""
    if limit is not None and limit <= 0:
        return lambda: False
    bound = limit if limit is not None else 2**31 - 1
    cursor = _TAKE[conn.dialect.name].run(conn, {"l": location_id, "d": day, "m": method, "limit": bound})
    return lambda: cursor.fetchone() is not None


def give_back(conn: Connection, location_id: int, method: str, day: str) -> None:
    conn.execute(_GIVE_BACK, {"l": location_id, "d": day, "m": method})


def close_for_day(conn: Connection, location_id: int, method: str, day: str, *, closed: bool = True) -> None:
    """Switch a location off (or on again) for a method for the rest of ``day``."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(capacity).values(location_id=location_id, day=day, method=method, used=0, closed=closed)
    conn.execute(stmt.on_conflict_do_update(index_elements=["location_id", "day", "method"],
                                            set_={"closed": closed}))


def used_today(conn: Connection, method: str, day: str) -> dict[int, tuple[int, bool]]:
    """(units used, closed) per location that has a row for the method and day; absent means (0, False)."""
    return used_today_later(conn, method, day)()


def used_today_later(conn: Connection, method: str, day: str) -> Callable[[], dict[int, tuple[int, bool]]]:
    """``used_today``, sent at once and read when the returned function is called (see batch.py)."""
    cursor = _USED.run(conn, {"d": day, "m": method})
    return lambda: {location_id: (used, bool(closed)) for location_id, used, closed in cursor.fetchall()}


def day_at(conn: Connection, location_id: int, day: str) -> dict[str, tuple[int, bool]]:
    """Method → (units used, closed) of one location's day; a method without a row is (0, False)."""
    stmt = select(capacity.c.method, capacity.c.used, capacity.c.closed).where(
        capacity.c.location_id == location_id, capacity.c.day == day)
    return {method: (used, bool(closed)) for method, used, closed in conn.execute(stmt)}
