"""Money after capture, over the HTTP API: a capture per hand-over, voids, refunds, declines and lost answers.

The provider is the built-in test provider with its ledger in a SQLite file, read back here to check what
really moved at the "gateway" — not only what Ordermesh recorded.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ordermesh.adapters.db import orders as orders_db
from ordermesh.adapters.db.tables import Payment, table_of
from ordermesh.bootstrap import Ordermesh, bootstrap
from ordermesh.entrypoints.cli.main import app as cli
from ordermesh.service import fulfillment, payments
from ordermesh.service.access import Principal, Role
from ordermesh.service.commands import FulfillmentStep
from ordermesh.settings import Settings
from tests.support.checks import problem
from tests.support.network import Api

PARCEL = {"carrier": "DHL", "tracking_number": "JJD0001"}
OK, DECLINE, ERROR, FLAKY = ({"provider": "test", "token": t} for t in ("tok_ok", "tok_decline", "tok_error",
                                                                        "tok_flaky"))
MONEY = {"discount": "1.00", "shipping": "4.99", "tax": "3.17"}


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "provider-ledger.db"


@pytest.fixture
def om(database_url: str, ledger: Path) -> Iterator[Ordermesh]:
    running = bootstrap(Settings(database_url=database_url, sweep_interval_seconds=0, notify_interval_seconds=0,
                                 pool_size=5, test_provider_ledger=str(ledger)))
    yield running
    running.close()


def at_provider(ledger: Path, authorization_ref: str) -> dict[str, Any]:
    """The provider's own record of an authorization: amount, captured, refunded, voided."""
    with closing(sqlite3.connect(ledger)) as db:
        row = db.execute("SELECT state FROM authorizations WHERE ref = ?", (authorization_ref,)).fetchone()
    state: dict[str, Any] = json.loads(row[0])
    return state


def provider_keys(ledger: Path, prefix: str) -> list[str]:
    with closing(sqlite3.connect(ledger)) as db:
        return [k for (k,) in db.execute("SELECT key FROM answers WHERE key LIKE ? ORDER BY key", (prefix + "%",))]


def payment_rows(om: Ordermesh) -> int:
    with om.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(Payment))).scalar_one())


def hand_over(api: Api, fo_id: str) -> dict[str, Any]:
    for action in ("accept", "pick", "pack"):
        api.ok(api.post(f"/fulfillment-orders/{fo_id}/{action}"))
    shipped: dict[str, Any] = api.ok(api.post(f"/fulfillment-orders/{fo_id}/ship", PARCEL))
    return shipped


