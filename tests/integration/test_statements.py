"""Hot-path statements that must stay right as the tables grow: an order's events in one multi-row INSERT
keep their transaction's id, and the customer lookup stays an index lookup whatever PostgreSQL knows."""

from __future__ import annotations

from sqlalchemy import select

from ordermesh.adapters.db import customers, outbox
from ordermesh.adapters.db.engine import statistics_warning
from ordermesh.adapters.db.tables import Event, table_of
from ordermesh.bootstrap import Ordermesh

events = table_of(Event)


def test_an_orders_events_go_out_together_with_their_transactions_id_in_item_order(om: Ordermesh) -> None:
    items = [{"type": f"test.{i}", "data": {"n": i}} for i in range(3)]
    with om.uow.writing() as conn:
        outbox.append(conn, items)
        expected_tx = (conn.exec_driver_sql("SELECT pg_current_xact_id()::text::bigint").scalar()
                       if om.uow.is_postgres else 0)
    with om.uow.writing() as conn:
        outbox.append(conn, [{"type": "test.later", "data": {}}])
    with om.uow.reading() as conn:
        rows = conn.execute(select(events.c.type, events.c.tx_id, events.c.data).order_by(events.c.id)).all()
    assert [r.type for r in rows] == ["test.0", "test.1", "test.2", "test.later"]
    assert {r.tx_id for r in rows[:3]} == {expected_tx}
    assert [r.data for r in rows[:3]] == [{"n": 0}, {"n": 1}, {"n": 2}]
    if om.uow.is_postgres:  # the next transaction's events sort after these in the feed
        assert rows[3].tx_id > expected_tx


def test_the_customer_key_lookup_uses_the_primary_key_even_on_a_never_analysed_table(om: Ordermesh) -> None:
    """PostgreSQL keeps the generic plan of a prepared statement; one made before any statistics existed
    must not be a scan of every customer key (the lookup's earlier OR form was exactly that)."""
    with om.uow.reading() as conn:
        customers.lookup_later(conn, "a@example.com", "+4930123456")()  # and it runs
        if not om.uow.is_postgres:
            return
        statement = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        statement.execute("SET plan_cache_mode = force_generic_plan")
        # The very SQL the order path sends, prepared by hand so that EXPLAIN can show its generic plan.
        sql = customers._LOOKUP._sql(conn, ("email", "phone"), 1).sql
        statement.execute("PREPARE lookup AS " + sql.replace("%(email)s", "$1").replace("%(phone)s", "$2"))
        plan = "\n".join(r[0] for r in statement.execute("EXPLAIN EXECUTE lookup(NULL, NULL)").fetchall())
        statement.execute("DEALLOCATE lookup")
        statement.execute("RESET plan_cache_mode")
    assert "Seq Scan on customer_keys" not in plan, plan
    assert plan.count("pk_customer_keys") == 2, plan


def test_a_postgresql_server_without_autovacuum_is_reported(om: Ordermesh) -> None:
    warning = statistics_warning(om.engine)
    if not om.uow.is_postgres:
        assert warning is None
        return
    with om.uow.reading() as conn:
        autovacuum = conn.exec_driver_sql("SHOW autovacuum").scalar()
    assert (warning is None) == (autovacuum == "on")
    if warning:
        assert "autovacuum" in warning and "ANALYZE" in warning
