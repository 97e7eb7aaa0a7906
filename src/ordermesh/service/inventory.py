"""Inventory use cases: movements into the ledger, positions, and what each channel may sell."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import inventory as db
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.domain.errors import Conflict, InvalidInput
from ordermesh.domain.inventory import MANUAL_MOVEMENTS, MAX_UNITS, MovementType, Position, on_hand_delta
from ordermesh.service import lookups
from ordermesh.service.access import Principal, Role
from ordermesh.service.commands import Movement, RecordMovements


def record_movements(conn: Connection, who: Principal, cmd: RecordMovements,
                     key_prefix: str | None = None) -> dict[str, Any]:
    """Apply receive/adjust/count movements, all or none, each with its ledger row and event."""
    who.require(Role.LOCATION, action="record inventory movements")
    who.require_write("record inventory movements")
    sku_ids = lookups.sku_ids(conn, [m.sku for m in cmd.movements],
                              [f"movements[{i}].sku" for i in range(len(cmd.movements))])
    results = []
    for i, m in enumerate(cmd.movements):
        location = lookups.location(conn, who, m.location, field=f"movements[{i}].location", active_only=False)
        key = f"{key_prefix}:{i}" if key_prefix else None
        results.append(_apply(conn, i, m, sku_ids[m.sku], location["id"], cmd.source, key))
    return {"movements": results}


def _apply(conn: Connection, i: int, m: Movement, sku_id: int, location_id: int, source: str,
           key: str | None) -> dict[str, Any]:
    kind = _manual_type(i, m)
    position = db.lock_position(conn, sku_id, location_id)
    delta = on_hand_delta(kind, m.quantity, position["on_hand"])
    on_hand = position["on_hand"] + delta
    if on_hand > MAX_UNITS:  # also keeps the figure inside the database's integer column
        raise InvalidInput(f"movements[{i}].quantity: {m.sku} at {m.location} would have {on_hand} on hand, "
                           f"more than the {MAX_UNITS} a position may hold", field=f"movements[{i}].quantity")
    if on_hand < position["reserved"]:
        raise Conflict(
            f"movements[{i}]: {m.sku} at {m.location} would have {on_hand} on hand but "
            f"{position['reserved']} are reserved; release or re-source those first",
            field=f"movements[{i}].quantity", sku=m.sku, location=m.location)
    db.set_position(conn, sku_id, location_id, on_hand=on_hand)
    db.record(conn, [(StockChange(sku_id, location_id, abs(delta)), kind.value, delta, 0)], source=source,
              reason=m.reason, keys=[key] if key else None)
    after = Position(on_hand, position["reserved"], position["safety_stock"])
    view = {"sku": m.sku, "location": m.location, "type": kind.value, "quantity": m.quantity, "delta": delta,
            "on_hand": after.on_hand, "reserved": after.reserved, "available": after.available_to_promise}
    outbox.append(conn, [{"type": "inventory.moved", "location_id": location_id, "data": {**view, "reason": m.reason}}])
    return view


def _manual_type(i: int, m: Movement) -> MovementType:
    field = f"movements[{i}]"
    try:
        kind = MovementType(m.type)
    except ValueError:
        kind = None
    if kind not in MANUAL_MOVEMENTS or kind is None:
        raise InvalidInput(f"{field}.type: must be receive, adjust or count", field=f"{field}.type")
    if abs(m.quantity) > MAX_UNITS:
        raise InvalidInput(f"{field}.quantity: {m.quantity} is absurd", field=f"{field}.quantity")
    if kind is MovementType.RECEIVE and m.quantity <= 0:
        raise InvalidInput(f"{field}.quantity: a receipt must be positive", field=f"{field}.quantity")
    if kind is MovementType.ADJUST and m.quantity == 0:
        raise InvalidInput(f"{field}.quantity: an adjustment must not be zero", field=f"{field}.quantity")
    if kind is MovementType.COUNT and m.quantity < 0:
        raise InvalidInput(f"{field}.quantity: a count cannot be negative", field=f"{field}.quantity")
    return kind


def positions_page(conn: Connection, who: Principal, *, sku: str | None, location: str | None,
                   cursor: str | None, limit: int) -> dict[str, Any]:
    if who.role is Role.CHANNEL:
        who.require(Role.LOCATION, action="read inventory positions (use /availability)")
    if who.role is Role.LOCATION:
        location = location or who.scope
    sku_id = lookups.optional_id(conn, "sku", sku)
    location_id = None
    if location is not None:
        location_id = lookups.location_by_code_or_404(conn, who, location)["id"]
    after = tuple(cursor.split("\x1f", 1)) if cursor and "\x1f" in cursor else None
    rows = db.page_positions(conn, sku_id=sku_id, location_id=location_id, after=after,  # type: ignore[arg-type]
                             limit=limit + 1)
    items = [{"sku": r["sku"], "location": r["location"], "on_hand": r["on_hand"], "reserved": r["reserved"],
              "safety_stock": r["safety_stock"],
              "available": Position(r["on_hand"], r["reserved"], r["safety_stock"]).sellable()}
             for r in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_cursor": f"{items[-1]['sku']}\x1f{items[-1]['location']}" if more else None}


def availability(conn: Connection, who: Principal, channel_code: str, skus: list[str]) -> dict[str, Any]:
    """What the channel may sell: per SKU and location, after safety stock and the channel buffer."""
    if who.role is Role.LOCATION:
        who.require(Role.CHANNEL, action="read channel availability")
    channel = lookups.channel(conn, who, channel_code)
    ids = lookups.sku_ids(conn, skus, ["sku"] * len(skus))
    rows = db.sellable_at(conn, channel_id=channel["id"], all_locations=channel["all_locations"], buffer=0,
                          sku_ids=list(ids.values()), with_codes=True)
    per_sku: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for _, _, sku_id, sellable, code in rows:
        per_sku[sku_id].append({"location": code, "available": max(0, sellable - channel["buffer"])})
    items = []
    for code in dict.fromkeys(skus):
        locs = sorted(per_sku[ids[code]], key=lambda x: x["location"])
        items.append({"sku": code, "available": sum(x["available"] for x in locs), "locations": locs})
    return {"channel": channel_code, "items": items}


def set_safety_stock(conn: Connection, who: Principal, sku: str, location: str, units: int) -> dict[str, Any]:
    """Units a location keeps back from every channel (display stock, shrinkage cover)."""
    who.require(Role.LOCATION, action="set safety stock")
    who.require_write("set safety stock")
    if not 0 <= units <= MAX_UNITS:
        raise InvalidInput(f"safety_stock: must be between 0 and {MAX_UNITS}", field="safety_stock")
    sku_id = lookups.sku_ids(conn, [sku], ["sku"])[sku]
    site = lookups.location(conn, who, location, active_only=False)
    position = db.lock_position(conn, sku_id, site["id"])
    db.set_position(conn, sku_id, site["id"], safety_stock=units)
    after = Position(position["on_hand"], position["reserved"], units)
    view = {"sku": sku, "location": location, "on_hand": after.on_hand, "reserved": after.reserved,
            "safety_stock": units, "available": after.sellable()}
    outbox.append(conn, [{"type": "inventory.safety_stock_set", "location_id": site["id"], "data": view}])
    return view
