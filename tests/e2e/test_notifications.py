"""Customer notifications on SQLite and PostgreSQL: orders placed and worked over the API, the notifier run
over the real event feed, the message log read back over the API, and mail through a real SMTP server."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from typer.testing import CliRunner, Result

from ordermesh.adapters.db import notifications as store
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import Cursor, Message, table_of
from ordermesh.adapters.notify import SmtpSender
from ordermesh.bootstrap import Ordermesh
from ordermesh.domain.notifications import OutgoingMessage
from ordermesh.entrypoints.api.app import create_app
from ordermesh.entrypoints.cli.main import app as cli_app
from ordermesh.service.api_keys import create_key
from ordermesh.service.notifications import CURSOR, LEASE, DispatchReport, Notifier
from tests.support.checks import problem
from tests.support.feed import wait_for_feed
from tests.support.mail import Login, Mailbox, smtp_server
from tests.support.network import Api, build_network
from tests.support.store import order_of, step, walk


def dispatch(om: Ordermesh) -> DispatchReport:
    return run(Notifier.from_settings(om.uow, om.settings))


def run(notifier: Notifier, *, retry_failed: bool = False) -> DispatchReport:
    """One notifier run, once the feed serves every event committed so far (see tests/support/feed.py)."""
    wait_for_feed(notifier.uow.engine)
    return notifier.run(retry_failed=retry_failed)


def cli(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli_app, list(args), env={"ORDERMESH_DATABASE_URL": database_url, "COLUMNS": "200"})


def messages(api: Api, **filters: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.ok(api.get("/messages", **filters))["items"]
    return items


def pickup_order(admin: Api) -> dict[str, Any]:
    admin.stock("TEE", "STORE-BER", 10)
    order: dict[str, Any] = admin.ok(admin.place([("TEE", 2)], method="pickup", pickup="STORE-BER"), 201)
    return order


def message_count(om: Ordermesh) -> int:
    with om.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(Message))).scalar_one())


def test_a_pickup_order_is_confirmed_with_its_tracking_link_then_its_code_goes_out_when_ready(
        admin: Api, network: Any, om: Ordermesh) -> None:
    order = pickup_order(admin)
    assert order["tracking_url"].startswith("http://127.0.0.1:8000/track/")
    assert messages(admin, order_id=order["id"]) == []  # nothing until the notifier runs
    report = dispatch(om)
    assert (report.logged, report.sent, report.failed) == (1, 1, 0)
    [confirmed] = messages(admin, order_id=order["id"])
    assert (confirmed["template"], confirmed["recipient"], confirmed["status"], confirmed["sender"]) == (
        "order_confirmed", "ana@example.com", "sent", "log")
    assert confirmed["subject"] == f"Your order {order['external_id']} is confirmed"
    assert order["tracking_url"] in confirmed["body"]
    assert "Hello Ana," in confirmed["body"] and "2 x Tee (TEE)" in confirmed["body"]
    assert "pickup code as soon as your order is ready at Store-Ber" in confirmed["body"]

    fo = order["fulfillment_orders"][0]
    walk(admin, fo["id"], "accept", "pick", "pack")
    assert dispatch(om).logged == 0  # accepting, picking and packing tell the customer nothing
    ready = step(admin, fo["id"], "ready")
    assert dispatch(om).logged == 1
    newest = messages(admin, order_id=order["id"])[0]
    assert newest["template"] == "ready_for_pickup"
    assert newest["subject"] == f"Your order {order['external_id']} is ready for pickup at Store-Ber"
    assert f"Your pickup code: {ready['pickup_code']}" in newest["body"]
    assert "Bring your pickup code to the store's service desk" in newest["body"]
    collect_by = ready["pickup_expires_at"][:16].replace("T", " ")
    assert f"Please collect it by {collect_by} UTC" in newest["body"]
    assert order["tracking_url"] in newest["body"]


def test_a_shipped_order_tells_the_customer_the_carrier_and_tracking_number(admin: Api, network: Any,
                                                                             om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    fo_id = order["fulfillment_orders"][0]["id"]
    walk(admin, fo_id, "accept", "pick", "pack")
    step(admin, fo_id, "ship", {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    wait_for_feed(om.engine)  # the feed serves the event once every older transaction on the server ended
    shipped_event = admin.ok(admin.get("/events", type="fulfillment_order.shipped"))["items"][0]
    assert (shipped_event["data"]["carrier"], shipped_event["data"]["tracking_number"]) == ("UPS", "1Z999AA10123456784")
    assert dispatch(om).logged == 2
    confirmed, shipped = reversed(messages(admin, order_id=order["id"]))
    assert confirmed["template"] == "order_confirmed"
    assert "let you know as soon as it is on its way" in confirmed["body"]
    assert shipped["template"] == "shipped"
    assert shipped["subject"] == f"Your order {order['external_id']} is on its way"
    assert "Carrier: UPS\nTracking number: 1Z999AA10123456784\n" in shipped["body"]
    assert "1 x Tee (TEE)" in shipped["body"] and order["tracking_url"] in shipped["body"]


def test_running_the_notifier_again_or_from_the_start_never_logs_or_sends_twice(admin: Api, network: Any,
                                                                                om: Ordermesh) -> None:
    order = pickup_order(admin)
    assert dispatch(om).logged == 1
    assert dispatch(om) == DispatchReport()  # nothing new: the idle run writes nothing at all
    with om.engine.begin() as conn:  # as if the cursor had been lost: every event is read again
        conn.execute(delete(table_of(Cursor)))
    again = dispatch(om)
    assert (again.logged, again.sent) == (0, 0)
    assert [m["template"] for m in messages(admin, order_id=order["id"])] == ["order_confirmed"]
    assert message_count(om) == 1


def test_a_notifier_holding_the_lease_keeps_a_second_one_out(admin: Api, network: Any, om: Ordermesh) -> None:
    pickup_order(admin)
    with om.uow.writing() as conn:
        assert store.take_lease(conn, LEASE, "other-process", timedelta(minutes=2))
    assert dispatch(om).busy and message_count(om) == 0
    with om.uow.writing() as conn:  # the other process died: its lease lapses and someone else takes over
        lapsed = utcnow() - timedelta(hours=1)
        assert store.take_lease(conn, LEASE, "other-process", timedelta(minutes=2), now=lapsed)
    assert dispatch(om).logged == 1


def test_old_events_are_skipped_so_a_new_notifier_does_not_greet_every_past_customer(
        admin: Api, network: Any, om: Ordermesh) -> None:
    pickup_order(admin)
    late = Notifier.from_settings(om.uow, om.settings)
    late.max_age = timedelta(0)
    assert run(late).logged == 0
    with om.uow.reading() as conn:
        assert store.position(conn, CURSOR) is not None  # moved past them all the same
    pickup_order(admin)
    assert dispatch(om).logged == 1


def test_a_refund_tells_the_customer_the_amount(admin: Api, network: Any, om: Ordermesh) -> None:
    order = pickup_order(admin)
    with om.uow.writing() as conn:  # as the payments service records a refund
        outbox.append(conn, [{"type": "payment.refunded", "order_id": order["id"], "data": {
            "order_id": order["id"], "payment_id": "pay_1", "amount": "12.50", "currency": "EUR"}}])
    dispatch(om)
    refund = messages(admin, order_id=order["id"])[0]
    assert refund["template"] == "refund_issued"
    assert refund["subject"] == f"We have refunded 12.50 EUR for your order {order['external_id']}"


def test_the_message_log_is_scoped_like_orders(admin: Api, network: Any, om: Ordermesh, key_for: Any) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    web = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)
    pos = admin.ok(admin.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER"), 201)
    dispatch(om)
    assert {m["order_id"] for m in messages(admin)} == {web["id"], pos["id"]}
    assert {m["order_id"] for m in messages(key_for("analyst"))} == {web["id"], pos["id"]}
    assert [m["order_id"] for m in messages(key_for("channel", "pos"))] == [pos["id"]]
    assert messages(key_for("channel", "pos"), order_id=web["id"]) == []
    problem(key_for("location", "STORE-BER").get("/messages"), 403, "forbidden")
    assert admin.client.get("/api/v1/messages").status_code == 401
    first = admin.ok(admin.get("/messages", limit=1))
    assert first["items"][0]["order_id"] == pos["id"] and first["next_cursor"]
    rest = admin.ok(admin.get("/messages", limit=1, cursor=first["next_cursor"]))
    assert [m["order_id"] for m in rest["items"]] == [web["id"]] and rest["next_cursor"] is None
    problem(admin.get("/messages", cursor="nope"), 422, "validation-error", "cursor")


def test_the_cli_sends_what_is_pending(admin: Api, network: Any, om: Ordermesh, database_url: str) -> None:
    pickup_order(admin)
    wait_for_feed(om.engine)
    first = cli(database_url, "notifications", "send")
    assert first.exit_code == 0, first.output
    assert "logged 1 new message(s); sent 1, failed 0" in first.output
    assert "logged 0 new message(s); sent 0" in cli(database_url, "notifications", "send").output


def test_the_server_sends_by_itself_every_few_seconds(om: Ordermesh) -> None:
    settings = om.settings.model_copy(update={"notify_interval_seconds": 0.05})
    with TestClient(create_app(settings=settings)) as client:
        admin = Api(client, create_key(om.uow, "admin")[1])
        build_network(admin)
        order = pickup_order(admin)
        deadline = time.monotonic() + 10
        while not messages(admin, order_id=order["id"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["status"] for m in messages(admin, order_id=order["id"])] == ["sent"]


# --- by e-mail --------------------------------------------------------------------------------------------------

def smtp_notifier(om: Ordermesh, port: int, **options: Any) -> Notifier:
    return Notifier(om.uow, SmtpSender("127.0.0.1", port, "Shop <orders@shop.example>", timeout=5, **options),
                    public_url=om.settings.public_url)


def test_messages_go_out_by_smtp_with_recipient_subject_and_body(admin: Api, network: Any, om: Ordermesh) -> None:
    mailbox = Mailbox()
    order = pickup_order(admin)
    with smtp_server(mailbox) as port:
        report = run(smtp_notifier(om, port))
    assert (report.sent, report.failed, report.waiting) == (1, 0, 0)
    [mail] = mailbox.received
    assert mail["To"] == "ana@example.com" and mail["From"] == "Shop <orders@shop.example>"
    assert mail["Subject"] == f"Your order {order['external_id']} is confirmed"
    body = mail.get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert order["tracking_url"] in body and "Hello Ana," in body
    assert mailbox.envelopes == [("orders@shop.example", ["ana@example.com"])]
    [logged] = messages(admin, order_id=order["id"])
    assert (logged["status"], logged["sender"], logged["body"]) == ("sent", "smtp", body)
    assert mail["Message-ID"].startswith("<ordermesh.") and mail["Message-ID"].endswith(
        ".order_confirmed@shop.example>")


def test_an_unreachable_mail_server_leaves_messages_pending_until_it_is_back(admin: Api, network: Any,
                                                                           om: Ordermesh) -> None:
    mailbox = Mailbox()
    order = pickup_order(admin)
    with smtp_server(mailbox) as port:
        pass  # the port is free again: nobody listens
    report = run(smtp_notifier(om, port))
    assert (report.logged, report.sent, report.waiting) == (1, 0, 1)
    [waiting] = messages(admin, order_id=order["id"])
    assert waiting["status"] == "pending" and "127.0.0.1" in waiting["error"]
    with smtp_server(mailbox, port=port):
        assert run(smtp_notifier(om, port)).sent == 1
    assert len(mailbox.received) == 1
    assert messages(admin, order_id=order["id"])[0]["status"] == "sent"


def test_a_refused_recipient_fails_that_message_only_and_can_be_retried(admin: Api, network: Any,
                                                                        om: Ordermesh) -> None:
    mailbox = Mailbox(refused={"ana@example.com"})
    admin.stock("TEE", "STORE-BER", 5)
    ana = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)
    ben = admin.ok(admin.post("/orders", {
        "channel": "web", "external_id": "BEN-1", "currency": "EUR", "customer": {"email": "ben@example.com"},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "10.00"}],
        "delivery": {"method": "pickup", "pickup_location": "STORE-BER"}}), 201)
    with smtp_server(mailbox) as port:
        report = run(smtp_notifier(om, port))
        assert (report.sent, report.failed) == (1, 1)
        [failed] = messages(admin, order_id=ana["id"])
        assert failed["status"] == "failed" and "550" in failed["error"]
        assert messages(admin, order_id=ben["id"])[0]["status"] == "sent"
        assert run(smtp_notifier(om, port)) == DispatchReport()  # failed stays failed by itself
        mailbox.refused.clear()  # the address was fixed on the mail side
        assert run(smtp_notifier(om, port), retry_failed=True).sent == 1
    assert [m["To"] for m in mailbox.received] == ["ben@example.com", "ana@example.com"]


def test_a_wrong_mail_password_is_a_set_up_problem_so_messages_wait(admin: Api, network: Any,
                                                                    om: Ordermesh) -> None:
    mailbox = Mailbox()
    pickup_order(admin)
    with smtp_server(mailbox, login=Login("shop", "s3cret")) as port:
        assert run(smtp_notifier(om, port, user="shop", password="wrong")).waiting == 1
        assert run(smtp_notifier(om, port, user="shop", password="s3cret")).sent == 1
    assert len(mailbox.received) == 1


def test_a_ready_notice_that_would_arrive_after_collection_is_not_sent(admin: Api, network: Any,
                                                                       om: Ordermesh) -> None:
    order = pickup_order(admin)
    fo = order["fulfillment_orders"][0]
    ready = walk(admin, fo["id"], "accept", "pick", "pack", "ready")
    step(admin, fo["id"], "pickup", {"code": ready["pickup_code"]})
    dispatch(om)
    assert [m["template"] for m in messages(admin, order_id=order["id"])] == ["order_confirmed"]
    assert order_of(admin, order["id"])["status"] in ("fulfilled", "completed")


class Crash(BaseException):
    """The process dies here (BaseException: nothing on the way catches it)."""


class DyingSender:
    name = "smtp"
    delivered_by_log = False  # a mail server: the message waits as pending until it is sent

    def send(self, message: OutgoingMessage) -> None:
        raise Crash


def test_a_crash_before_sending_leaves_the_message_pending_and_the_next_run_sends_it_once(
        admin: Api, network: Any, om: Ordermesh) -> None:
    order = pickup_order(admin)
    with pytest.raises(Crash):
        run(Notifier(om.uow, DyingSender(), public_url=om.settings.public_url))
    [logged] = messages(admin, order_id=order["id"])
    assert logged["status"] == "pending"  # logged with the cursor moved past its event: not lost
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        assert run(smtp_notifier(om, port)).sent == 1
        assert run(smtp_notifier(om, port)) == DispatchReport()
    assert [m["To"] for m in mailbox.received] == ["ana@example.com"]


def test_notifiers_running_at_once_send_each_message_once(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 50)
    orders = [admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201) for _ in range(6)]
    mailbox = Mailbox()
    wait_for_feed(om.engine)
    with smtp_server(mailbox) as port, ThreadPoolExecutor(3) as pool:
        notifiers = [smtp_notifier(om, port) for _ in range(3)]
        for _ in range(3):  # rounds, so that some runs find the lease held and others find nothing left
            reports = list(pool.map(lambda n: n.run(), notifiers))  # the feed was waited for above
            assert sum(r.sent for r in reports) == sum(r.logged for r in reports)
    assert len(mailbox.received) == len(orders)
    assert sorted(m["Message-ID"] for m in mailbox.received) == sorted({m["Message-ID"] for m in mailbox.received})
    assert {m["status"] for m in messages(admin)} == {"sent"}


def test_an_event_that_cannot_be_composed_is_logged_failed_and_holds_nothing_up(admin: Api, network: Any,
                                                                                 om: Ordermesh) -> None:
    order = pickup_order(admin)
    with om.uow.writing() as conn:  # names a fulfillment order that does not exist
        outbox.append(conn, [{"type": "fulfillment_order.shipped", "order_id": order["id"], "data": {
            "order_id": order["id"], "fulfillment_order_id": "fo_gone", "carrier": "DHL", "tracking_number": "1"}}])
    later = pickup_order(admin)
    report = dispatch(om)
    assert (report.logged, report.sent, report.failed) == (3, 2, 0)  # the broken one was failed when logged
    broken = messages(admin, order_id=order["id"])[0]
    assert broken["template"] == "shipped" and broken["status"] == "failed"
    assert broken["error"].startswith("could not compose")
    assert messages(admin, order_id=later["id"])[0]["status"] == "sent"