def order_of(api: Api, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = api.ok(api.get(f"/orders/{order_id}"))
    return order


def of_kind(order: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [p for p in order["payments"] if p["kind"] == kind]


def cents(amount: str) -> int:
    whole, _, frac = amount.partition(".")
    return int(whole) * 100 + int(frac or 0)


def split_order(api: Api, payment: dict[str, str], **extra: Any) -> dict[str, Any]:
    """TEE ×2 from STORE-BER and CAP ×3 from WH-1: two fulfillment orders, with discount, shipping and tax."""
    api.stock("TEE", "STORE-BER", 2)
    api.stock("CAP", "WH-1", 3)
    order: dict[str, Any] = api.ok(api.place([("TEE", 2), ("CAP", 3)], price="9.99", payment=payment,
                                             **MONEY, **extra), 201)
    assert len(order["fulfillment_orders"]) == 2
    return order


def test_an_order_paid_with_tok_ok_is_authorized_for_its_total(admin: Api, network: Any, ledger: Path) -> None:
    order = split_order(admin, OK)
    [auth] = order["payments"]
    assert (auth["kind"], auth["status"], auth["amount"]) == ("authorization", "succeeded", order["totals"]["total"])
    assert order["payment_summary"] == {"authorized": order["totals"]["total"], "captured": "0.00",
                                        "refunded": "0.00", "refundable": "0.00", "voided": False}
    assert at_provider(ledger, auth["provider_ref"])["amount"] == cents(order["totals"]["total"])


def test_a_replayed_order_asks_the_provider_nothing(admin: Api, network: Any, ledger: Path) -> None:
    admin.stock("TEE", "WH-1", 5)
    first = admin.place([("TEE", 1)], payment=OK, key="replay-me", external_id="REPLAY-1")
    again = admin.place([("TEE", 1)], payment=OK, key="replay-me", external_id="REPLAY-1")
    assert (first.status_code, again.status_code, again.headers.get("Idempotent-Replayed")) == (201, 201, "true")
    assert len(provider_keys(ledger, "auth:")) == 1 and provider_keys(ledger, "void:") == []


def test_each_shipment_captures_its_share_and_the_captures_add_up_to_the_total(admin: Api, network: Any,
                                                                              ledger: Path) -> None:
    order = split_order(admin, OK)
    line_total = {x["sku"]: x["total"] for x in order["lines"]}  # goods − discount + shipping + tax, per line
    by_location = {fo["location"]: fo for fo in order["fulfillment_orders"]}

    hand_over(admin, by_location["STORE-BER"]["id"])
    first = order_of(admin, order["id"])
    [capture] = of_kind(first, "capture")
    assert capture["status"] == "succeeded" and capture["fulfillment_order_id"] == by_location["STORE-BER"]["id"]
    assert capture["amount"] == line_total["TEE"]  # its share of discount, shipping and tax came along
    assert first["payment_summary"]["captured"] == line_total["TEE"]

    hand_over(admin, by_location["WH-1"]["id"])
    done = order_of(admin, order["id"])
    captures = of_kind(done, "capture")
    assert [c["amount"] for c in captures] == [line_total["TEE"], line_total["CAP"]]
    assert sum(cents(c["amount"]) for c in captures) == cents(order["totals"]["total"]) == 5711
    auth_ref = of_kind(done, "authorization")[0]["provider_ref"]
    assert at_provider(ledger, auth_ref)["captured"] == 5711  # what really moved at the provider
    captured_events = [e for e in done["timeline"] if e["type"] == "payment.captured"]
    assert [e["data"]["amount"] for e in captured_events] == [line_total["TEE"], line_total["CAP"]]


def test_a_line_split_over_two_locations_is_charged_unit_by_unit_to_the_minor_unit(admin: Api, network: Any,
                                                                                     ledger: Path) -> None:
    admin.stock("TEE", "STORE-BER", 2)
    admin.stock("TEE", "STORE-HAM", 1)
    order = admin.ok(admin.place([("TEE", 3)], price="3.33", shipping="1.00", tax="0.01", payment=OK), 201)
    assert order["totals"]["total"] == "11.00" and len(order["fulfillment_orders"]) == 2
    for fo in order["fulfillment_orders"]:
        hand_over(admin, fo["id"])
    done = order_of(admin, order["id"])
    amounts = sorted(cents(c["amount"]) for c in of_kind(done, "capture"))
    # 11.00 over 3 units: 3.67, 3.67, 3.66 — the odd cents to the first units, whichever location ships first
    assert sum(amounts) == 1100 and amounts in ([366, 734], [367, 733])
    assert at_provider(ledger, of_kind(done, "authorization")[0]["provider_ref"])["captured"] == 1100


def test_a_pickup_is_captured_when_collected(admin: Api, network: Any) -> None:
    admin.stock("MUG", "STORE-MUC", 1)
    order = admin.ok(admin.place([("MUG", 1)], method="pickup", pickup="STORE-MUC", payment=OK), 201)
    fo = order["fulfillment_orders"][0]
    for action in ("accept", "pick", "pack", "ready"):
        admin.ok(admin.post(f"/fulfillment-orders/{fo['id']}/{action}"))
    assert of_kind(order_of(admin, order["id"]), "capture") == []  # ready is not handed over
    admin.ok(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": fo["pickup_code"]}))
    [capture] = of_kind(order_of(admin, order["id"]), "capture")
    assert (capture["status"], capture["amount"]) == ("succeeded", "10.00")


def test_a_declined_card_holds_the_order_and_its_fulfillment_until_released(admin: Api, network: Any) -> None:
    order = split_order(admin, DECLINE)
    assert order["status"] == "on_hold"
    [hold] = order["holds"]
    assert hold["type"] == "payment" and "declined" in hold["reason"]
    assert of_kind(order, "authorization")[0]["status"] == "failed"
    fo = order["fulfillment_orders"][0]["id"]
    problem(admin.post(f"/fulfillment-orders/{fo}/accept"), 409, "order-on-hold")

    admin.ok(admin.post(f"/orders/{order['id']}/holds/{hold['id']}/release"))
    shipped = hand_over(admin, fo)  # released by a person: the work proceeds
    assert shipped["status"] == "shipped"
    assert of_kind(order_of(admin, order["id"]), "capture") == []  # nothing authorized, nothing to capture


def test_a_provider_error_at_authorization_holds_the_order(admin: Api, network: Any) -> None:
    order = split_order(admin, ERROR)
    assert order["status"] == "on_hold"
    assert [h["type"] for h in order["holds"]] == ["payment"] and "unavailable" in order["holds"][0]["reason"]


def test_authorizing_again_with_a_new_token_releases_the_payment_hold(admin: Api, network: Any, ledger: Path) -> None:
    order = split_order(admin, DECLINE)
    still_declined = admin.ok(admin.post(f"/orders/{order['id']}/payments/retry"))  # the order's own token again
    assert still_declined["status"] == "on_hold" and [p["status"] for p in still_declined["payments"]] == [
        "failed", "failed"]
    retried = admin.ok(admin.post(f"/orders/{order['id']}/payments/retry", {"token": "tok_ok"}))
    assert retried["status"] == "confirmed"
    assert retried["holds"][0]["released_by"] == "system:payments"
    latest = of_kind(retried, "authorization")[-1]
    assert (latest["status"], latest["amount"]) == ("succeeded", order["totals"]["total"])
    assert retried["payment_summary"]["authorized"] == order["totals"]["total"]
    problem(admin.post(f"/orders/{order['id']}/payments/retry"), 409, "conflict", "order_id")  # nothing left to retry
    hand_over(admin, order["fulfillment_orders"][0]["id"])
    [capture] = of_kind(order_of(admin, order["id"]), "capture")
    assert capture["status"] == "succeeded"
    assert at_provider(ledger, latest["provider_ref"])["captured"] == cents(capture["amount"])


def test_a_lost_capture_answer_is_settled_by_a_retry_with_the_same_key(admin: Api, network: Any,
                                                                       ledger: Path) -> None:
    admin.stock("TEE", "WH-1", 2)
    order = admin.ok(admin.place([("TEE", 2)], payment=FLAKY, **MONEY), 201)
    fo = order["fulfillment_orders"][0]["id"]
    hand_over(admin, fo)  # the provider captured, but its answer was lost
    [capture] = of_kind(order_of(admin, order["id"]), "capture")
    assert capture["status"] == "pending" and "no answer" in capture["error"]
    auth_ref = of_kind(order, "authorization")[0]["provider_ref"]
    assert at_provider(ledger, auth_ref)["captured"] == cents(order["totals"]["total"])  # the money did move

    retried = admin.ok(admin.post(f"/orders/{order['id']}/payments/retry"))
    [settled] = of_kind(retried, "capture")
    assert (settled["id"], settled["status"]) == (capture["id"], "succeeded")
    assert at_provider(ledger, auth_ref)["captured"] == cents(order["totals"]["total"])  # moved once, not twice
    assert provider_keys(ledger, "capture:") == [f"capture:{fo}"]
    assert [e["type"] for e in retried["timeline"]].count("payment.captured") == 1
    assert retried["status"] == "fulfilled" and retried["holds"] == []


def test_a_capture_a_crash_left_pending_is_settled_later_exactly_once(admin: Api, network: Any, om: Ordermesh,
                                                                      ledger: Path, database_url: str) -> None:
    admin.stock("TEE", "WH-1", 2)
    order = admin.ok(admin.place([("TEE", 2)], payment=OK, **MONEY), 201)
    fo = order["fulfillment_orders"][0]["id"]
    for action in ("accept", "pick", "pack"):
        admin.ok(admin.post(f"/fulfillment-orders/{fo}/{action}"))
    # The hand-over commits, then the process dies before asking the provider: no providers to settle with.
    fulfillment.act(om.uow, Principal("staff", Role.ADMIN), FulfillmentStep(fo, "ship", carrier="DHL",
                                                                            tracking_number="JJD1"))
    [pending] = of_kind(order_of(admin, order["id"]), "capture")
    assert pending["status"] == "pending" and provider_keys(ledger, "capture:") == []

    assert payments.settle_pending(om.uow, om.providers, min_age_seconds=60).settled == 0  # too fresh to retry
    settled = CliRunner().invoke(cli, ["payments", "settle"], env={
        "ORDERMESH_DATABASE_URL": database_url, "ORDERMESH_TEST_PROVIDER_LEDGER": str(ledger)})
    assert settled.exit_code == 0 and "settled 1 payment" in settled.output, settled.output
    assert payments.settle_pending(om.uow, om.providers, min_age_seconds=0).settled == 0  # nothing left
    payments.settle(om.uow, om.providers, [pending["id"]])  # and settling again changes nothing
    done = order_of(admin, order["id"])
    assert [(c["id"], c["status"]) for c in of_kind(done, "capture")] == [(pending["id"], "succeeded")]
    auth_ref = of_kind(done, "authorization")[0]["provider_ref"]
    assert at_provider(ledger, auth_ref)["captured"] == cents(order["totals"]["total"])
    assert [e["type"] for e in done["timeline"]].count("payment.captured") == 1


def test_cancelling_the_whole_order_before_any_capture_voids_the_authorization(admin: Api, network: Any,
                                                                                ledger: Path) -> None:
    order = split_order(admin, OK)
    line = order["lines"][0]["id"]
    partly = admin.ok(admin.post(f"/orders/{order['id']}/cancel", {"lines": [{"line_id": line, "quantity": 1}]}))
    assert of_kind(partly, "void") == []  # a partial cancellation only leaves less to capture
    cancelled = admin.ok(admin.post(f"/orders/{order['id']}/cancel", {"reason": "customer asked"}))
    assert cancelled["status"] == "cancelled"
    [void] = of_kind(cancelled, "void")
    assert void["status"] == "succeeded" and cancelled["payment_summary"]["voided"] is True
    assert cancelled["payment_summary"]["authorized"] == "0.00"
    assert at_provider(ledger, of_kind(order, "authorization")[0]["provider_ref"])["voided"] is True
    assert "payment.voided" in [e["type"] for e in cancelled["timeline"]]


def test_a_voided_authorization_cannot_be_captured_and_no_money_moves(admin: Api, network: Any, om: Ordermesh,
                                                                      ledger: Path) -> None:
    order = split_order(admin, OK)
    with om.uow.writing() as conn:  # staff voided the authorization (the customer will pay another way)
        voids = payments.void(conn, orders_db.lock_order(conn, order["id"]) or {}, actor="staff")
    payments.settle(om.uow, om.providers, voids)
    fo = order["fulfillment_orders"][0]["id"]
    for action in ("accept", "pick", "pack"):
        admin.ok(admin.post(f"/fulfillment-orders/{fo}/{action}"))
    before = payment_rows(om)
    problem(admin.post(f"/fulfillment-orders/{fo}/ship", PARCEL), 409, "conflict", "order_id")
    assert payment_rows(om) == before and provider_keys(ledger, "capture:") == []
    assert admin.ok(admin.get(f"/fulfillment-orders/{fo}"))["status"] == "packed"  # nothing was handed over
    admin.ok(admin.post(f"/orders/{order['id']}/payments/retry", {"token": "tok_ok"}))  # authorized again
    assert admin.ok(admin.post(f"/fulfillment-orders/{fo}/ship", PARCEL))["status"] == "shipped"
    assert of_kind(order_of(admin, order["id"]), "capture")[0]["status"] == "succeeded"


def test_refunds_never_exceed_what_was_captured(admin: Api, network: Any, om: Ordermesh, ledger: Path) -> None:
    admin.stock("TEE", "WH-1", 2)
    order = admin.ok(admin.place([("TEE", 2)], payment=OK, **MONEY), 201)
    problem(admin.post(f"/orders/{order['id']}/refunds", {"amount": "1.00"}), 409, "conflict", "amount")  # no capture
    hand_over(admin, order["fulfillment_orders"][0]["id"])
    total = order["totals"]["total"]
    before = payment_rows(om)
    too_much = problem(admin.post(f"/orders/{order['id']}/refunds", {"amount": f"{cents(total) / 100 + 0.01:.2f}"}),
                       422, "validation-error", "amount")
    assert too_much["refundable"] == total
    problem(admin.post(f"/orders/{order['id']}/refunds", {"amount": "0.00"}), 422, "validation-error", "amount")
    assert payment_rows(om) == before  # nothing written

    first = admin.post(f"/orders/{order['id']}/refunds", {"amount": "5.00", "reason": "late"},
                       headers={"Idempotency-Key": "refund-1"})
    refund = admin.ok(first, 201)
    assert (refund["kind"], refund["status"], refund["amount"]) == ("refund", "succeeded", "5.00")
    replay = admin.post(f"/orders/{order['id']}/refunds", {"amount": "5.00", "reason": "late"},
                        headers={"Idempotency-Key": "refund-1"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["id"] == refund["id"]
    problem(admin.post(f"/orders/{order['id']}/refunds", {"amount": "6.00"}, headers={"Idempotency-Key": "refund-1"}),
            422, "idempotency-key-reused")

    rest = f"{(cents(total) - 500) / 100:.2f}"
    admin.ok(admin.post(f"/orders/{order['id']}/refunds", {"amount": rest}), 201)
    problem(admin.post(f"/orders/{order['id']}/refunds", {"amount": "0.01"}), 422, "validation-error", "amount")
    done = order_of(admin, order["id"])
    assert done["payment_summary"] | {"authorized": "-"} == {"authorized": "-", "captured": total,
                                                              "refunded": total, "refundable": "0.00",
                                                              "voided": False}
    assert at_provider(ledger, of_kind(done, "authorization")[0]["provider_ref"])["refunded"] == cents(total)
    refunded = [e for e in done["timeline"] if e["type"] == "payment.refunded"]
    assert [(e["data"]["amount"], e["data"]["currency"], e["data"]["return_id"]) for e in refunded] == [
        ("5.00", "EUR", None), (rest, "EUR", None)]
    assert refunded[0]["data"]["payment_id"] == refund["id"]


def test_a_location_key_may_not_refund(key_for: Any, admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 1)
    order = admin.ok(admin.place([("TEE", 1)], payment=OK), 201)
    store = key_for("location", "WH-1")
    problem(store.post(f"/orders/{order['id']}/refunds", {"amount": "1.00"}), 403, "forbidden")
    other_channel = key_for("channel", "pos")
    problem(other_channel.post(f"/orders/{order['id']}/refunds", {"amount": "1.00"}), 404, "not-found")


def test_lines_added_later_are_captured_and_refunded_across_both_authorizations(admin: Api, network: Any,
                                                                                 ledger: Path) -> None:
    admin.stock("TEE", "WH-1", 2)
    admin.stock("CAP", "STORE-BER", 1)
    order = admin.ok(admin.place([("TEE", 2)], payment=OK), 201)  # 20.00 authorized
    admin.ok(admin.post(f"/orders/{order['id']}/lines", {"lines": [{"sku": "CAP", "quantity": 1,
                                                                    "unit_price": "5.00"}]}))
    changed = order_of(admin, order["id"])
    first, added = of_kind(changed, "authorization")
    assert (first["amount"], added["amount"], changed["totals"]["total"]) == ("20.00", "5.00", "25.00")
    by_location = {fo["location"]: fo["id"] for fo in changed["fulfillment_orders"]}

    hand_over(admin, by_location["STORE-BER"])  # the added cap first: 5.00 on the first authorization
    hand_over(admin, by_location["WH-1"])  # then 20.00: the 15.00 the first has left, 5.00 on the second
    done = order_of(admin, order["id"])
    parts = [(c["amount"], c["status"]) for c in of_kind(done, "capture")]
    assert parts == [("5.00", "succeeded"), ("15.00", "succeeded"), ("5.00", "succeeded")]
    assert at_provider(ledger, first["provider_ref"])["captured"] == 2000
    assert at_provider(ledger, added["provider_ref"])["captured"] == 500
    assert provider_keys(ledger, f"capture:{by_location['WH-1']}") == [f"capture:{by_location['WH-1']}",
                                                                       f"capture:{by_location['WH-1']}:2"]

    refund = admin.ok(admin.post(f"/orders/{order['id']}/refunds", {"amount": "25.00"}), 201)
    assert (refund["status"], refund["amount"], len(refund["payment_ids"])) == ("succeeded", "25.00", 2)
    assert at_provider(ledger, first["provider_ref"])["refunded"] == 2000
    assert at_provider(ledger, added["provider_ref"])["refunded"] == 500
    assert order_of(admin, order["id"])["payment_summary"]["refundable"] == "0.00"


def test_an_order_whose_last_fulfillment_order_is_cancelled_gets_its_authorization_voided(
        admin: Api, network: Any, ledger: Path) -> None:
    admin.stock("TEE", "STORE-BER", 1)
    order = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER", payment=OK), 201)
    admin.ok(admin.post(f"/fulfillment-orders/{order['fulfillment_orders'][0]['id']}/cancel"))

    settled = admin.ok(admin.post(f"/orders/{order['id']}/payments/retry", {}))

    assert settled["status"] == "cancelled"
    assert [(p["kind"], p["status"]) for p in settled["payments"]] == [("authorization", "succeeded"),
                                                                       ("void", "succeeded")]
    assert at_provider(ledger, settled["payments"][0]["provider_ref"])["voided"] is True
