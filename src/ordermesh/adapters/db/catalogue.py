"""Locations, channels and SKUs in the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.sql import upsert, utcnow
from ordermesh.adapters.db.tables import Channel, ChannelLocation, Location, Sku, table_of

locations = table_of(Location)
channels = table_of(Channel)
channel_locations = table_of(ChannelLocation)
skus = table_of(Sku)

TABLES = {"location": locations, "channel": channels, "sku": skus}


def upsert_location(conn: Connection, code: str, values: dict[str, Any]) -> None:
    upsert(conn, locations, {"code": code, **values, "active": True, "updated_at": utcnow()}, ["code"])


def upsert_sku(conn: Connection, code: str, values: dict[str, Any]) -> None:
    upsert(conn, skus, {"code": code, **values, "active": True, "updated_at": utcnow()}, ["code"])


def upsert_channel(conn: Connection, code: str, values: dict[str, Any], location_ids: Sequence[int] | None) -> None:
    upsert(conn, channels, {"code": code, **values, "all_locations": location_ids is None, "active": True,
                            "updated_at": utcnow()}, ["code"])
    channel_id = conn.execute(select(channels.c.id).where(channels.c.code == code)).scalar_one()
    conn.execute(delete(channel_locations).where(channel_locations.c.channel_id == channel_id))
    if location_ids:
        conn.execute(insert(channel_locations), [{"channel_id": channel_id, "location_id": i} for i in location_ids])


def get(conn: Connection, kind: str, code: str) -> RowMapping | None:
    table = TABLES[kind]
    return conn.execute(select(table).where(table.c.code == code)).mappings().first()


def ids_by_code(conn: Connection, kind: str, codes: Iterable[str], *, active_only: bool = True) -> dict[str, int]:
    table = TABLES[kind]
    stmt = select(table.c.code, table.c.id).where(table.c.code.in_(set(codes)))
    if active_only:
        stmt = stmt.where(table.c.active.is_(True))
    return {code: id_ for code, id_ in conn.execute(stmt).all()}


def codes_by_id(conn: Connection, kind: str, ids: Iterable[int]) -> dict[int, str]:
    table = TABLES[kind]
    return {id_: code for id_, code in conn.execute(select(table.c.id, table.c.code).where(table.c.id.in_(set(ids))))}


def page(conn: Connection, kind: str, after: str | None, limit: int) -> list[RowMapping]:
    table = TABLES[kind]
    stmt = select(table).order_by(table.c.code).limit(limit)
    if after:
        stmt = stmt.where(table.c.code > after)
    return list(conn.execute(stmt).mappings())


def deactivate(conn: Connection, kind: str, code: str) -> bool:
    table = TABLES[kind]
    result = conn.execute(update(table).where(table.c.code == code).values(active=False, updated_at=utcnow()))
    return result.rowcount == 1


def channel_location_codes(conn: Connection, channel_ids: Sequence[int]) -> dict[int, list[str]]:
    stmt = (select(channel_locations.c.channel_id, locations.c.code)
            .join(locations, locations.c.id == channel_locations.c.location_id)
            .where(channel_locations.c.channel_id.in_(channel_ids)).order_by(locations.c.code))
    found: dict[int, list[str]] = {i: [] for i in channel_ids}
    for channel_id, code in conn.execute(stmt):
        found[channel_id].append(code)
    return found
