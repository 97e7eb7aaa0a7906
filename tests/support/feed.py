"""Waiting for the event feed to serve what has been committed.

On PostgreSQL the feed serves an event only once every transaction that began before it has ended — on
the whole server, so other test processes' transactions count too (see adapters/db/outbox.py). A consumer
that runs right after a request may find the newest events not served yet; tests that expect them wait
here first. SQLite serves every committed event at once.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, func, literal_column, select

from ordermesh.adapters.db.tables import Event, table_of


def wait_for_feed(engine: Engine, timeout: float = 15.0) -> None:
    if engine.dialect.name != "postgresql":
        return
    events = table_of(Event)
    horizon = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            newest, served_below = conn.execute(select(func.max(events.c.tx_id), horizon)).one()
        if newest is None or newest < served_below:
            return
        assert time.monotonic() < deadline, f"the event feed is held back at transaction {served_below}"
        time.sleep(0.02)
