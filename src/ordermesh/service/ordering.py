"""Placing an order, in two phases so that stock is locked for as short a time as possible.

1. Plan, on a read snapshot (no write lock): validate, resolve codes, read a cart hold, choose locations,
   and build every row and the response.
2. Commit, in one write transaction: claim the Idempotency-Key, convert the hold, insert the order, its
   lines, fulfillment orders, sourcing decision, ledger rows and events, and reserve the stock last —
   each a conditional UPDATE in a fixed order, so a hot SKU's row is locked only for the final
   statements and the commit.

If another order took the stock between the phases, the reservation says so, the transaction rolls
back, and the order is planned again on fresh numbers; either every line is reserved and everything is
written, or nothing is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters.db import catalogue, outbox, payments
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.batch import ConstraintViolated
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import DuplicateOrder, InvalidInput
from ordermesh.domain.fraud import FraudRule
from ordermesh.domain.fulfillment import FulfillmentPolicy
from ordermesh.domain.ids import new_id
from ordermesh.domain.money import parse_amount
from ordermesh.domain.orders import HoldType, OrderStatus
from ordermesh.domain.payments import PaymentProvider
from ordermesh.domain.sourcing import Allocation, Decision
from ordermesh.service import (
    authorization,
    customer_matching,
    holds,
    idempotency,
    lookups,
    order_rows,
    order_sourcing,
    reservations,
    sourcing,
)
from ordermesh.service.access import Principal, Role
from ordermesh.service.allocation import build_fulfillment_orders, split_by_line
from ordermesh.service.commands import PlaceOrder
from ordermesh.service.fraud import fraud_holds
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import render_order

CREATED = 201


@dataclass(slots=True)
class OrderPlan:
    """Everything phase 2 writes, decided in phase 1."""

    channel: Mapping[str, Any]
    order: dict[str, Any]
    lines: list[dict[str, Any]]
    sourced: sourcing.Sourced
    sku_codes: dict[int, str]
    view: dict[str, Any] = field(default_factory=dict)
    fos: list[dict[str, Any]] = field(default_factory=list)
    fo_lines: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    hold_surplus: list[StockChange] = field(default_factory=list)
    transfer_to: str | None = None  # ship-to-store: the store the warehouses send the units to
    authorization: authorization.Authorization | None = None
    holds: list[dict[str, Any]] = field(default_factory=list)
    identity: customer_matching.Identity | None = None  # the customer's profile, matched or new
    method: DeliveryMethod = DeliveryMethod.SHIP
    held: list[Allocation] = field(default_factory=list)  # what a cart hold already covers
    location_codes: dict[int, str] = field(default_factory=dict)
    explanation: dict[str, Any] = field(default_factory=dict)  # the sourcing decision, as stored and shown


@dataclass(frozen=True, slots=True)
class Checkout:
    """What placing an order needs besides the command: the fulfillment policy and the payment providers."""

    policy: FulfillmentPolicy | None = None
    providers: Mapping[str, PaymentProvider] = field(default_factory=dict)
    public_url: str = ""
    fraud_rules: tuple[FraudRule, ...] = ()  # each rule the order trips puts it on a fraud hold


def place(uow: UnitOfWork, who: Principal, cmd: PlaceOrder, key: str | None, request_hash: str,
          checkout: Checkout | None = None) -> idempotency.Outcome:
    """Place the order (or replay the stored response for ``key``)."""
    checkout = checkout or Checkout()
    attempt = new_id("att")  # the provider key of this placement's authorization, kept across re-plans
    planned: list[OrderPlan] = []

    def prepare(conn: Connection) -> OrderPlan:
        p = plan(conn, who, cmd, checkout, attempt, deferred=True)
        planned.append(p)
        return p

    def confirm(p: OrderPlan) -> None:  # no connection held while the provider answers
        finish(p, cmd, who, checkout, attempt)

    try:
        outcome = _place(uow, who, cmd, key, request_hash, prepare, confirm)
    except BaseException:
        authorization.void_unplaced(planned[-1].authorization if planned else None)
        raise
    if outcome.replayed and planned:  # the first request placed the order; this attempt's money goes back
        authorization.void_unplaced(planned[-1].authorization)
    return outcome


def _place(uow: UnitOfWork, who: Principal, cmd: PlaceOrder, key: str | None, request_hash: str,
           prepare: Callable[[Connection], OrderPlan], confirm: Callable[[OrderPlan], None]) -> idempotency.Outcome:
    taken = sourcing.StockTaken([])
    for _ in range(sourcing.ATTEMPTS):
        try:
            return idempotency.run_planned(uow, who, key, request_hash, prepare,
                                           lambda conn, p: (CREATED, commit(conn, cmd, p)), confirm)
        except sourcing.StockTaken as exc:
            taken = exc
        except customer_matching.Rematch:
            continue  # the matched profile was erased or merged meanwhile: match again
        except ConstraintViolated as exc:
            if exc.constraint == customer_matching.KEY_CONSTRAINT:
                continue  # a concurrent first order of this person created the profile: match it now
            if exc.constraint != db.EXTERNAL_ID_CONSTRAINT:
                raise
            raise _duplicate(uow, cmd) from None  # a concurrent request captured this external_id first
    raise taken.refusal()


def _duplicate(uow: UnitOfWork, cmd: PlaceOrder) -> DuplicateOrder:
    with uow.reading(snapshot=False) as conn:
        channel = catalogue.get(conn, "channel", cmd.channel)
        existing = db.find_by_external_id(conn, channel["id"], cmd.external_id) if channel else None
    return DuplicateOrder(f"external_id: channel {cmd.channel} already has order {cmd.external_id} ({existing})",
                          field="external_id", order_id=existing)


def plan(conn: Connection, who: Principal, cmd: PlaceOrder, checkout: Checkout | None = None,
         attempt: str | None = None, *, deferred: bool = False) -> OrderPlan:
    """Phase 1 on a read connection. ``deferred``: leave ``finish`` (payment, rows, response) to the caller."""
    who.require(Role.CHANNEL, action="place orders")
    checkout = checkout or Checkout()
    channel, skus = lookups.channel_and_skus(conn, who, cmd.channel, cmd.external_id, [x.sku for x in cmd.lines],
                                             [f"lines[{i}].sku" for i in range(len(cmd.lines))])
    sku_ids = {code: facts.id for code, facts in skus.items()}
    if cmd.currency != channel["currency"]:
        raise InvalidInput(f"currency: {cmd.currency} is not the currency of channel {cmd.channel} "
                           f"({channel['currency']})", field="currency")
    prices = [parse_amount(x.unit_price, cmd.currency, field=f"lines[{i}].unit_price")
              for i, x in enumerate(cmd.lines)]
    priced = order_rows.price(cmd, prices)
    method = DeliveryMethod(cmd.delivery.method)
    store, destination = order_sourcing.delivery_target(conn, cmd, channel, method)
    identify = customer_matching.identify_later(  # a national phone number is read in the order's country
        conn, cmd.customer, cmd.delivery.address.country if cmd.delivery.address else None,
        (cmd.billing or {}).get("country"), store["country"] if store is not None else None)

    order_id = new_id("ord")
    lines: list[dict[str, Any]] = [
        {"id": new_id("oln"), "order_id": order_id, "line_no": i + 1, "sku_id": sku_ids[x.sku],
         "quantity": x.quantity, "unit_price_minor": prices[i], "cancelled": 0, "fulfilled": 0, "returned": 0,
         "discount_minor": m.discount, "shipping_minor": m.shipping, "tax_minor": m.tax}
        for i, (x, m) in enumerate(zip(cmd.lines, priced, strict=True))]
    sku_codes = {v: k for k, v in sku_ids.items()}
    demand: Counter[int] = Counter()
    for line in lines:
        demand[line["sku_id"]] += line["quantity"]

    held, surplus = order_sourcing.hold_share(conn, cmd, channel, demand, store)
    covered: Counter[int] = Counter()
    for a in held:
        covered[a.sku_id] += a.quantity
    remaining = dict(demand - covered)  # Counter subtraction keeps only positive counts
    sourced = sourcing.Sourced(Decision("cart_hold", [], []), "cart_hold", None)
    if remaining:
        sourced = order_sourcing.source(conn, cmd, channel, remaining, method, destination, store, sku_codes,
                          order_rows.facts(cmd, lines, skus))
    location_codes = sourced.decision.location_codes
    if held:
        location_codes = {**catalogue.codes_by_id(conn, "location", [a.location_id for a in held]),
                          **location_codes}
    transfer_to = store["code"] if store is not None and cmd.delivery.ship_to_store else None
    result = OrderPlan(channel, order_rows.order_row(cmd, channel, order_id, lines, priced), lines, sourced, sku_codes,
                       hold_surplus=surplus, transfer_to=transfer_to, identity=identify())
    result.order["customer_id"] = result.identity.customer_id if result.identity else None
    if held_for_review := fraud_holds(conn, cmd, result.order, checkout.fraud_rules):
        result.holds += held_for_review
        result.order["status"] = OrderStatus.ON_HOLD.value
    result.method, result.held, result.location_codes = method, held, location_codes
    if not deferred:
        finish(result, cmd, who, checkout, attempt or new_id("att"))
    return result


def finish(p: OrderPlan, cmd: PlaceOrder, who: Principal, checkout: Checkout, attempt: str) -> None:
    """Authorize the payment, then build the fulfillment orders, the response and the events. Separate from
    ``plan`` so that placement asks the provider only once it knows the request is not a replay."""
    _authorize(p, cmd, who, checkout, attempt)
    _build(p, cmd, p.method, p.held, p.location_codes, checkout)




def _authorize(p: OrderPlan, cmd: PlaceOrder, who: Principal, checkout: Checkout, attempt: str) -> None:
    """Authorize the order's total; a decline or provider error puts the order on a payment hold."""
    order = p.order
    if cmd.payment is None:
        return
    auth = authorization.authorize(checkout.providers, cmd.payment, amount_minor=order["total_minor"],
                                   currency=cmd.currency, attempt=attempt, actor=who.actor)
    auth.payment["order_id"] = order["id"]
    p.authorization = auth
    if auth.hold_reason is not None:
        p.holds.append(holds.hold_row(order["id"], HoldType.PAYMENT.value, auth.hold_reason,
                                      authorization.SYSTEM_ACTOR, order["created_at"]))
        order["status"] = OrderStatus.ON_HOLD.value








