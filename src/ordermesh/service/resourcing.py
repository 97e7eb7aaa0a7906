"""Re-sourcing: units a location gives back go to another location, never to one that gave them up.

A rejection, a short pick, a missed acceptance deadline and a "not found" elsewhere in the store all end
here: the units are decided again under the channel's sourcing profile, reserved and booked against the
new location's daily capacity, recorded as a new sourcing decision with its trigger, and whatever no
other location can take is cancelled from the order. Pickup and curbside units cannot move (the customer
chose the store); a ship-to-store transfer goes to another warehouse.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import catalogue, outbox
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock
from ordermesh.domain.fulfillment import FulfillmentMethod, FulfillmentPolicy, FulfillmentStatus
from ordermesh.service import payments, pickup, sourcing
from ordermesh.service.allocation import create_fulfillment_orders, split_by_line

Row = Mapping[Any, Any]
Units = tuple[str, int, int]  # (order line id, SKU id, units)


def resource(conn: Connection, order: Row, fo: Row, items: Sequence[Units], *, trigger: str,
             policy: FulfillmentPolicy) -> list[str]:
    """Send ``items`` of ``fo`` elsewhere; cancel what cannot go anywhere. Returns the new fulfillment orders."""
    method = FulfillmentMethod(fo["method"])
    sku_codes = catalogue.codes_by_id(conn, "sku", [s for _, s, _ in items])
    demand: Counter[int] = Counter()
    for _, sku, q in items:
        demand[sku] += q
    channel = catalogue.get(conn, "channel", order["channel"])
    try:
        if method.collected or channel is None:
            raise InsufficientStock("the customer collects at the store they chose", skus=sorted(sku_codes.values()))
        sourced = reserve_for(conn, channel, order, method, demand, sku_codes, _gave_up(conn, order, fo))
    except InsufficientStock as refusal:
        _cancel(conn, order, items, trigger=trigger, detail=refusal.detail)
        return []
    per_location = split_by_line(sourced.decision.allocations, items)
    placed: Counter[str] = Counter()
    for units in per_location.values():
        for line_id, _, q in units:
            placed[line_id] += q
    left = [(line_id, sku, q - placed[line_id]) for line_id, sku, q in _by_line(items) if q > placed[line_id]]
    if left:  # a profile that allows partial fulfilment may leave units unplaced
        _cancel(conn, order, left, trigger=trigger, detail="no other location can take these units")
    codes = catalogue.codes_by_id(conn, "location", per_location)
    fos, _, events = create_fulfillment_orders(conn, order, method, per_location, codes, sku_codes, policy=policy,
                                               transfer_to=(fo["details"] or {}).get("transfer_to"))
    outbox.append(conn, events)
    db.insert_decision(conn, order["id"], trigger, sourced.explanation(replaces=fo["id"]))
    return [f["id"] for f in fos]


def reserve_for(conn: Connection, channel: Row, order: Row, method: FulfillmentMethod, demand: Mapping[int, int],
                sku_codes: Mapping[int, str], excluded: dict[int, str]) -> sourcing.Sourced:
    """Decide, reserve and book capacity for units of a placed order (to its current delivery), never at
    ``excluded`` locations; a location filled meanwhile is excluded too and we decide again."""
    source = f"order:{order['id']}"
    for _ in range(sourcing.ATTEMPTS):
        sourced = _decide(conn, channel, order, method, demand, sku_codes, excluded)
        allocations = sourced.decision.allocations
        try:
            sourcing.reserve(conn, channel, sourced.decision, sku_codes=sku_codes, source=source)
        except sourcing.StockTaken:
            continue  # nothing stayed reserved: decide again on fresh numbers
        try:
            sourcing.book_capacity(conn, sorted({a.location_id for a in allocations}), method.as_delivery)
        except sourcing.CapacityTaken as full:
            stock.release(conn, [StockChange(a.sku_id, a.location_id, a.quantity) for a in allocations],
                          source=source, reason="location filled up meanwhile")
            ids = {code: i for i, code in sourced.decision.location_codes.items()}
            excluded |= {ids[c]: "its capacity for the day was taken meanwhile" for c in full.skus if c in ids}
            continue
        return sourced
    raise InsufficientStock(f"no other location could take {', '.join(sorted(sku_codes.values()))} now",
                            skus=sorted(sku_codes.values()))


def _decide(conn: Connection, channel: Row, order: Row, method: FulfillmentMethod, demand: Mapping[int, int],
            sku_codes: Mapping[int, str], excluded: Mapping[int, str]) -> sourcing.Sourced:
    delivery = order["delivery"] or {}
    address = delivery.get("address") or {}
    facts = sourcing.OrderFacts(channel=order["channel"], country=address.get("country"),
                                region=address.get("region"), order_value_minor=order["total_minor"])
    if method is FulfillmentMethod.TRANSFER:
        store = catalogue.get(conn, "location", delivery.get("pickup_location") or "")
        if store is None:
            raise InsufficientStock("the order's pickup store is gone", skus=sorted(sku_codes.values()))
        return pickup.plan_ship_to_store(conn, channel, demand, store, sku_codes=sku_codes, excluded=excluded,
                                         facts=facts)
    destination = (address["latitude"], address["longitude"]) if address.get("latitude") is not None else None
    # Units for a pickup come from the store the customer chose (re-sourcing never gets here for those:
    # only units added to the order do).
    store = catalogue.get(conn, "location", delivery.get("pickup_location") or "") if method.collected else None
    return sourcing.decide(conn, channel, demand, method=DeliveryMethod(method.value), destination=destination,
                           sku_codes=sku_codes, store=store, excluded=excluded, facts=facts)


def _gave_up(conn: Connection, order: Row, fo: Row) -> dict[int, str]:
    """Locations that already gave up units of this order, with the reason each gave."""
    excluded = rejected_by(conn, order)
    excluded.setdefault(fo["location_id"], "gave these units back (short pick or not found)")
    return excluded


def rejected_by(conn: Connection, order: Row) -> dict[int, str]:
    """Locations that rejected this order, with their reason: never asked again for it."""
    return {f["location_id"]: f"rejected this order ({(f['details'] or {}).get('reject_reason', 'other')})"
            for f in db.fulfillment_orders_of(conn, order["id"]) if f["status"] == FulfillmentStatus.REJECTED}


def _by_line(items: Sequence[Units]) -> list[Units]:
    merged: dict[tuple[str, int], int] = defaultdict(int)
    for line_id, sku, q in items:
        merged[(line_id, sku)] += q
    return [(line_id, sku, q) for (line_id, sku), q in merged.items()]


def _cancel(conn: Connection, order: Row, items: Sequence[Units], *, trigger: str, detail: str) -> None:
    for line_id, _, q in items:
        db.add_to_line(conn, line_id, cancelled=q)
    payments.void_if_cancelled(conn, order, actor=f"system:{trigger}")  # nothing left to ship: money back
    outbox.append(conn, [{"type": "order.lines_cancelled", "order_id": order["id"], "channel_id": order["channel_id"],
                          "data": {"order_id": order["id"], "reason": "no_stock_elsewhere", "trigger": trigger,
                                   "detail": detail,
                                   "lines": [{"line_id": line_id, "quantity": q} for line_id, _, q in items]}}])
