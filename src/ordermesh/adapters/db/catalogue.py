"""Locations, channels and SKUs in the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import orjson
from sqlalchemy import bindparam, delete, insert, literal_column, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import InList, upsert, utcnow
from ordermesh.adapters.db.tables import Channel, ChannelLocation, Location, Order, Sku, SourcingProfile, table_of

locations = table_of(Location)
channels = table_of(Channel)
channel_locations = table_of(ChannelLocation)
skus = table_of(Sku)
orders = table_of(Order)
profiles = table_of(SourcingProfile)

TABLES = {"location": locations, "channel": channels, "sku": skus}


def upsert_location(conn: Connection, code: str, values: dict[str, Any]) -> None:
    upsert(conn, locations, {"code": code, **values, "active": True, "version": 1, "updated_at": utcnow()}, ["code"])


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


# The ordering path's reads run on the driver (see fast.py): only the columns it uses.
_CHANNEL_WITH_ORDER = FastStatement(select(
    channels.c.id, channels.c.code, channels.c.currency, channels.c.all_locations, channels.c.buffer,
    channels.c.active,
    select(orders.c.id).where(orders.c.channel_id == channels.c.id, orders.c.external_id == bindparam("external_id"))
    .scalar_subquery().label("existing_order_id"),
    # The row id of its sourcing profile's active version: versions never change, so this id is all a
    # process needs to find the parsed profile in its cache.
    select(profiles.c.id).where(profiles.c.code == channels.c.sourcing_profile,
                                profiles.c.status == literal_column("'active'"))
    .scalar_subquery().label("profile_id"),
).where(channels.c.code == bindparam("code")))
_CHANNEL_WITH_ORDER_COLUMNS = ("id", "code", "currency", "all_locations", "buffer", "active", "existing_order_id",
                               "profile_id")


def channel_with_order(conn: Connection, code: str, external_id: str) -> Callable[[], dict[str, Any] | None]:
    """The channel's ordering settings plus ``existing_order_id``: its order under ``external_id``, if any.

    Sent at once, read when the returned function is called: inside a batch, several such reads share
    one round trip.
    """
    cursor = _CHANNEL_WITH_ORDER.run(conn, {"code": code, "external_id": external_id})

    def read() -> dict[str, Any] | None:
        row = cursor.fetchone()
        return dict(zip(_CHANNEL_WITH_ORDER_COLUMNS, row, strict=True)) if row is not None else None

    return read


def _ids_statement(kind: str, active_only: bool) -> FastStatement:
    table = TABLES[kind]
    stmt = select(table.c.code, table.c.id).where(InList(table.c.code, "codes"))
    return FastStatement(stmt.where(table.c.active.is_(True)) if active_only else stmt)


# Prebuilt, so hot paths reuse one compiled statement instead of building and keying a new one per call.
_IDS = {(kind, active): _ids_statement(kind, active) for kind in TABLES for active in (True, False)}


def ids_by_code(conn: Connection, kind: str, codes: Iterable[str], *, active_only: bool = True) -> dict[str, int]:
    return ids_by_code_later(conn, kind, codes, active_only=active_only)()


def ids_by_code_later(conn: Connection, kind: str, codes: Iterable[str], *,
                      active_only: bool = True) -> Callable[[], dict[str, int]]:
    """``ids_by_code``, sent at once and read when the returned function is called (see above)."""
    cursor = _IDS[kind, active_only].run(conn, {"codes": list(set(codes))})
    return lambda: {code: id_ for code, id_ in cursor.fetchall()}


class SkuFacts(NamedTuple):
    id: int
    weight_grams: int | None
    tags: frozenset[str]


_SKU_FACTS = FastStatement(select(skus.c.code, skus.c.id, skus.c.weight_grams, skus.c.tags)
                           .where(InList(skus.c.code, "codes"), skus.c.active.is_(True)))


def sku_facts_later(conn: Connection, codes: Iterable[str]) -> Callable[[], dict[str, SkuFacts]]:
    """Active SKUs by code with what sourcing weighs (weight, tags); sent at once, read when called."""
    cursor = _SKU_FACTS.run(conn, {"codes": list(set(codes))})

    def read() -> dict[str, SkuFacts]:
        return {code: SkuFacts(id_, weight, frozenset(tags if isinstance(tags, list) else orjson.loads(tags or "[]")))
                for code, id_, weight, tags in cursor.fetchall()}

    return read


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
    values: dict[str, Any] = {"active": False, "updated_at": utcnow()}
    if "version" in table.c:
        values["version"] = table.c.version + 1
    result = conn.execute(update(table).where(table.c.code == code).values(**values))
    return result.rowcount == 1


def channel_location_codes(conn: Connection, channel_ids: Sequence[int]) -> dict[int, list[str]]:
    stmt = (select(channel_locations.c.channel_id, locations.c.code)
            .join(locations, locations.c.id == channel_locations.c.location_id)
            .where(channel_locations.c.channel_id.in_(channel_ids)).order_by(locations.c.code))
    found: dict[int, list[str]] = {i: [] for i in channel_ids}
    for channel_id, code in conn.execute(stmt):
        found[channel_id].append(code)
    return found