def _build(p: OrderPlan, cmd: PlaceOrder, method: DeliveryMethod, held: list[Allocation],
           location_codes: dict[int, str], checkout: Checkout) -> None:
    """Fulfillment orders, the response and the events, from the plan's allocations."""
    order, codes = p.order, p.sku_codes
    allocations = held + p.sourced.decision.allocations
    per_location = split_by_line(allocations, [(x["id"], x["sku_id"], x["quantity"]) for x in p.lines])
    p.fos, p.fo_lines, fo_events = build_fulfillment_orders(order, method, per_location, location_codes, codes,
                                                            policy=checkout.policy, transfer_to=p.transfer_to)
    extra = {"ship_to_store": p.transfer_to} if p.transfer_to else {}
    explanation = p.explanation = p.sourced.explanation(reservation_id=cmd.reservation_id, **extra)
    p.view = render_order(
        {**order, "channel": cmd.channel}, [{**x, "sku": codes[x["sku_id"]]} for x in p.lines],
        [{**f, "location": location_codes[f["location_id"]]} for f in p.fos],
        [{**x, "sku": codes[x["sku_id"]]} for x in p.fo_lines],
        decisions=[{"trigger": "placed", "strategy": p.sourced.decision.strategy, "explanation": explanation,
                    "created_at": order["created_at"]}],
        holds=p.holds, payments=[p.authorization.payment] if p.authorization else (), public_url=checkout.public_url)
    reserved: defaultdict[tuple[str, str], int] = defaultdict(int)
    for a in allocations:
        reserved[(codes[a.sku_id], location_codes[a.location_id])] += a.quantity
    base = {"order_id": order["id"], "channel_id": order["channel_id"]}
    p.events = [
        {"type": "order.created", **base,
         "data": {"order_id": order["id"], "channel": cmd.channel, "external_id": cmd.external_id,
                  "status": order["status"], "totals": p.view["totals"],
                  "lines": [{"id": x["id"], "sku": codes[x["sku_id"]], "quantity": x["quantity"]} for x in p.lines]}},
        {"type": "inventory.reserved", **base,
         "data": {"order_id": order["id"], "items": [{"sku": s, "location": loc, "quantity": q}
                                                     for (s, loc), q in sorted(reserved.items())]}},
        *fo_events,
        *_payment_events(p, base),
    ]


