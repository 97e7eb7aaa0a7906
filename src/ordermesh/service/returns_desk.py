"""The returns desk: find the order a customer brings back, whatever channel sold it.

One search box: an order id, a channel's external order id, the customer's email (matched lower case) or
phone (matched as typed without separators, and in E.164 — a store desk reads a national number in its
own country's plan). Each order found comes with its lines and how many units of each may still be
returned, and the returns it already has. A store desk sees the customer's contact details masked: the
person is standing there, and a search by order number should not hand out their address book entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue
from ordermesh.adapters.db import returns as db
from ordermesh.adapters.phones import to_e164
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.money import format_amount
from ordermesh.service.access import Principal, Role
from ordermesh.service.return_access import desk
from ordermesh.service.returns import returnable
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso

Row = Mapping[Any, Any]
MAX_QUERY = 320
MAX_FOUND = 20
_SEPARATORS = re.compile(r"[\s\-().\/]")
_PHONE = re.compile(r"\+?\d{5,20}")


def lookup(uow: UnitOfWork, who: Principal, q: str) -> dict[str, Any]:
    text = q.strip()
    if not text or len(text) > MAX_QUERY:
        raise InvalidInput(f"q: give an order id, external order id, email or phone (1 to {MAX_QUERY} characters)",
                           field="q")
    with uow.reading() as conn:
        site = desk(conn, who)
        channel_id = None
        if who.role is Role.CHANNEL:
            channel_id = catalogue.ids_by_code(conn, "channel", [who.scope or ""], active_only=False).get(
                who.scope or "", -1)
        email = text.lower() if "@" in text else None
        phones = [] if email else phone_forms(text, site["country"] if site is not None else None)
        orders = db.find_orders(conn, text=text, email=email, phones=phones, channel_id=channel_id,
                                limit=MAX_FOUND)
        items = _render(conn, who, orders)
    return {"q": text, "items": items}


def phone_forms(text: str, region: str | None) -> list[str]:
    """The forms a phone number may be stored in: as typed without separators, and in E.164."""
    compact = _SEPARATORS.sub("", text)
    if not _PHONE.fullmatch(compact):
        return []
    e164 = to_e164(text, region)
    return sorted({compact} | ({e164} if e164 else set()))


def _render(conn: Connection, who: Principal, orders: Sequence[RowMapping]) -> list[dict[str, Any]]:
    ids = [o["id"] for o in orders]
    lines, returns = db.lines_of_orders(conn, ids), db.returns_of_orders(conn, ids)
    left = returnable(conn, [x for o in ids for x in lines[o]])
    return [{"order_id": o["id"], "channel": o["channel"], "external_id": o["external_id"], "status": o["status"],
             "currency": o["currency"], "created_at": iso(o["created_at"]),
             "customer": _customer(o["customer"] or {}, masked=who.role is Role.LOCATION),
             "lines": [{"line_id": x["id"], "sku": x["sku"], "quantity": x["quantity"],
                        "unit_price": format_amount(x["unit_price_minor"], o["currency"]),
                        "fulfilled_quantity": x["fulfilled"], "returned_quantity": x["returned"],
                        "returnable_quantity": left[x["id"]]} for x in lines[o["id"]]],
             "returns": [{"id": r["id"], "status": r["status"], "created_at": iso(r["created_at"])}
                         for r in returns[o["id"]]]}
            for o in orders]


def _customer(customer: Row, *, masked: bool) -> dict[str, Any]:
    email, phone = customer.get("email"), customer.get("phone")
    if masked:
        email = _mask_email(email)
        phone = f"…{phone[-3:]}" if phone else None
    return {"name": customer.get("name"), "email": email, "phone": phone}


def _mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'*' * max(1, len(local) - 1)}@{domain}"
