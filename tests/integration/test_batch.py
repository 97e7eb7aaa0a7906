"""Batched writes (one pipeline on PostgreSQL): what is queued is written, checks run after the results
are in, a constraint error names its constraint, and the transaction can always roll back."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from ordermesh.adapters.db import batch as batching
from ordermesh.adapters.db import catalogue
from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import Channel, Order, table_of
from ordermesh.bootstrap import Ordermesh
from ordermesh.service.catalogue import upsert_channel
from ordermesh.service.commands import UpsertChannel
from ordermesh.service.demo import SYSTEM

orders = table_of(Order)
_INSERT = FastStatement(orders.insert())


def _order(channel_id: int, order_id: str, external_id: str) -> dict[str, Any]:
    now = utcnow()
    return {"id": order_id, "channel_id": channel_id, "external_id": external_id, "status": "confirmed",
            "currency": "EUR", "subtotal_minor": 1, "total_minor": 1, "customer": {}, "delivery": {},
            "discount_minor": 0, "shipping_minor": 0, "tax_minor": 0, "customer_id": None, "payment": None,
            "billing": None, "tracking_token": None, "created_at": now, "updated_at": now}


@pytest.fixture
def channel_id(om: Ordermesh) -> int:
    upsert_channel(om.uow, SYSTEM, UpsertChannel("web", "Web shop", "web", "EUR"))
    with om.uow.reading() as conn:
        return int(conn.execute(select(table_of(Channel).c.id)).scalar_one())


def _count(om: Ordermesh) -> int:
    with om.uow.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())


def test_queued_statements_are_written_and_checks_see_their_results(om: Ordermesh, channel_id: int) -> None:
    seen: list[int] = []
    with om.uow.writing() as conn, batching.batch(conn) as active:
        cursor = _INSERT.run(conn, [_order(channel_id, f"ord{i}", f"ext-{i}") for i in range(3)])
        active.check(lambda: seen.append(cursor.rowcount))
        # SQLAlchemy's own statement in the middle sends the queue first, so it sees those rows.
        assert conn.execute(select(func.count()).select_from(orders)).scalar_one() == 3
        _INSERT.run(conn, _order(channel_id, "ord9", "ext-9"))
    assert seen == [3]
    assert _count(om) == 4


def test_a_refusing_check_rolls_everything_back(om: Ordermesh, channel_id: int) -> None:
    def refuse() -> None:
        raise LookupError("refused")

    with pytest.raises(LookupError), om.uow.writing() as conn, batching.batch(conn) as active:
        _INSERT.run(conn, _order(channel_id, "ord1", "ext-1"))
        active.check(refuse)
    assert _count(om) == 0


def test_a_unique_violation_names_the_constraint_and_the_connection_stays_usable(
        om: Ordermesh, channel_id: int) -> None:
    with om.uow.writing() as conn:
        _INSERT.run(conn, _order(channel_id, "ord1", "ext-1"))
    with pytest.raises(batching.ConstraintViolated) as caught, om.uow.writing() as conn, batching.batch(conn):
        _INSERT.run(conn, _order(channel_id, "ord2", "ext-1"))
        time.sleep(0.2)  # let the error come back, so the next statement's send reads it mid-batch
        _INSERT.run(conn, [_order(channel_id, f"ord{i}", f"ext-{i}") for i in range(3, 6)])
    assert caught.value.constraint == "uq_orders_channel_external_id"
    for _ in range(3):  # the pool hands the same connection back: it must be out of pipeline mode
        with om.uow.writing() as conn:
            assert catalogue.ids_by_code(conn, "channel", ["web"]) == {"web": channel_id}
    assert _count(om) == 1


_UNREAD = FastStatement(orders.insert(), unread=True)


def test_statements_whose_results_nobody_reads_are_written_and_still_refuse_a_duplicate(
        om: Ordermesh, channel_id: int) -> None:
    """On PostgreSQL they share one cursor in the pipeline, which keeps only the last result: the rows
    and the errors of the earlier ones must not be lost with it."""
    with om.uow.writing() as conn, batching.batch(conn):
        for i in range(3):
            _UNREAD.run(conn, _order(channel_id, f"ord{i}", f"ext-{i}"))
        _UNREAD.run(conn, [_order(channel_id, f"ord{i}", f"ext-{i}") for i in range(3, 5)])
    assert _count(om) == 5
    with pytest.raises(batching.ConstraintViolated) as caught, om.uow.writing() as conn, batching.batch(conn):
        _UNREAD.run(conn, _order(channel_id, "ord8", "ext-1"))  # the duplicate, then a good row after it
        _UNREAD.run(conn, _order(channel_id, "ord9", "ext-9"))
    assert caught.value.constraint == "uq_orders_channel_external_id"
    assert _count(om) == 5


@pytest.mark.parametrize("first", ["batched", "alone", "sqlalchemy"])
def test_a_write_transaction_is_one_transaction_whatever_its_first_statement(
        om: Ordermesh, channel_id: int, first: str) -> None:
    """On PostgreSQL the BEGIN waits to go out with the transaction's first statement (the driver runs in
    autocommit mode meanwhile): whichever way that statement is sent, everything must still roll back
    together, and the pooled connection must come back in an ordinary transaction mode."""
    with pytest.raises(LookupError), om.uow.writing() as conn:
        if first == "batched":
            with batching.batch(conn):
                _INSERT.run(conn, _order(channel_id, "ord1", "ext-1"))
        elif first == "alone":
            _INSERT.run(conn, _order(channel_id, "ord1", "ext-1"))
        else:
            conn.execute(orders.insert().values(**_order(channel_id, "ord1", "ext-1")))
        with batching.batch(conn):
            _UNREAD.run(conn, _order(channel_id, "ord2", "ext-2"))
        conn.execute(orders.insert().values(**_order(channel_id, "ord3", "ext-3")))
        raise LookupError("changed my mind")
    assert _count(om) == 0
    with om.uow.writing() as conn:
        _INSERT.run(conn, _order(channel_id, "ord4", "ext-4"))
        driver = conn.connection.dbapi_connection
    if om.uow.is_postgres:  # back in the pool, the connection is in the driver's usual mode again
        assert driver is not None and driver.autocommit is False
    assert _count(om) == 1


def test_a_write_transaction_that_ends_before_its_first_statement_leaves_no_begin_behind(
        om: Ordermesh, channel_id: int) -> None:
    """PostgreSQL: its BEGIN was never sent; later reads on the same pooled connections must not send it."""
    for _ in range(3):
        with pytest.raises(LookupError), om.uow.writing():
            raise LookupError("nothing to write after all")
    for _ in range(3):
        with om.uow.reading(snapshot=False) as conn:
            assert catalogue.ids_by_code(conn, "channel", ["web"]) == {"web": channel_id}
            if om.uow.is_postgres:
                status = conn.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
                assert status == psycopg.pq.TransactionStatus.IDLE