def _payment_events(p: OrderPlan, base: dict[str, Any]) -> list[dict[str, Any]]:
    events = [p.authorization.event(base["channel_id"])] if p.authorization is not None else []
    events += [holds.placed_event({"id": base["order_id"], **base}, h) for h in p.holds]
    return events


def commit(conn: Connection, cmd: PlaceOrder, p: OrderPlan) -> dict[str, Any]:
    """Phase 2: write the plan; the conditional reservations come last, just before the commit.

    Runs inside the caller's batch: on PostgreSQL every statement here goes out in one round trip.
    """
    order = p.order
    if cmd.reservation_id is not None:
        reservations.convert(conn, order["channel_id"], cmd.reservation_id, order["id"])
        stock.release(conn, p.hold_surplus, source=f"reservation:{cmd.reservation_id}", reason="not needed by order")
    customer_matching.record(conn, p.identity)
    db.insert_order(conn, order, p.lines)
    db.insert_fulfillment(conn, p.fos, p.fo_lines)
    if p.authorization is not None:
        payments.insert_payments(conn, [p.authorization.payment])
    for hold in p.holds:
        db.insert_hold(conn, hold)
    db.insert_decision(conn, order["id"], "placed", p.explanation)
    outbox.append(conn, p.events)
    by_method: defaultdict[str, list[int]] = defaultdict(list)
    for fo in p.fos:
        by_method[fo["method"]].append(fo["location_id"])
    for kind, location_ids in by_method.items():
        # A transfer to a store is a warehouse shipment: it uses the warehouse's ship capacity.
        sourcing.book_capacity(conn, location_ids, DeliveryMethod.SHIP if kind == "transfer" else DeliveryMethod(kind))
    sourcing.reserve(conn, p.channel, p.sourced.decision, sku_codes=p.sku_codes, source=f"order:{order['id']}")
    return p.view



