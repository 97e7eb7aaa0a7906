"""Inventory positions and the movement ledger.

Every change to a position goes through one conditional UPDATE whose WHERE clause carries the rule
(enough sellable stock, enough reserved to release), so two concurrent requests can never both take the
last unit — on SQLite and PostgreSQL alike — and a ledger row is written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any, cast

from sqlalchemy import and_, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import batch
from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import InList, is_postgres, utcnow
from ordermesh.adapters.db.tables import ChannelLocation, InventoryMovement, InventoryPosition, Location, Sku, table_of

positions = table_of(InventoryPosition)
movements = table_of(InventoryMovement)
locations = table_of(Location)
skus = table_of(Sku)
channel_locations = table_of(ChannelLocation)


@dataclass(frozen=True, slots=True)
class StockChange:
    """Units of one SKU at one location, for reserve, release and issue."""

    sku_id: int
    location_id: int
    quantity: int


def in_lock_order(changes: Iterable[StockChange]) -> list[StockChange]:
    # A fixed lock order (SKU, location) means two multi-line orders never deadlock on PostgreSQL.
    return sorted(changes, key=lambda c: (c.sku_id, c.location_id))


_RESERVE = (
    update(positions)
    .where(positions.c.sku_id == bindparam("s"), positions.c.location_id == bindparam("l"),
           positions.c.on_hand - positions.c.reserved - positions.c.safety_stock - bindparam("buffer")
           >= bindparam("q"))
    .values(reserved=positions.c.reserved + bindparam("q"), updated_at=bindparam("now"))
)
_RELEASE = (
    update(positions)
    .where(positions.c.sku_id == bindparam("s"), positions.c.location_id == bindparam("l"),
           positions.c.reserved >= bindparam("q"))
    .values(reserved=positions.c.reserved - bindparam("q"), updated_at=bindparam("now"))
)
_FAST_RESERVE = FastStatement(_RESERVE)
_UNRESERVE = (
    update(positions)
    .where(positions.c.sku_id == bindparam("s"), positions.c.location_id == bindparam("l"))
    .values(reserved=positions.c.reserved - bindparam("q"), updated_at=bindparam("now"))
)
_ISSUE = (
    update(positions)
    .where(positions.c.sku_id == bindparam("s"), positions.c.location_id == bindparam("l"),
           positions.c.reserved >= bindparam("q"))
    .values(reserved=positions.c.reserved - bindparam("q"), on_hand=positions.c.on_hand - bindparam("q"),
            updated_at=bindparam("now"))
)


_INSERT_MOVEMENTS = FastStatement(insert(movements), unread=True)


def reserve(conn: Connection, changes: Iterable[StockChange], *, buffer: int, source: str,
            refuse: Callable[[list[StockChange]], None]) -> None:
    """Reserve every change, or call ``refuse`` (which raises) with the ones that no longer fit.

    Inside a batch the row counts are checked when the batch has been sent, and a refusal must roll
    back the whole transaction. Alone, what this call took is given back before ``refuse``, so the
    caller may try other locations within the same transaction.
    """
    now = utcnow()
    ordered = in_lock_order(changes)
    sent = [(c, _FAST_RESERVE.run(conn, {"s": c.sku_id, "l": c.location_id, "q": c.quantity, "buffer": buffer,
                                         "now": now})) for c in ordered]
    active = batch.current(conn)
    if active is not None:
        record(conn, [(c, "reserve", 0, c.quantity) for c in ordered], source=source)
        active.check(lambda: _refuse_short([c for c, cursor in sent if cursor.rowcount != 1], refuse))
        return
    failed = [c for c, cursor in sent if cursor.rowcount != 1]
    if failed:
        for c, cursor in sent:
            if cursor.rowcount == 1:
                conn.execute(_UNRESERVE, {"s": c.sku_id, "l": c.location_id, "q": c.quantity, "now": now})
        refuse(failed)
        return
    record(conn, [(c, "reserve", 0, c.quantity) for c in ordered], source=source)


def _refuse_short(failed: list[StockChange], refuse: Callable[[list[StockChange]], None]) -> None:
    if failed:
        refuse(failed)


def release(conn: Connection, changes: Iterable[StockChange], *, source: str, reason: str | None = None) -> None:
    _move(conn, _RELEASE, changes, "release", source, reason, on_hand_sign=0)


def issue(conn: Connection, changes: Iterable[StockChange], *, source: str, reason: str | None = None,
          kind: str = "issue") -> None:
    """Reserved units leave the location (handed over, or sent on a ``transfer``)."""
    _move(conn, _ISSUE, changes, kind, source, reason, on_hand_sign=-1)


def _move(conn: Connection, stmt: Any, changes: Iterable[StockChange], kind: str, source: str,
          reason: str | None, *, on_hand_sign: int) -> None:
    now = utcnow()
    applied = []
    for c in in_lock_order(changes):
        if c.quantity == 0:
            continue
        if conn.execute(stmt, {"s": c.sku_id, "l": c.location_id, "q": c.quantity, "now": now}).rowcount != 1:
            # Reserved units are tracked exactly; a shortfall here is a bug, not bad input.
            raise RuntimeError(f"{kind} of {c} found fewer units reserved than expected")
        applied.append((c, kind, on_hand_sign * c.quantity, -c.quantity))
    record(conn, applied, source=source, reason=reason)


def record(conn: Connection, rows: Sequence[tuple[StockChange, str, int, int]], *, source: str,
           reason: str | None = None, keys: Sequence[str | None] | None = None) -> None:
    """Append ledger rows: (change, type, on-hand delta, reserved delta)."""
    if not rows:
        return
    now = utcnow()
    _INSERT_MOVEMENTS.run(conn, [
        {"sku_id": c.sku_id, "location_id": c.location_id, "type": kind, "on_hand_delta": dh,
         "reserved_delta": dr, "reason": reason, "source": source, "created_at": now,
         "idempotency_key": keys[i] if keys else None}
        for i, (c, kind, dh, dr) in enumerate(rows)
    ])


def lock_position(conn: Connection, sku_id: int, location_id: int) -> RowMapping:
    """The position row, created at zero if new, locked for this transaction."""
    conn.execute(
        (_insert_ignore(conn)).values(sku_id=sku_id, location_id=location_id, on_hand=0, reserved=0,
                                      safety_stock=0, updated_at=utcnow())
    )
    stmt = select(positions).where(positions.c.sku_id == sku_id, positions.c.location_id == location_id)
    return conn.execute(stmt.with_for_update()).mappings().one()


def _insert_ignore(conn: Connection) -> Any:
    dialect_insert = postgresql.insert if is_postgres(conn) else sqlite.insert
    return dialect_insert(positions).on_conflict_do_nothing()


def set_position(conn: Connection, sku_id: int, location_id: int, **values: int) -> None:
    conn.execute(update(positions).where(positions.c.sku_id == sku_id, positions.c.location_id == location_id)
                 .values(**values, updated_at=utcnow()))


def movement_key_exists(conn: Connection, key: str) -> bool:
    return conn.execute(select(literal(1)).where(movements.c.idempotency_key == key)).first() is not None


def _channel_location_filter(channel_id: int, all_locations: bool) -> Any:
    if all_locations:
        return literal(True)
    return locations.c.id.in_(select(channel_locations.c.location_id)
                              .where(channel_locations.c.channel_id == channel_id))


def _sellable_statement(all_locations: bool, by_location: bool, with_codes: bool) -> FastStatement:
    sellable = positions.c.on_hand - positions.c.reserved - positions.c.safety_stock - bindparam("buffer")
    columns = [positions.c.location_id, locations.c.version, positions.c.sku_id, sellable.label("sellable")]
    if with_codes:
        columns.append(locations.c.code)
    stmt = (select(*columns).join(positions, positions.c.location_id == locations.c.id)
            .where(locations.c.active.is_(True), InList(positions.c.sku_id, "skus")))
    if not all_locations:
        stmt = stmt.where(locations.c.id.in_(select(channel_locations.c.location_id)
                                             .where(channel_locations.c.channel_id == bindparam("channel"))))
    if by_location:
        stmt = stmt.where(InList(locations.c.id, "locations"))
    return FastStatement(stmt)


_SELLABLE = {flags: _sellable_statement(*flags) for flags in product((True, False), repeat=3)}


def sellable_at(conn: Connection, *, channel_id: int, all_locations: bool, buffer: int,
                sku_ids: Sequence[int], location_ids: Sequence[int] | None = None,
                with_codes: bool = False) -> Sequence[tuple[Any, ...]]:
    """Per (location, SKU): what the channel may still take, for active locations feeding it.

    The hot path of every order: integers only (location id, its version, SKU id, units). Callers keep
    the locations' other attributes in a cache checked against ``version``; ``with_codes`` adds the code.
    """
    return sellable_at_later(conn, channel_id=channel_id, all_locations=all_locations, buffer=buffer,
                             sku_ids=sku_ids, location_ids=location_ids, with_codes=with_codes)()


def sellable_at_later(conn: Connection, *, channel_id: int, all_locations: bool, buffer: int,
                      sku_ids: Sequence[int], location_ids: Sequence[int] | None = None,
                      with_codes: bool = False) -> Callable[[], list[tuple[Any, ...]]]:
    """``sellable_at``, sent at once and read when the returned function is called (in a batch, several
    reads share one round trip)."""
    stmt = _SELLABLE[all_locations, location_ids is not None, with_codes]
    params: dict[str, Any] = {"buffer": buffer, "skus": list(sku_ids), "channel": channel_id}
    if location_ids is not None:
        params["locations"] = list(location_ids)
    # On the driver, as plain tuples: this runs for every (location, SKU) pair of every order, and
    # SQLAlchemy's Row objects cost microseconds each.
    cursor = stmt.run(conn, params)
    return lambda: cast(list[tuple[Any, ...]], cursor.fetchall())


def location_attributes(conn: Connection, location_ids: Sequence[int]) -> list[RowMapping]:
    stmt = select(locations.c.id, locations.c.version, locations.c.code, locations.c.latitude,
                  locations.c.longitude, locations.c.capabilities, locations.c.type, locations.c.tags,
                  locations.c.priority, locations.c.country, locations.c.daily_capacity
                  ).where(locations.c.id.in_(location_ids))
    return list(conn.execute(stmt).mappings())


def feeding_locations(conn: Connection, *, channel_id: int, all_locations: bool,
                      location_ids: Sequence[int] | None = None) -> list[RowMapping]:
    stmt = (select(locations.c.id.label("location_id"), locations.c.code, locations.c.latitude,
                   locations.c.longitude, locations.c.capabilities)
            .where(locations.c.active.is_(True), _channel_location_filter(channel_id, all_locations)))
    if location_ids is not None:
        stmt = stmt.where(locations.c.id.in_(location_ids))
    return list(conn.execute(stmt.order_by(locations.c.code)).mappings())


def page_positions(conn: Connection, *, sku_id: int | None, location_id: int | None,
                   after: tuple[str, str] | None, limit: int) -> list[RowMapping]:
    stmt = (
        select(skus.c.code.label("sku"), locations.c.code.label("location"), positions.c.on_hand,
               positions.c.reserved, positions.c.safety_stock)
        .join(skus, skus.c.id == positions.c.sku_id)
        .join(locations, locations.c.id == positions.c.location_id)
        .order_by(skus.c.code, locations.c.code).limit(limit)
    )
    if sku_id is not None:
        stmt = stmt.where(positions.c.sku_id == sku_id)
    if location_id is not None:
        stmt = stmt.where(positions.c.location_id == location_id)
    if after is not None:
        stmt = stmt.where(or_(skus.c.code > after[0], and_(skus.c.code == after[0], locations.c.code > after[1])))
    return list(conn.execute(stmt).mappings())


def ledger_totals(conn: Connection) -> dict[tuple[int, int], tuple[int, int]]:
    """Σ on-hand and reserved deltas per position: the ledger must agree with the positions."""
    stmt = select(movements.c.sku_id, movements.c.location_id, func.sum(movements.c.on_hand_delta),
                  func.sum(movements.c.reserved_delta)).group_by(movements.c.sku_id, movements.c.location_id)
    return {(s, loc): (int(h), int(r)) for s, loc, h, r in conn.execute(stmt)}

