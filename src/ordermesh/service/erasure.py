"""GDPR erasure of a customer: their personal data goes from every place Ordermesh keeps it.

The person is the whole merged group: erasing any profile of it erases the surviving profile and every
profile merged into it. Their orders stay (money, lines, tax, country: the retailer's records), with the
customer, the addresses and everything written about them anonymised — in the order rows, the events, the
order changes, fulfillment details, returns, holds, payment errors, the notification log and the stored
responses of idempotent requests. The profiles keep their ids and lose their names, e-mail addresses and
phone numbers; their identifiers are deleted, so the person's next order starts a new profile.

Everything happens in one transaction, with the profiles' rows locked: an order of the person that
matched the profile before the erasure and commits after it is sent back to matching by the profile's
touch (see customer_matching). A second erasure of the same person changes nothing and answers the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import customers as db
from ordermesh.adapters.db import erasure as places
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.erasure import ERASED, PersonalData, Scrubber, anonymised_customer
from ordermesh.domain.errors import NotFound
from ordermesh.service.access import Principal
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso

MESSAGE_ERASED = "customer erased"


def erase(uow: UnitOfWork, who: Principal, customer_id: str) -> dict[str, Any]:
    """Erase the person ``customer_id`` belongs to; returns the profiles and orders erased."""
    who.require(action="erase customers")  # admins only
    with uow.writing() as conn:
        root = db.surviving(conn, customer_id)
        if root is None:
            raise NotFound(f"customer {customer_id!r} not found", field="customer_id")
        db.get_many(conn, [root], lock=True)  # first: a merge into the person now waits, then sees the erasure
        ids = db.subtree(conn, root)
        profiles = db.get_many(conn, ids, lock=True)
        emails = {k["value"] for k in db.keys_of(conn, ids) if k["kind"] == "email"}
        emails |= {p["email"] for p in profiles.values() if p["email"]}
        orders = places.orders_of(conn, ids, sorted(emails))
        if profiles[root]["erased_at"] is None:
            _erase(conn, who, root, profiles, orders)
            profiles = db.get_many(conn, ids)
        return {"id": root, "erased_at": iso(profiles[root]["erased_at"]), "profiles": sorted(ids),
                "orders": [o["id"] for o in orders]}


def _erase(conn: Connection, who: Principal, root: str, profiles: Mapping[str, RowMapping],
           orders: Sequence[RowMapping]) -> None:
    ids, order_ids = list(profiles), [o["id"] for o in orders]
    related = {name: places.about_orders(conn, place, order_ids) for name, place in places.ABOUT_ORDERS.items()}
    lines = places.return_lines_of(conn, [r["id"] for r in related["returns"]])
    found = _collect(profiles, db.keys_of(conn, ids), orders, related)
    scrub = Scrubber(found)
    for order in orders:
        _anonymise_order(conn, scrub, order)
    for name, rows in related.items():
        place = places.ABOUT_ORDERS[name]
        for row in rows:
            changed = {c: new for c in place.columns if (new := scrub.doc(row[c])) != row[c]}
            if changed:
                places.update_row(conn, place, row["id"], changed)
    for line in lines:
        if (reason := scrub.text(line["reason"])) != line["reason"]:
            places.update_return_line_reason(conn, line["return_id"], line["order_line_id"], reason or ERASED)
    emails = sorted(t for t in found.exact if "@" in t)
    _erase_messages(conn, scrub, order_ids, ids, emails)
    _scrub_responses(conn, scrub, [*order_ids, *ids, *emails])
    db.mark_erased(conn, ids, utcnow())
    outbox.append(conn, [{"type": "customer.erased", "data": {
        "customer_id": root, "profiles": sorted(ids), "orders": len(orders), "actor": who.actor}}])


def _collect(profiles: Mapping[str, RowMapping], keys: Sequence[RowMapping], orders: Sequence[RowMapping],
             related: Mapping[str, Sequence[RowMapping]]) -> PersonalData:
    """Every value that names the person, from the places known to hold it."""
    found = PersonalData()
    for p in profiles.values():
        for name in ("email", "phone", "name"):
            found.add(p[name], inline=True)
    for k in keys:
        found.add(k["value"], inline=True)
    for order in orders:
        for column in places.ORDER_COLUMNS:
            found.collect(order[column])
    for name, rows in related.items():  # e.g. an address the order had before it was changed
        for row in rows:
            for column in places.ABOUT_ORDERS[name].columns:
                found.collect(row[column])
    return found


def _anonymise_order(conn: Connection, scrub: Scrubber, order: RowMapping) -> None:
    values = {"customer": anonymised_customer(), "delivery": scrub.doc(order["delivery"]),
              "billing": scrub.doc(order["billing"]), "payment": scrub.doc(order["payment"]),
              "updated_at": utcnow()}
    places.update_order(conn, order["id"], values)


def _erase_messages(conn: Connection, scrub: Scrubber, order_ids: Sequence[str], customer_ids: Sequence[str],
                    emails: Sequence[str]) -> None:
    """The log keeps that a message went out (template, status, time), not to whom or what it said.
    One still waiting is not sent: it has no recipient any more."""
    for m in places.messages_to(conn, order_ids, customer_ids, emails):
        waiting = m["status"] == "pending"
        places.update_message(conn, m["id"], {
            "recipient": "", "subject": ERASED, "body": ERASED,
            **({"status": "failed", "error": MESSAGE_ERASED} if waiting else {"error": scrub.text(m["error"])})})


def _scrub_responses(conn: Connection, scrub: Scrubber, needles: Sequence[str]) -> None:
    """A stored order response holds the customer: a replay after erasure answers without them."""
    for r in places.responses_mentioning(conn, needles):
        try:
            body = orjson.loads(r["response"])
        except orjson.JSONDecodeError:
            body = None
        new = orjson.dumps(scrub.doc(body)).decode() if body is not None else scrub.text(r["response"]) or ""
        if new != r["response"]:
            places.update_response(conn, r["principal"], r["key"], new)
