"""A new order's rows, built from the command: its money to the minor unit, the customer and the delivery as
stored, and the facts sourcing weighs. Pure construction; nothing here reads or writes the database."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from ordermesh.adapters.db import catalogue
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.money import MAX_MINOR, LineMoney, format_amount, parse_amount, price_lines
from ordermesh.domain.orders import OrderStatus
from ordermesh.service import sourcing
from ordermesh.service.commands import PlaceOrder


def price(cmd: PlaceOrder, prices: list[int]) -> list[LineMoney]:
    """The lines' money: the order's discount, shipping and tax spread over them, to the minor unit."""
    parts = {name: parse_amount(getattr(cmd, name), cmd.currency, field=name)
             for name in ("discount", "shipping", "tax")}
    try:
        priced = price_lines([(x.quantity, p) for x, p in zip(cmd.lines, prices, strict=True)], **parts)
    except ValueError:
        raise InvalidInput("discount: the discount is larger than the lines' subtotal", field="discount") from None
    if sum(m.total for m in priced) > MAX_MINOR or sum(m.subtotal for m in priced) > MAX_MINOR:
        raise InvalidInput(f"lines: the order total exceeds the largest amount Ordermesh accepts "
                           f"({format_amount(MAX_MINOR, cmd.currency)} {cmd.currency})", field="lines")
    return priced


def order_row(cmd: PlaceOrder, channel: Mapping[str, Any], order_id: str, lines: list[dict[str, Any]],
               priced: list[LineMoney]) -> dict[str, Any]:
    now = utcnow()
    # The token stays with the order (a provider's reference, never a card number): added lines are
    # authorized with it.
    payment = {k: v for k, v in asdict(cmd.payment).items() if v is not None} if cmd.payment else None
    return {"id": order_id, "channel_id": channel["id"], "external_id": cmd.external_id,
            "status": OrderStatus.CONFIRMED.value, "currency": cmd.currency,
            "subtotal_minor": sum(m.subtotal for m in priced), "total_minor": sum(m.total for m in priced),
            "discount_minor": sum(m.discount for m in priced), "shipping_minor": sum(m.shipping for m in priced),
            "tax_minor": sum(m.tax for m in priced), "customer": customer(cmd), "customer_id": None,
            "delivery": delivery(cmd), "payment": payment, "billing": cmd.billing,
            "tracking_token": secrets.token_urlsafe(24), "created_at": now, "updated_at": now}


def customer(cmd: PlaceOrder) -> dict[str, Any]:
    c = cmd.customer
    return {"email": c.email.strip().lower(), "name": c.name, "phone": c.phone}


def delivery(cmd: PlaceOrder) -> dict[str, Any]:
    d = cmd.delivery
    address = None
    if d.address is not None:
        a = d.address
        address = {"line1": a.line1, "city": a.city, "postal_code": a.postal_code, "country": a.country,
                   "latitude": a.latitude, "longitude": a.longitude}
    kept = {"method": d.method, "address": address, "pickup_location": d.pickup_location}
    return {**kept, "ship_to_store": True} if d.ship_to_store else kept


def facts(cmd: PlaceOrder, lines: list[dict[str, Any]], skus: Mapping[str, catalogue.SkuFacts]) -> sourcing.OrderFacts:
    address = cmd.delivery.address
    unit_value: dict[int, int] = {}
    for line in lines:
        unit_value.setdefault(line["sku_id"], line["unit_price_minor"])
    return sourcing.OrderFacts(
        channel=cmd.channel, country=address.country if address else None, region=address.region if address else None,
        order_value_minor=sum(x["quantity"] * x["unit_price_minor"] for x in lines), unit_value_minor=unit_value,
        sku_tags={f.id: f.tags for f in skus.values()},
        sku_weight_grams={f.id: f.weight_grams for f in skus.values() if f.weight_grams is not None})
