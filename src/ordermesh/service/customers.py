"""Customer profiles: finding a person, their history across channels, merging and unmerging by hand.

Who may: admins everything; analysts read. A channel's key finds a person only by an identifier it
already has (e-mail or phone), sees a profile only when the person ordered through that channel, and then
only that channel's part of the history. Location keys see no profiles. Merging, unmerging and erasure
are for admins.

A profile's history is its own and that of every profile merged into it, so the surviving profile of a
merge shows the person's whole history. Orders placed while two profiles were merged were matched to the
surviving one and stay with it after an unmerge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters import phones
from ordermesh.adapters.db import customers as db
from ordermesh.adapters.db import outbox
from ordermesh.domain.customers import KeyKind, ProfileState, check_merge, check_unmerge, normalise_email
from ordermesh.domain.errors import Forbidden, InvalidInput, NotFound
from ordermesh.service import lookups
from ordermesh.service.access import Principal, Role
from ordermesh.service.customer_views import render_history, render_profile
from ordermesh.service.unit_of_work import UnitOfWork

HISTORY_LIMIT = 200  # newest orders shown with a profile; ``more_orders`` says when there are more


def _not_found(customer_id: str) -> NotFound:
    return NotFound(f"customer {customer_id!r} not found", field="customer_id")


def _profile(conn: Connection, customer_id: str) -> RowMapping:
    row = db.get_many(conn, [customer_id]).get(customer_id)
    if row is None:
        raise _not_found(customer_id)
    return row


def find(uow: UnitOfWork, who: Principal, *, email: str | None, phone: str | None, country: str | None,
         cursor: str | None, limit: int) -> dict[str, Any]:
    """Profiles by identifier (the surviving profile of the person), or all of them newest first."""
    who.require(Role.ANALYST, Role.CHANNEL, action="read customer profiles")
    if email is None and phone is None:
        if who.role is Role.CHANNEL:
            raise Forbidden("a channel key finds customers by email or phone only")
        with uow.reading() as conn:
            rows = db.page(conn, before=cursor, limit=limit + 1)
        page = rows[:limit]
        return {"items": [render_profile(r) for r in page],
                "next_cursor": page[-1]["id"] if len(rows) > limit else None}
    wanted = _identifiers(email, phone, country)
    with uow.reading() as conn:
        owners = [db.owner(conn, kind, value) for kind, value in wanted]
        roots = {db.surviving(conn, o) if o is not None else None for o in owners}
        root = roots.pop() if len(roots) == 1 else None  # every identifier asked for leads to one person
        if root is None or (who.role is Role.CHANNEL and not _orders(conn, who, db.subtree(conn, root), limit=1)):
            return {"items": [], "next_cursor": None}
        return {"items": [render_profile(_profile(conn, root))], "next_cursor": None}


def _identifiers(email: str | None, phone: str | None, country: str | None) -> list[tuple[str, str]]:
    wanted: list[tuple[str, str]] = []
    if email is not None:
        if (normalised := normalise_email(email)) is None:
            raise InvalidInput("email: an empty e-mail address matches nobody", field="email")
        wanted.append((KeyKind.EMAIL.value, normalised))
    if phone is not None:
        if (e164 := phones.to_e164(phone, country)) is None:
            raise InvalidInput(f"phone: {phone!r} is not a valid phone number (write it as +CC…, or name its "
                               "country)", field="phone")
        wanted.append((KeyKind.PHONE.value, e164))
    return wanted


def get(uow: UnitOfWork, who: Principal, customer_id: str) -> dict[str, Any]:
    who.require(Role.ANALYST, Role.CHANNEL, action="read customer profiles")
    with uow.reading() as conn:
        return history(conn, who, customer_id)


def history(conn: Connection, who: Principal, customer_id: str) -> dict[str, Any]:
    """The profile with the orders, returns and refunds of it and every profile merged into it."""
    profile = _profile(conn, customer_id)
    ids = db.subtree(conn, customer_id)
    orders = _orders(conn, who, ids, limit=HISTORY_LIMIT + 1)
    if who.role is Role.CHANNEL and not orders:
        raise _not_found(customer_id)
    shown, order_ids = orders[:HISTORY_LIMIT], [o["id"] for o in orders[:HISTORY_LIMIT]]
    everything = who.sees_everything
    return render_history(profile, orders=shown, more_orders=len(orders) > HISTORY_LIMIT,
                          returns=db.returns_of(conn, order_ids), refunds=db.refunds_of(conn, order_ids),
                          identifiers=db.keys_of(conn, ids) if everything else None,
                          merged=ids[1:] if everything else None)


def _orders(conn: Connection, who: Principal, ids: list[str], *, limit: int) -> list[RowMapping]:
    channel_id = lookups.optional_id(conn, "channel", who.scope) if who.role is Role.CHANNEL else None
    return db.orders_of(conn, ids, channel_id=channel_id, limit=limit)


def merge(uow: UnitOfWork, who: Principal, customer_id: str, into: str) -> dict[str, Any]:
    """Say that ``customer_id`` is the same person as ``into``; answers the surviving profile."""
    who.require(action="merge customer profiles")  # admins only
    with uow.writing() as conn:
        rows = db.get_many(conn, sorted({customer_id, into}), lock=True)  # an order's touch waits for us
        source = rows.get(customer_id)
        if source is None:
            raise _not_found(customer_id)
        target = rows.get(into)
        check_merge(_state(source), _state(target) if target is not None else None, into)
        db.set_merged_into(conn, customer_id, into)
        outbox.append(conn, [{"type": "customer.merged",
                              "data": {"customer_id": customer_id, "into": into, "actor": who.actor}}])
        return history(conn, who, into)


def unmerge(uow: UnitOfWork, who: Principal, customer_id: str) -> dict[str, Any]:
    """Undo a merge: the profile stands on its own again (with the orders it had before the merge)."""
    who.require(action="unmerge customer profiles")
    with uow.writing() as conn:
        source = db.get_many(conn, [customer_id], lock=True).get(customer_id)
        if source is None:
            raise _not_found(customer_id)
        previous = check_unmerge(_state(source))
        db.set_merged_into(conn, customer_id, None)
        outbox.append(conn, [{"type": "customer.unmerged",
                              "data": {"customer_id": customer_id, "from": previous, "actor": who.actor}}])
        return history(conn, who, customer_id)


def _state(row: RowMapping) -> ProfileState:
    return ProfileState(row["id"], row["merged_into"], row["erased_at"])
