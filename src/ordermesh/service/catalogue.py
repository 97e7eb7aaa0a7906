"""Use cases for the network and catalogue: upsert, get, list, deactivate."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue as db
from ordermesh.adapters.db import outbox
from ordermesh.domain.errors import InvalidInput, NotFound
from ordermesh.service import profiles
from ordermesh.service.access import Principal, Role
from ordermesh.service.commands import UpsertChannel, UpsertLocation, UpsertSku
from ordermesh.service.unit_of_work import UnitOfWork

KINDS = ("location", "channel", "sku")


def upsert_location(uow: UnitOfWork, who: Principal, cmd: UpsertLocation) -> dict[str, Any]:
    who.require(Role.ADMIN, action="change locations")
    values = {"name": cmd.name, "type": cmd.type, "latitude": cmd.latitude, "longitude": cmd.longitude,
              "postal_code": cmd.postal_code, "country": cmd.country,
              "capabilities": sorted(set(cmd.capabilities)), "daily_capacity": cmd.daily_capacity,
              "region": cmd.region, "tags": cmd.tags, "priority": cmd.priority}
    with uow.writing() as conn:
        db.upsert_location(conn, cmd.code, values)
        outbox.append(conn, [{"type": "location.upserted", "data": {"location": cmd.code, **values}}])
        return _view(conn, "location", cmd.code)


def upsert_sku(uow: UnitOfWork, who: Principal, cmd: UpsertSku) -> dict[str, Any]:
    who.require(Role.ADMIN, action="change SKUs")
    values = {"name": cmd.name, "weight_grams": cmd.weight_grams, "tags": cmd.tags}
    with uow.writing() as conn:
        db.upsert_sku(conn, cmd.code, values)
        outbox.append(conn, [{"type": "sku.upserted", "data": {"sku": cmd.code, **values}}])
        return _view(conn, "sku", cmd.code)


def upsert_channel(uow: UnitOfWork, who: Principal, cmd: UpsertChannel) -> dict[str, Any]:
    who.require(Role.ADMIN, action="change channels")
    values = {"name": cmd.name, "type": cmd.type, "currency": cmd.currency, "buffer": cmd.buffer,
              "sourcing_profile": cmd.sourcing_profile}
    with uow.writing() as conn:
        if cmd.sourcing_profile is not None:
            profiles.require_active(conn, cmd.sourcing_profile)
        location_ids = None
        if cmd.location_codes is not None:
            found = db.ids_by_code(conn, "location", cmd.location_codes, active_only=False)
            unknown = sorted(set(cmd.location_codes) - set(found))
            if unknown:
                raise InvalidInput(f"location_codes: unknown location(s) {', '.join(unknown)}",
                                   field="location_codes", locations=unknown)
            location_ids = sorted(found.values())
        db.upsert_channel(conn, cmd.code, values, location_ids)
        outbox.append(conn, [{"type": "channel.upserted",
                              "data": {"channel": cmd.code, **values, "location_codes": cmd.location_codes}}])
        return _view(conn, "channel", cmd.code)


def get(uow: UnitOfWork, who: Principal, kind: str, code: str) -> dict[str, Any]:
    _check_visible(who, kind, code)
    with uow.reading() as conn:
        return _view(conn, kind, code)


def list_page(uow: UnitOfWork, who: Principal, kind: str, after: str | None, limit: int) -> dict[str, Any]:
    with uow.reading() as conn:
        rows = db.page(conn, kind, after, limit + 1)
        rows = [r for r in rows if _visible(who, kind, r["code"])]
        more = len(rows) > limit
        rows = rows[:limit]
        channel_locs = db.channel_location_codes(conn, [r["id"] for r in rows]) if kind == "channel" else {}
        items = [_render(kind, r, channel_locs.get(r["id"])) for r in rows]
    return {"items": items, "next_cursor": rows[-1]["code"] if more and rows else None}


def deactivate(uow: UnitOfWork, who: Principal, kind: str, code: str) -> dict[str, Any]:
    who.require(Role.ADMIN, action=f"deactivate a {kind}")
    with uow.writing() as conn:
        if not db.deactivate(conn, kind, code):
            raise NotFound(f"{kind} {code!r} not found", field=kind)
        outbox.append(conn, [{"type": f"{kind}.deactivated", "data": {kind: code}}])
        return _view(conn, kind, code)


def _visible(who: Principal, kind: str, code: str) -> bool:
    if kind == "channel" and who.role is Role.CHANNEL:
        return code == who.scope
    if kind == "location" and who.role is Role.LOCATION:
        return code == who.scope
    return True


def _check_visible(who: Principal, kind: str, code: str) -> None:
    if not _visible(who, kind, code):
        raise NotFound(f"{kind} {code!r} not found", field=kind)


def _view(conn: Connection, kind: str, code: str) -> dict[str, Any]:
    row = db.get(conn, kind, code)
    if row is None:
        raise NotFound(f"{kind} {code!r} not found", field=kind)
    locs = db.channel_location_codes(conn, [row["id"]])[row["id"]] if kind == "channel" else None
    return _render(kind, row, locs)


def _render(kind: str, row: RowMapping, channel_locations: list[str] | None) -> dict[str, Any]:
    view = {k: v for k, v in row.items() if k not in ("id", "all_locations", "updated_at")}
    view["updated_at"] = row["updated_at"]
    if kind == "channel":
        view["location_codes"] = None if row["all_locations"] else channel_locations
    return view
