"""Matching an order to its customer's profile at capture: one read while planning, inserts at commit.

The e-mail address decides first, then the phone number; a profile that was merged leads to the one it
was merged into. A person seen for the first time gets a new profile, created with the order. A known
person's new identifier (an e-mail or phone nobody has yet) is added to their profile; one that already
belongs to another profile stays there: the e-mail address wins, and two profiles become one only when
someone merges them.

Concurrency: two first orders of one person both plan a new profile; both insert its e-mail key, and the
primary key of ``customer_keys`` lets only one commit. The other is refused (``KEY_CONSTRAINT``) and
planned again, and then finds the profile. A known profile is touched with a conditional UPDATE that
also says whether it was erased or merged away meanwhile (``Rematch``: plan again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from ordermesh.adapters import phones
from ordermesh.adapters.db import batch
from ordermesh.adapters.db import customers as db
from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.customers import KeyKind, normalise_email
from ordermesh.domain.ids import new_id
from ordermesh.service.commands import Customer

KEY_CONSTRAINT = db.KEY_CONSTRAINT


class Rematch(Exception):
    """The matched profile was erased or merged between planning and commit: plan the order again."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who placed the order, as the commit writes it."""

    customer_id: str | None  # None: nothing to match on (no e-mail address)
    profile: dict[str, Any] | None = None  # a new profile to insert
    keys: list[dict[str, Any]] = field(default_factory=list)  # identifiers to add to the profile
    name: str | None = None
    phone: str | None = None  # E.164, when the number is (or becomes) this profile's


def identify_later(conn: Connection, customer: Customer, *countries: str | None) -> Callable[[], Identity]:
    """Ask for the profiles the customer's identifiers lead to; the returned function reads the answer.

    ``countries``: where the order is (delivery address, billing address, pickup store); the first one
    known reads a phone number written nationally. The read is sent at once and read later, so that it
    shares a round trip with planning's next reads.
    """
    email = normalise_email(customer.email)
    phone = phones.to_e164(customer.phone, next((c for c in countries if c), None))
    if email is None and phone is None:
        return lambda: Identity(None)
    hits_later = db.lookup_later(conn, email, phone)
    return lambda: _identity(conn, hits_later(), email, phone, customer.name)


def _identity(conn: Connection, hits: list[db.KeyHit], email: str | None, phone: str | None,
              name: str | None) -> Identity:
    found = {hit.kind: hit for hit in hits}
    hit = found.get(KeyKind.EMAIL) or found.get(KeyKind.PHONE)
    wanted = {KeyKind.EMAIL: email, KeyKind.PHONE: phone}
    if hit is None:
        customer_id = new_id("cus")
        now = utcnow()
        profile = {"id": customer_id, "email": email, "phone": phone, "name": name, "merged_into": None,
                   "erased_at": None, "created_at": now, "updated_at": now}
        return Identity(customer_id, profile, _keys(customer_id, wanted), name, phone)
    customer_id = _surviving(conn, hit)
    missing = {kind: value for kind, value in wanted.items() if kind not in found}
    phone_hit = found.get(KeyKind.PHONE)
    ours = KeyKind.PHONE in missing or (phone_hit is not None and phone_hit.customer_id == hit.customer_id)
    return Identity(customer_id, None, _keys(customer_id, missing), name, phone if ours else None)


def _keys(customer_id: str, values: Mapping[KeyKind, str | None]) -> list[dict[str, Any]]:
    return [{"kind": kind.value, "value": value, "customer_id": customer_id}
            for kind, value in values.items() if value is not None]


def _surviving(conn: Connection, hit: db.KeyHit) -> str:
    """The profile a merge chain ends in: usually the hit itself or one step away, both known from the read."""
    if hit.merged_into is None:
        return hit.customer_id
    if hit.merged_further is None:
        return hit.merged_into
    return db.surviving(conn, hit.merged_further) or hit.merged_further  # three steps or more: read on


def record(conn: Connection, identity: Identity | None) -> None:
    """Phase 2 of placing an order (inside its batch): the new profile and identifiers, or the touch."""
    if identity is None or identity.customer_id is None:
        return
    if identity.profile is not None:
        db.insert_profile(conn, identity.profile)
        db.insert_keys(conn, identity.keys)
        return
    touched = db.touch(conn, identity.customer_id, name=identity.name, phone=identity.phone)
    db.insert_keys(conn, identity.keys)

    def still_there() -> None:
        if touched.rowcount != 1:
            raise Rematch(identity.customer_id)

    active = batch.current(conn)
    if active is not None:
        active.check(still_there)
    else:
        still_there()
