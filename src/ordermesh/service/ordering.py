"""Placing an order: validate, convert a cart hold, source, reserve, write — all in one transaction.

Either every line is reserved and the order, its fulfillment orders, its sourcing decision and its
events are written together, or nothing is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue, outbox
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import DuplicateOrder, InvalidInput
from ordermesh.domain.ids import new_id
from ordermesh.domain.money import MAX_MINOR, format_amount, parse_amount
from ordermesh.domain.orders import OrderStatus
from ordermesh.domain.sourcing import Allocation, Decision
from ordermesh.service import lookups, reservations, sourcing
from ordermesh.service.access import Principal, Role
from ordermesh.service.allocation import create_fulfillment_orders, split_by_line
from ordermesh.service.commands import PlaceOrder
from ordermesh.service.views import render_order

CREATED = 201


def place_order(conn: Connection, who: Principal, cmd: PlaceOrder) -> tuple[int, dict[str, Any]]:
    who.require(Role.CHANNEL, action="place orders")
    channel = lookups.channel_for_order(conn, who, cmd.channel, cmd.external_id)
    if cmd.currency != channel["currency"]:
        raise InvalidInput(f"currency: {cmd.currency} is not the currency of channel {cmd.channel} "
                           f"({channel['currency']})", field="currency")
    sku_ids = lookups.sku_ids(conn, [x.sku for x in cmd.lines], [f"lines[{i}].sku" for i in range(len(cmd.lines))])
    prices = [parse_amount(x.unit_price, cmd.currency, field=f"lines[{i}].unit_price")
              for i, x in enumerate(cmd.lines)]
    if sum(x.quantity * p for x, p in zip(cmd.lines, prices, strict=True)) > MAX_MINOR:
        raise InvalidInput(f"lines: the order total exceeds the largest amount Ordermesh accepts "
                           f"({format_amount(MAX_MINOR, cmd.currency)} {cmd.currency})", field="lines")
    method = DeliveryMethod(cmd.delivery.method)
    store, destination = _delivery_target(conn, who, cmd, channel, method)

    order_id = new_id("ord")
    lines: list[dict[str, Any]] = [
        {"id": new_id("oln"), "order_id": order_id, "line_no": i + 1, "sku_id": sku_ids[x.sku],
         "quantity": x.quantity, "unit_price_minor": prices[i], "cancelled": 0, "fulfilled": 0}
        for i, x in enumerate(cmd.lines)]
    sku_codes = {v: k for k, v in sku_ids.items()}
    demand: Counter[int] = Counter()
    for line in lines:
        demand[line["sku_id"]] += line["quantity"]

    held = _use_hold(conn, cmd, channel, order_id, demand, store)
    covered: Counter[int] = Counter()
    for a in held:
        covered[a.sku_id] += a.quantity
    remaining = dict(demand - covered)  # Counter subtraction keeps only positive counts
    decision = Decision("cart_hold", [], [])
    if remaining:
        decision = sourcing.reserve_best(conn, channel, remaining, method=method, destination=destination,
                                         sku_codes=sku_codes, source=f"order:{order_id}", store=store)
    allocations = held + decision.allocations
    return CREATED, _write(conn, cmd, channel, order_id, lines, method, allocations, decision, sku_codes,
                           held=bool(held))


def _delivery_target(conn: Connection, who: Principal, cmd: PlaceOrder, channel: RowMapping,
                     method: DeliveryMethod) -> tuple[RowMapping | None, tuple[float, float] | None]:
    if method.at_chosen_store:
        if not cmd.delivery.pickup_location:
            raise InvalidInput(f"delivery.pickup_location is required for {method.value}",
                               field="delivery.pickup_location")
        store = catalogue.get(conn, "location", cmd.delivery.pickup_location)
        feeding = stock.feeding_locations(conn, channel_id=channel["id"], all_locations=channel["all_locations"],
                                          location_ids=[store["id"]] if store else [])
        if store is None or not feeding:
            raise InvalidInput(f"delivery.pickup_location: {cmd.delivery.pickup_location!r} is not an active "
                               f"location of channel {cmd.channel}", field="delivery.pickup_location")
        return store, None
    address = cmd.delivery.address
    if address is None:
        raise InvalidInput(f"delivery.address is required for {method.value}", field="delivery.address")
    if address.latitude is None or address.longitude is None:
        return None, None
    return None, (address.latitude, address.longitude)


def _use_hold(conn: Connection, cmd: PlaceOrder, channel: RowMapping, order_id: str,
              demand: Mapping[int, int], store: RowMapping | None) -> list[Allocation]:
    """Take over a cart hold: the units the order needs stay reserved, the rest go back."""
    if cmd.reservation_id is None:
        return []
    held_lines = reservations.convert(conn, channel["id"], cmd.reservation_id, order_id)
    need = dict(demand)
    used, surplus = [], []
    for x in held_lines:
        fits = store is None or x["location_id"] == store["id"]
        take = min(x["quantity"], need.get(x["sku_id"], 0)) if fits else 0
        if take:
            used.append(Allocation(x["location_id"], x["sku_id"], take))
            need[x["sku_id"]] -= take
        if x["quantity"] > take:
            surplus.append(StockChange(x["sku_id"], x["location_id"], x["quantity"] - take))
    stock.release(conn, surplus, source=f"reservation:{cmd.reservation_id}", reason="not needed by order")
    return used


def _write(conn: Connection, cmd: PlaceOrder, channel: RowMapping, order_id: str, lines: list[dict[str, Any]],
           method: DeliveryMethod, allocations: list[Allocation], decision: Decision,
           sku_codes: dict[int, str], *, held: bool) -> dict[str, Any]:
    now = utcnow()
    subtotal = sum(x["quantity"] * x["unit_price_minor"] for x in lines)
    order = {"id": order_id, "channel_id": channel["id"], "external_id": cmd.external_id,
             "status": OrderStatus.CONFIRMED.value, "currency": cmd.currency, "subtotal_minor": subtotal,
             "total_minor": subtotal, "customer": _customer(cmd), "delivery": _delivery(cmd),
             "created_at": now, "updated_at": now}
    if not db.insert_order(conn, order, lines):  # a concurrent request captured this external_id first
        existing = db.find_by_external_id(conn, channel["id"], cmd.external_id)
        raise DuplicateOrder(f"external_id: channel {cmd.channel} already has order {cmd.external_id} "
                             f"({existing})", field="external_id", order_id=existing)
    per_location = split_by_line(allocations, [(x["id"], x["sku_id"], x["quantity"]) for x in lines])
    location_codes = decision.location_codes
    if held:
        location_codes = {**catalogue.codes_by_id(conn, "location", per_location), **location_codes}
    fos, fo_lines, fo_events = create_fulfillment_orders(conn, order, method, per_location, location_codes,
                                                         sku_codes)
    explanation = {**decision.explanation(), "reservation_id": cmd.reservation_id}
    db.insert_decision(conn, order_id, "placed", explanation)
    view_order = {**order, "channel": cmd.channel}
    view_lines = [{**x, "sku": sku_codes[x["sku_id"]]} for x in lines]
    view_fos = [{**f, "location": location_codes[f["location_id"]]} for f in fos]
    view_fo_lines = [{**x, "sku": sku_codes[x["sku_id"]]} for x in fo_lines]
    decision_row = {"trigger": "placed", "strategy": decision.strategy, "explanation": explanation,
                    "created_at": now}
    view = render_order(view_order, view_lines, view_fos, view_fo_lines, decisions=[decision_row])
    reserved: defaultdict[tuple[str, str], int] = defaultdict(int)
    for a in allocations:
        reserved[(sku_codes[a.sku_id], location_codes[a.location_id])] += a.quantity
    outbox.append(conn, [
        {"type": "order.created", "order_id": order_id, "channel_id": channel["id"],
         "data": {"order_id": order_id, "channel": cmd.channel, "external_id": cmd.external_id,
                  "status": order["status"], "totals": view["totals"],
                  "lines": [{"id": x["id"], "sku": x["sku"], "quantity": x["quantity"]} for x in view_lines]}},
        {"type": "inventory.reserved", "order_id": order_id, "channel_id": channel["id"],
         "data": {"order_id": order_id, "items": [{"sku": s, "location": loc, "quantity": q}
                                                  for (s, loc), q in sorted(reserved.items())]}},
        *fo_events,
    ])
    return view


def _customer(cmd: PlaceOrder) -> dict[str, Any]:
    c = cmd.customer
    return {"email": c.email.strip().lower(), "name": c.name, "phone": c.phone}


def _delivery(cmd: PlaceOrder) -> dict[str, Any]:
    d = cmd.delivery
    address = None
    if d.address is not None:
        a = d.address
        address = {"line1": a.line1, "city": a.city, "postal_code": a.postal_code, "country": a.country,
                   "latitude": a.latitude, "longitude": a.longitude}
    return {"method": d.method, "address": address, "pickup_location": d.pickup_location}
