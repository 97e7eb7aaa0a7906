"""API keys: a scoped key sees only its own channel's or location's objects (others 404); a role that
may not do something is refused (403); the pickup code is shown to the channel and admins, never to a store."""

from __future__ import annotations

from typing import Any

import pytest

from ordermesh.bootstrap import Ordermesh
from ordermesh.domain.errors import InvalidInput
from ordermesh.service.api_keys import create_key
from tests.support.checks import event_count, problem, read_feed, row_counts
from tests.support.network import Api


@pytest.fixture
def orders(admin: Api, network: Any) -> dict[str, Any]:
    """A web order shipped from WH-1 and a POS pickup order at STORE-BER."""
    admin.stock("TEE", "WH-1", 10)
    admin.stock("TEE", "STORE-BER", 10)
    admin.stock("CAP", "WH-1", 10)
    web = admin.ok(admin.place([("TEE", 1), ("CAP", 1)], channel="web", address={
        "line1": "Königsplatz 1", "city": "Kassel", "postal_code": "34117", "country": "DE",
        "latitude": 51.3155, "longitude": 9.4969}), 201)
    pos = admin.ok(admin.place([("TEE", 2)], channel="pos", method="pickup", pickup="STORE-BER"), 201)
    assert web["fulfillment_orders"][0]["location"] == "WH-1"
    return {"web": web, "pos": pos}


def test_a_channel_key_sees_only_its_own_channels_orders(key_for: Any, orders: dict[str, Any]) -> None:
    pos = key_for("channel", "pos")
    assert pos.ok(pos.get(f"/orders/{orders['pos']['id']}"))["id"] == orders["pos"]["id"]
    problem(pos.get(f"/orders/{orders['web']['id']}"), 404, "not-found")
    listed = pos.ok(pos.get("/orders"))["items"]
    assert [o["id"] for o in listed] == [orders["pos"]["id"]]
    problem(pos.get("/orders", channel="web"), 404, "not-found", "channel")


def test_a_channel_key_cannot_touch_another_channels_order(key_for: Any, orders: dict[str, Any], admin: Api) -> None:
    pos = key_for("channel", "pos")
    web_order = orders["web"]["id"]
    problem(pos.post(f"/orders/{web_order}/cancel", {}), 404, "not-found")
    problem(pos.post(f"/orders/{web_order}/holds", {"type": "manual", "reason": "fraud?"}), 404, "not-found")
    problem(pos.get(f"/fulfillment-orders/{orders['web']['fulfillment_orders'][0]['id']}"), 404, "not-found")
    assert admin.ok(admin.get(f"/orders/{web_order}"))["status"] == "confirmed"


def test_a_channel_key_cannot_place_an_order_for_another_channel(key_for: Any, orders: dict[str, Any],
                                                                 admin: Api, om: Ordermesh) -> None:
    pos = key_for("channel", "pos")
    before = row_counts(om)
    problem(pos.place([("TEE", 1)], channel="web"), 404, "not-found", "channel")
    problem(pos.post("/reservations", {"channel": "web", "lines": [{"sku": "TEE", "quantity": 1}]}), 404,
            "not-found", "channel")
    problem(pos.get("/availability", channel="web", sku="TEE"), 404, "not-found", "channel")
    assert row_counts(om) == before
    assert admin.position("TEE", "WH-1")["reserved"] == 1


def test_a_channel_key_places_and_cancels_its_own_orders(key_for: Any, orders: dict[str, Any], admin: Api) -> None:
    web = key_for("channel", "web")
    order = web.ok(web.place([("TEE", 1)]), 201)
    assert web.ok(web.post(f"/orders/{order['id']}/cancel", {}))["status"] == "cancelled"
    assert web.ok(web.get("/availability", channel="web", sku="TEE"))["items"][0]["available"] == 17


def test_a_channel_key_cannot_record_movements_or_work_fulfillment(key_for: Any, orders: dict[str, Any],
                                                                   admin: Api, om: Ordermesh) -> None:
    web = key_for("channel", "web")
    before = row_counts(om)
    movement = {"movements": [{"sku": "TEE", "location": "WH-1", "type": "receive", "quantity": 5}]}
    problem(web.post("/inventory/movements", movement), 403, "forbidden")
    problem(web.post(f"/fulfillment-orders/{orders['web']['fulfillment_orders'][0]['id']}/accept"), 403,
            "forbidden")
    problem(web.put("/skus/NEW", {"name": "New"}), 403, "forbidden")
    problem(web.get("/inventory"), 403, "forbidden")
    assert row_counts(om) == before
    assert admin.position("TEE", "WH-1")["on_hand"] == 10


