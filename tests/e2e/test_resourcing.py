"""Re-sourcing over the API on SQLite and PostgreSQL: each reject reason with its inventory effect (positions
and ledger), short picks that move only the missing units, and the acceptance-SLA sweeper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from typer.testing import CliRunner

from ordermesh.adapters.db.sql import utcnow
from ordermesh.bootstrap import Ordermesh
from ordermesh.entrypoints.cli.main import app as cli
from ordermesh.service.fulfillment_sweep import SweepReport, sweep
from tests.support.checks import assert_ledger_agrees, problem
from tests.support.network import Api
from tests.support.store import capacity_today, fos_at, ledger, order_of, parse, set_accept_by, step, walk


def _position(api: Api, sku: str, location: str) -> tuple[int, int, int]:
    p = api.position(sku, location)
    return p["on_hand"], p["reserved"], p["available"]


def _history(order: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(h["trigger"], h["chosen"]) for h in order["sourcing"]["history"]]


def test_not_found_counts_the_sku_out_and_re_sources_the_stores_other_unpicked_orders(
        admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 10)
    admin.stock("CAP", "STORE-BER", 5)
    admin.stock("TEE", "WH-1", 20)
    rejected = admin.ok(admin.place([("TEE", 2)]), 201)
    waiting = admin.ok(admin.place([("TEE", 1), ("CAP", 1)]), 201)  # open at the store: TEE moves, CAP stays
    accepted = admin.ok(admin.place([("TEE", 3)]), 201)  # accepted, not yet picked: moves too
    picked = admin.ok(admin.place([("TEE", 1)]), 201)  # its picker found the unit: stays
    for o in (rejected, waiting, accepted, picked):
        assert [fo["location"] for fo in o["fulfillment_orders"]] == ["STORE-BER"]
    walk(admin, accepted["fulfillment_orders"][0]["id"], "accept")
    walk(admin, picked["fulfillment_orders"][0]["id"], "accept", "pick")
    assert _position(admin, "TEE", "STORE-BER") == (10, 7, 3)

    rejected_fo = step(admin, rejected["fulfillment_orders"][0]["id"], "reject", {"reason": "not_found"})
    assert rejected_fo["status"] == "rejected" and rejected_fo["details"]["reject_reason"] == "not_found"
    # The shelf is empty but for the unit already picked; nothing of it is offered there any more.
    assert _position(admin, "TEE", "STORE-BER") == (1, 1, 0)
    assert _position(admin, "CAP", "STORE-BER") == (5, 1, 4)
    assert _position(admin, "TEE", "WH-1") == (20, 6, 14)
    counts = [row for row in ledger(om, "TEE", "STORE-BER") if row[0] == "count" and row[3] == "not_found"]
    assert sum(row[1] for row in counts) == -9 and all(row[2] == 0 for row in counts)
    for o, units in ((rejected, 2), (accepted, 3)):
        after = order_of(admin, o["id"])
        assert [(fo["location"], fo["status"]) for fo in after["fulfillment_orders"]] == [
            ("STORE-BER", "rejected"), ("WH-1", "open")]
        assert fos_at(after, "WH-1")[0]["lines"][0]["quantity"] == units
        assert _history(after) == [("placed", ["STORE-BER"]), ("rejected:not_found", ["WH-1"])]
    split = order_of(admin, waiting["id"])
    at_store, at_warehouse = fos_at(split, "STORE-BER")[0], fos_at(split, "WH-1")[0]
    assert at_store["status"] == "open" and [x["sku"] for x in at_store["lines"]] == ["CAP"]
    assert at_store["details"]["not_found"]["because"] == rejected_fo["id"]
    assert [(x["sku"], x["quantity"]) for x in at_warehouse["lines"]] == [("TEE", 1)]
    assert _history(split)[-1] == ("rejected:not_found", ["WH-1"])
    assert order_of(admin, picked["id"])["fulfillment_orders"][0]["status"] == "picking"
    assert_ledger_agrees(om)


def test_not_found_for_named_skus_leaves_the_others_counted(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 4)
    admin.stock("MUG", "STORE-BER", 4)
    admin.stock("TEE", "WH-1", 4)
    admin.stock("MUG", "WH-1", 4)
    order = admin.ok(admin.place([("TEE", 1), ("MUG", 1)]), 201)
    step(admin, order["fulfillment_orders"][0]["id"], "reject", {"reason": "not_found", "skus": ["TEE"]})
    assert _position(admin, "TEE", "STORE-BER") == (0, 0, 0)
    assert _position(admin, "MUG", "STORE-BER") == (4, 0, 4)  # found, so still on sale there
    moved = order_of(admin, order["id"])
    assert sorted((x["sku"], x["quantity"]) for x in fos_at(moved, "WH-1")[0]["lines"]) == [("MUG", 1), ("TEE", 1)]
    assert_ledger_agrees(om)


def test_damaged_units_leave_on_hand_and_the_order_goes_elsewhere(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 2)]), 201)
    fo = walk(admin, order["fulfillment_orders"][0]["id"], "accept", "pick")
    assert step(admin, fo["id"], "reject", {"reason": "damaged"})["details"]["reject_reason"] == "damaged"
    assert _position(admin, "TEE", "STORE-BER") == (3, 0, 3)
    assert ledger(om, "TEE", "STORE-BER")[-2:] == [("release", 0, -2, "rejected:damaged"),
                                                   ("adjust", -2, 0, "damaged")]
    after = order_of(admin, order["id"])
    assert _history(after) == [("placed", ["STORE-BER"]), ("rejected:damaged", ["WH-1"])]
    assert after["sourcing"]["replaces"] == fo["id"]
    assert _position(admin, "TEE", "WH-1") == (5, 2, 3)
    assert_ledger_agrees(om)


def test_no_capacity_closes_the_store_for_the_day_and_later_orders_go_elsewhere(
        admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 6)
    admin.stock("TEE", "STORE-HAM", 6)
    order = admin.ok(admin.place([("TEE", 2)]), 201)
    assert capacity_today(om, "STORE-BER", "ship") == (1, False)
    step(admin, order["fulfillment_orders"][0]["id"], "reject", {"reason": "no_capacity"})
    assert capacity_today(om, "STORE-BER", "ship") == (0, True)  # its unit given back, and closed
    assert capacity_today(om, "STORE-HAM", "ship") == (1, False)  # the re-sourced work was booked there
    assert _history(order_of(admin, order["id"]))[-1] == ("rejected:no_capacity", ["STORE-HAM"])
    assert _position(admin, "TEE", "STORE-BER") == (6, 0, 6)  # stock untouched
    later = admin.ok(admin.place([("TEE", 1)]), 201)
    assert [fo["location"] for fo in later["fulfillment_orders"]] == ["STORE-HAM"]
    pickup = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)  # pickup is still open
    assert [fo["location"] for fo in pickup["fulfillment_orders"]] == ["STORE-BER"]


def test_a_cancelled_fulfillment_order_gives_its_capacity_back(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.ok(admin.put("/locations/STORE-BER", {"name": "Berlin", "type": "store", "latitude": 52.52,
                                                "longitude": 13.405, "capabilities": ["ship", "pickup"],
                                                "daily_capacity": {"ship": 1}}))
    admin.stock("TEE", "STORE-BER", 6)
    admin.stock("TEE", "WH-1", 6)
    first = admin.ok(admin.place([("TEE", 1)]), 201)
    assert fos_at(first, "STORE-BER") and capacity_today(om, "STORE-BER", "ship") == (1, False)
    assert [fo["location"] for fo in admin.ok(admin.place([("TEE", 1)]), 201)["fulfillment_orders"]] == ["WH-1"]
    step(admin, first["fulfillment_orders"][0]["id"], "cancel")
    assert capacity_today(om, "STORE-BER", "ship") == (0, False)
    assert [fo["location"] for fo in admin.ok(admin.place([("TEE", 1)]), 201)["fulfillment_orders"]] == ["STORE-BER"]


def test_a_short_pick_re_sources_only_the_missing_units(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("CAP", "STORE-BER", 2)
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 3), ("CAP", 1)]), 201)
    tee, cap = (x["id"] for x in order["lines"])
    fo_id = order["fulfillment_orders"][0]["id"]
    step(admin, fo_id, "accept")
    picking = step(admin, fo_id, "pick", {"lines": [{"line_id": tee, "quantity_found": 1},
                                                    {"line_id": cap, "quantity_found": 1}]})
    assert picking["status"] == "picking"
    assert sorted((x["sku"], x["quantity"]) for x in picking["lines"]) == [("CAP", 1), ("TEE", 1)]
    assert picking["details"]["short_picked"] == [{"order_line_id": tee, "sku": "TEE", "missing": 2}]
    # The two missing units are released and written off; the found one stays reserved.
    assert _position(admin, "TEE", "STORE-BER") == (3, 1, 2)
    assert ledger(om, "TEE", "STORE-BER")[-2:] == [("release", 0, -2, "short_pick"), ("adjust", -2, 0, "short pick")]
    after = order_of(admin, order["id"])
    assert [(x["sku"], x["quantity"]) for x in fos_at(after, "WH-1")[0]["lines"]] == [("TEE", 2)]
    assert _history(after) == [("placed", ["STORE-BER"]), ("short_pick", ["WH-1"])]
    assert _position(admin, "TEE", "WH-1") == (5, 2, 3)
    walk(admin, fo_id, "pack", "ship")
    shipped = order_of(admin, order["id"])
    assert shipped["status"] == "partially_fulfilled"
    assert [(x["fulfilled_quantity"], x["open_quantity"]) for x in shipped["lines"]] == [(1, 2), (1, 0)]
    assert_ledger_agrees(om)


def test_giving_work_back_takes_units_from_that_location_only(admin: Api, network: Any, om: Ordermesh) -> None:
    """One order line split over two locations: the rejecting store's units are withdrawn, not the other's."""
    admin.stock("TEE", "STORE-BER", 3)
    admin.stock("TEE", "WH-1", 1)
    order = admin.ok(admin.place([("TEE", 4)]), 201)
    berlin, kassel = fos_at(order, "STORE-BER")[0], fos_at(order, "WH-1")[0]
    walk(admin, berlin["id"], "accept")  # further along than the warehouse's open one
    step(admin, berlin["id"], "reject", {"reason": "other"})
    after = order_of(admin, order["id"])
    assert fos_at(after, "WH-1")[0]["status"] == "open" and fos_at(after, "WH-1")[0]["lines"][0]["quantity"] == 1
    assert _position(admin, "TEE", "WH-1") == (1, 1, 0)
    assert _position(admin, "TEE", "STORE-BER") == (3, 0, 3)
    assert [(x["cancelled_quantity"], x["open_quantity"]) for x in after["lines"]] == [(3, 1)]  # nowhere else
    assert kassel["id"] in {fo["id"] for fo in after["fulfillment_orders"]}
    assert_ledger_agrees(om)


def test_the_sla_sweeper_re_sources_work_not_accepted_in_time(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 9)
    admin.stock("TEE", "WH-1", 9)
    late = admin.ok(admin.place([("TEE", 2)]), 201)
    accepted = admin.ok(admin.place([("TEE", 1)]), 201)
    held = admin.ok(admin.place([("TEE", 1)]), 201)
    pickup = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)
    walk(admin, accepted["fulfillment_orders"][0]["id"], "accept")
    admin.ok(admin.post(f"/orders/{held['id']}/holds", {"reason": "address check"}), 201)
    deadline = parse(late["fulfillment_orders"][0]["accept_by"])
    assert sweep(om.uow, om.fulfillment_policy, now=deadline - timedelta(minutes=1)) == SweepReport(0, 0)
    # As if they had been placed over two hours ago: the deadlines pass, and the sweep runs now.
    for o in (late, accepted, held):
        set_accept_by(om, o["fulfillment_orders"][0]["id"], utcnow() - timedelta(minutes=1))
    assert sweep(om.uow, om.fulfillment_policy) == SweepReport(1, 0)
    after = order_of(admin, late["id"])
    gave_up, moved = after["fulfillment_orders"]
    assert (gave_up["status"], gave_up["details"]["reject_reason"]) == ("rejected", "sla_expired")
    assert (moved["location"], moved["status"]) == ("WH-1", "open")
    assert parse(moved["accept_by"]) > utcnow()  # the new location gets its own full window
    assert _history(after) == [("placed", ["STORE-BER"]), ("sla_expired", ["WH-1"])]
    assert _position(admin, "TEE", "WH-1") == (9, 2, 7)
    for untouched in (accepted, held, pickup):
        assert len(order_of(admin, untouched["id"])["fulfillment_orders"]) == 1
    assert sweep(om.uow, om.fulfillment_policy) == SweepReport(0, 0)
    assert_ledger_agrees(om)


def test_ordermesh_fulfillment_sweep_runs_the_sweeper(admin: Api, network: Any, om: Ordermesh,
                                                     database_url: str) -> None:
    admin.stock("TEE", "STORE-BER", 3)
    admin.stock("TEE", "WH-1", 3)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    set_accept_by(om, order["fulfillment_orders"][0]["id"], utcnow() - timedelta(minutes=1))
    result = CliRunner().invoke(cli, ["fulfillment", "sweep"], env={"ORDERMESH_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert "re-sourced 1 unaccepted" in result.output
    assert [fo["location"] for fo in fos_at(order_of(admin, order["id"]), "WH-1")] == ["WH-1"]


def test_a_rejected_pickup_cannot_move_and_is_cancelled(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 2)
    admin.stock("TEE", "STORE-HAM", 9)
    order = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)
    step(admin, order["fulfillment_orders"][0]["id"], "reject", {"reason": "damaged"})
    after = order_of(admin, order["id"])
    assert after["status"] == "cancelled" and len(after["fulfillment_orders"]) == 1
    assert _position(admin, "TEE", "STORE-BER") == (1, 0, 1)  # the damaged unit is off hand
    assert _position(admin, "TEE", "STORE-HAM") == (9, 0, 9)
    problem(admin.post(f"/fulfillment-orders/{order['fulfillment_orders'][0]['id']}/accept"), 409,
            "illegal-transition")
    assert_ledger_agrees(om)
