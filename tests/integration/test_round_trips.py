"""How often placing an order waits for PostgreSQL: every round trip is a wake-up of the server and of the
worker (and, under load, a wait for the interpreter lock), so the count is guarded here.

Planning: one round trip for the stored response, the channel and the SKUs, one for the customer, the
stock and the day's capacity. Writing: BEGIN with the Idempotency-Key's claim, then every insert and
reservation together, then COMMIT."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from psycopg import pq
from sqlalchemy import event

from ordermesh.bootstrap import Ordermesh
from ordermesh.entrypoints.api.schemas import OrderCreate
from ordermesh.service import idempotency, ordering
from tests.support.network import BERLIN, Api

PLACING_AN_ORDER = 5


def _round_trips(trace: str) -> int:
    """Turns from sending (F) to receiving (B) in a libpq protocol trace."""
    trips, previous = 0, ""
    for line in trace.splitlines():
        direction = line.split("\t", 1)[0]
        if direction == "B" and previous == "F":
            trips += 1
        previous = direction or previous
    return trips


def test_placing_an_order_waits_for_postgresql_five_times(om: Ordermesh, admin: Api, network: dict[str, Any],
                                                          tmp_path: Path) -> None:
    if not om.uow.is_postgres:
        return  # SQLite runs in the worker's own process: nothing to wait for
    for sku in network["skus"]:
        admin.stock(sku, "WH-1", 10)
    who = om.keys.principal(admin.key)
    assert who is not None
    me = threading.get_ident()
    trace_path = tmp_path / "libpq.trace"

    def place(n: int) -> None:
        body = OrderCreate.model_validate({
            "channel": "web", "external_id": f"RT-{n}", "currency": "EUR", "customer": {"email": f"c{n}@example.com"},
            "lines": [{"sku": s, "quantity": 1, "unit_price": "10.00"} for s in network["skus"]],
            "delivery": {"method": "ship", "address": BERLIN}})
        fingerprint = idempotency.fingerprint("POST", "/orders", body.model_dump(mode="json"))
        outcome = ordering.place(om.uow, who, body.to_command(), f"rt-{n}", fingerprint)
        assert outcome.status_code == 201

    place(1)  # the first order prepares the statements and learns the locations
    with trace_path.open("w") as trace:
        def start(driver: Any, *_: Any) -> None:
            if threading.get_ident() == me:
                driver.pgconn.trace(trace.fileno())
                driver.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

        def stop(driver: Any, *_: Any) -> None:
            if threading.get_ident() == me:
                driver.pgconn.untrace()

        event.listen(om.engine, "checkout", start)
        event.listen(om.engine, "checkin", stop)
        try:
            place(2)
        finally:
            event.remove(om.engine, "checkout", start)
            event.remove(om.engine, "checkin", stop)
    assert _round_trips(trace_path.read_text()) == PLACING_AN_ORDER, trace_path.read_text()
