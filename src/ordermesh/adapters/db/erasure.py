"""Reading and rewriting everything that may hold a customer's personal data (see domain/erasure.py).

Each place is named here once: the order rows themselves, the documents and notes written about those
orders (events, order changes, fulfillment details, sourcing decisions, holds, payments, returns), the
notification log, and the stored responses of idempotent requests. A table that starts to hold personal
data belongs in ``ABOUT_ORDERS`` (or gets its own function below).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from ordermesh.adapters.db.tables import (
    Event,
    FulfillmentOrder,
    IdempotencyRecord,
    Message,
    Order,
    OrderChange,
    OrderHold,
    Payment,
    Return,
    ReturnLine,
    SourcingDecision,
    table_of,
)

orders = table_of(Order)
messages = table_of(Message)
records = table_of(IdempotencyRecord)
return_lines = table_of(ReturnLine)
CHUNK = 500  # ids per IN (…): well under every database's parameter limit


class Place(NamedTuple):
    """A table whose rows about an order may hold personal data, and the columns that may."""

    table: Table
    columns: tuple[str, ...]


# Rows found by their order_id column; primary key ``id``.
ABOUT_ORDERS = {
    "events": Place(table_of(Event), ("data",)),
    "order_changes": Place(table_of(OrderChange), ("data",)),
    "fulfillment_orders": Place(table_of(FulfillmentOrder), ("details",)),
    "sourcing_decisions": Place(table_of(SourcingDecision), ("explanation",)),
    "order_holds": Place(table_of(OrderHold), ("reason",)),
    "payments": Place(table_of(Payment), ("error",)),
    "returns": Place(table_of(Return), ("note", "exchange")),
}
ORDER_COLUMNS = ("customer", "delivery", "billing", "payment")


def _chunks(ids: Sequence[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def orders_of(conn: Connection, customer_ids: Sequence[str], emails: Sequence[str] = ()) -> list[RowMapping]:
    """The profiles' orders, locked: an order cannot change under the erasure. ``emails`` also finds the
    person's orders that no profile holds (placed before profiles existed)."""
    mine: ColumnElement[bool] = orders.c.customer_id.in_(list(customer_ids))
    if emails:
        mine = or_(mine, and_(orders.c.customer_id.is_(None), orders.c.customer["email"].as_string().in_(list(emails))))
    stmt = (select(orders.c.id, orders.c.status, *(orders.c[c] for c in ORDER_COLUMNS))
            .where(mine).order_by(orders.c.id).with_for_update())
    return list(conn.execute(stmt).mappings())


def update_order(conn: Connection, order_id: str, values: Mapping[str, Any]) -> None:
    conn.execute(update(orders).where(orders.c.id == order_id).values(**values))


def about_orders(conn: Connection, place: Place, order_ids: Sequence[str]) -> list[RowMapping]:
    table = place.table
    found: list[RowMapping] = []
    for ids in _chunks(order_ids):
        stmt = select(table.c.id, *(table.c[c] for c in place.columns)).where(table.c.order_id.in_(ids))
        found += conn.execute(stmt.order_by(table.c.id)).mappings()
    return found


def update_row(conn: Connection, place: Place, row_id: Any, values: Mapping[str, Any]) -> None:
    conn.execute(update(place.table).where(place.table.c.id == row_id).values(**values))


def return_lines_of(conn: Connection, return_ids: Sequence[str]) -> list[RowMapping]:
    found: list[RowMapping] = []
    for ids in _chunks(return_ids):
        stmt = select(return_lines.c.return_id, return_lines.c.order_line_id, return_lines.c.reason)
        found += conn.execute(stmt.where(return_lines.c.return_id.in_(ids))).mappings()
    return found


def update_return_line_reason(conn: Connection, return_id: str, order_line_id: str, reason: str) -> None:
    conn.execute(update(return_lines).where(return_lines.c.return_id == return_id,
                                            return_lines.c.order_line_id == order_line_id).values(reason=reason))


def messages_to(conn: Connection, order_ids: Sequence[str], customer_ids: Sequence[str],
                recipients: Sequence[str]) -> list[RowMapping]:
    """Messages about the orders, to the profiles, or sent to the person's addresses."""
    found: dict[int, RowMapping] = {}
    for column, values in ((messages.c.order_id, order_ids), (messages.c.customer_id, customer_ids),
                           (messages.c.recipient, recipients)):
        for ids in _chunks(values):
            for row in conn.execute(select(messages).where(column.in_(ids))).mappings():
                found[row["id"]] = row
    return [found[k] for k in sorted(found)]


def update_message(conn: Connection, message_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(update(messages).where(messages.c.id == message_id).values(**values))


def responses_mentioning(conn: Connection, needles: Sequence[str]) -> list[RowMapping]:
    """Stored idempotent responses whose text contains any of ``needles`` (a scan: erasure is rare)."""
    found: dict[tuple[str, str], RowMapping] = {}
    for group in _chunks(sorted(set(needles))):
        stmt = select(records.c.principal, records.c.key, records.c.response).where(
            or_(*(records.c.response.contains(n, autoescape=True) for n in group)))
        for row in conn.execute(stmt).mappings():
            found[(row["principal"], row["key"])] = row
    return [found[k] for k in sorted(found)]


def update_response(conn: Connection, principal: str, key: str, response: str) -> None:
    conn.execute(update(records).where(records.c.principal == principal, records.c.key == key)
                 .values(response=response))