def test_a_location_key_sees_only_its_locations_fulfillment_orders(key_for: Any, orders: dict[str, Any]) -> None:
    warehouse = key_for("location", "WH-1")
    web_fo = orders["web"]["fulfillment_orders"][0]
    pos_fo = orders["pos"]["fulfillment_orders"][0]
    assert [f["id"] for f in warehouse.ok(warehouse.get("/fulfillment-orders"))["items"]] == [web_fo["id"]]
    assert warehouse.ok(warehouse.get(f"/fulfillment-orders/{web_fo['id']}"))["location"] == "WH-1"
    problem(warehouse.get(f"/fulfillment-orders/{pos_fo['id']}"), 404, "not-found")
    problem(warehouse.post(f"/fulfillment-orders/{pos_fo['id']}/accept"), 404, "not-found")
    problem(warehouse.get("/fulfillment-orders", location="STORE-BER"), 404, "not-found", "location")
    problem(warehouse.get(f"/orders/{orders['pos']['id']}"), 404, "not-found")
    assert [o["id"] for o in warehouse.ok(warehouse.get("/orders"))["items"]] == [orders["web"]["id"]]


def test_a_location_key_works_its_own_fulfillment_orders(key_for: Any, orders: dict[str, Any]) -> None:
    store = key_for("location", "STORE-BER")
    fo = orders["pos"]["fulfillment_orders"][0]
    for action in ("accept", "pick", "pack", "ready"):
        fo = store.ok(store.post(f"/fulfillment-orders/{fo['id']}/{action}"))
    assert fo["status"] == "ready_for_pickup"


def test_a_location_key_never_sees_the_pickup_code(key_for: Any, orders: dict[str, Any], admin: Api,
                                                   om: Ordermesh) -> None:
    store = key_for("location", "STORE-BER")
    fo_id = orders["pos"]["fulfillment_orders"][0]["id"]
    seen = [store.ok(store.get(f"/fulfillment-orders/{fo_id}")),
            *store.ok(store.get("/fulfillment-orders"))["items"],
            *store.ok(store.get(f"/orders/{orders['pos']['id']}"))["fulfillment_orders"],
            store.ok(store.post(f"/fulfillment-orders/{fo_id}/accept"))]
    code = admin.ok(admin.get(f"/orders/{orders['pos']['id']}"))["fulfillment_orders"][0]["pickup_code"]
    for view in seen:
        assert view["id"] == fo_id and "pickup_code" not in view
    events = read_feed(store, expect=event_count(om, location="STORE-BER"))
    assert events and not any(_mentions(e["data"], code) for e in events)


def _mentions(value: Any, code: str) -> bool:
    """Whether a pickup code appears anywhere in a JSON value, as a value or under a pickup_code key."""
    if isinstance(value, dict):
        return "pickup_code" in value or any(_mentions(v, code) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, code) for v in value)
    return value == code


def test_the_pickup_code_is_shown_to_admins_and_to_the_orders_channel(key_for: Any, orders: dict[str, Any],
                                                                      admin: Api) -> None:
    pos = key_for("channel", "pos")
    by_admin = admin.ok(admin.get(f"/orders/{orders['pos']['id']}"))["fulfillment_orders"][0]
    by_channel = pos.ok(pos.get(f"/orders/{orders['pos']['id']}"))["fulfillment_orders"][0]
    assert len(by_admin["pickup_code"]) == 6 and by_admin["pickup_code"].isdigit()
    assert by_channel["pickup_code"] == by_admin["pickup_code"] == orders["pos"]["fulfillment_orders"][0][
        "pickup_code"]
    assert "pickup_code" not in orders["web"]["fulfillment_orders"][0]  # a parcel has no pickup code


def test_a_location_key_cannot_act_for_a_channel(key_for: Any, orders: dict[str, Any], om: Ordermesh) -> None:
    store = key_for("location", "STORE-BER")
    before = row_counts(om)
    problem(store.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER"), 403, "forbidden")
    problem(store.post(f"/orders/{orders['pos']['id']}/cancel", {}), 403, "forbidden")
    problem(store.post("/reservations", {"channel": "pos", "lines": [{"sku": "TEE", "quantity": 1}]}), 403,
            "forbidden")
    assert row_counts(om) == before


def test_a_location_key_reads_and_counts_only_its_own_inventory(key_for: Any, orders: dict[str, Any],
                                                                admin: Api) -> None:
    store = key_for("location", "STORE-BER")
    items = store.ok(store.get("/inventory"))["items"]
    assert {(x["sku"], x["location"]) for x in items} == {("TEE", "STORE-BER")}
    problem(store.get("/inventory", location="WH-1"), 404, "not-found")
    count = {"movements": [{"sku": "TEE", "location": "STORE-BER", "type": "count", "quantity": 7}]}
    store.ok(store.post("/inventory/movements", count), 201)
    elsewhere = {"movements": [{"sku": "TEE", "location": "WH-1", "type": "count", "quantity": 0}]}
    problem(store.post("/inventory/movements", elsewhere), 404, "not-found", "movements[0].location")
    assert admin.position("TEE", "STORE-BER")["on_hand"] == 7
    assert admin.position("TEE", "WH-1")["on_hand"] == 10


def test_an_analyst_can_read_everything(key_for: Any, orders: dict[str, Any], om: Ordermesh) -> None:
    analyst = key_for("analyst")
    assert len(analyst.ok(analyst.get("/orders"))["items"]) == 2
    assert analyst.ok(analyst.get(f"/orders/{orders['web']['id']}"))["id"] == orders["web"]["id"]
    assert len(analyst.ok(analyst.get("/fulfillment-orders"))["items"]) == 2
    assert analyst.ok(analyst.get("/inventory"))["items"]
    assert analyst.ok(analyst.get("/availability", channel="web", sku="TEE"))["items"][0]["available"] == 17
    assert read_feed(analyst, expect=event_count(om))
    assert analyst.ok(analyst.get("/locations/WH-1"))["code"] == "WH-1"


def test_an_analyst_may_not_change_anything(key_for: Any, orders: dict[str, Any], admin: Api, om: Ordermesh,
                                            subtests: pytest.Subtests) -> None:
    analyst = key_for("analyst")
    hold = admin.ok(admin.post("/reservations", {"channel": "web", "lines": [{"sku": "CAP", "quantity": 1}]}), 201)
    placed = admin.ok(admin.post(f"/orders/{orders['web']['id']}/holds", {"type": "manual", "reason": "check"}),
                      201)
    order_id, fo_id = orders["web"]["id"], orders["web"]["fulfillment_orders"][0]["id"]
    before = row_counts(om)
    writes = [
        ("PUT", "/locations/WH-2", {"name": "Two", "type": "warehouse", "latitude": 1, "longitude": 1,
                                    "capabilities": ["ship"]}),
        ("PUT", "/channels/web", {"name": "Web", "type": "web", "currency": "EUR"}),
        ("PUT", "/skus/TEE", {"name": "Tee"}),
        ("POST", "/locations/WH-1/deactivate", None),
        ("POST", "/inventory/movements", {"movements": [{"sku": "TEE", "location": "WH-1", "type": "receive",
                                                         "quantity": 1}]}),
        ("POST", "/reservations", {"channel": "web", "lines": [{"sku": "TEE", "quantity": 1}]}),
        ("DELETE", f"/reservations/{hold['id']}", None),
        ("POST", "/orders", None),
        ("POST", f"/orders/{order_id}/cancel", {}),
        ("POST", f"/orders/{order_id}/holds", {"type": "manual", "reason": "mine"}),
        ("POST", f"/orders/{order_id}/holds/{placed['holds'][0]['id']}/release", None),
        ("POST", f"/fulfillment-orders/{fo_id}/accept", None),
        ("POST", f"/fulfillment-orders/{fo_id}/cancel", None),
    ]
    for method, path, body in writes:
        with subtests.test(method=method, path=path):
            if path == "/orders":
                response = analyst.place([("TEE", 1)])
            elif method == "PUT":
                response = analyst.put(path, body)
            elif method == "DELETE":
                response = analyst.delete(path)
            else:
                response = analyst.post(path, body)
            problem(response, 403, "forbidden")
    assert row_counts(om) == before
    assert admin.ok(admin.get(f"/reservations/{hold['id']}"))["status"] == "active"


def test_a_scoped_key_needs_a_scope_that_exists(om: Ordermesh, network: Any) -> None:
    for role, scope in (("channel", None), ("location", None), ("channel", "nope"), ("location", "WH-9"),
                        ("admin", "web"), ("root", None)):
        with pytest.raises(InvalidInput):
            create_key(om.uow, role, scope)


def test_a_store_key_never_gets_the_tracking_link_which_shows_the_pickup_code(admin: Api, network: Any,
                                                                               key_for: Any) -> None:
    admin.stock("TEE", "STORE-BER", 1)
    order = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)
    store = key_for("location", "STORE-BER")
    assert order["tracking_url"] is not None
    assert store.ok(store.get(f"/orders/{order['id']}"))["tracking_url"] is None


def test_only_an_admin_releases_a_hold_the_payment_provider_placed(admin: Api, network: Any, key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 1)
    web = key_for("channel", "web")
    order = web.ok(web.place([("TEE", 1)], payment={"provider": "test", "token": "tok_decline"}), 201)
    [hold] = order["holds"]
    assert web.post(f"/orders/{order['id']}/holds/{hold['id']}/release").status_code == 403
    released = admin.ok(admin.post(f"/orders/{order['id']}/holds/{hold['id']}/release"))
    assert released["holds"][0]["released_by"] is not None


def test_a_location_that_takes_no_returns_sees_no_returns(admin: Api, network: Any, key_for: Any) -> None:
    munich = key_for("location", "STORE-MUC")  # pickup only: no returns capability
    assert munich.get("/returns").status_code == 403
