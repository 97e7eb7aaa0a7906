"""The event feed: paged by cursor without gaps or duplicates; a scoped key sees only its own events."""

from __future__ import annotations

import time
from typing import Any

from ordermesh.bootstrap import Ordermesh
from tests.support.checks import event_count, problem, read_feed
from tests.support.network import Api


def busy_day(admin: Api) -> dict[str, Any]:
    """Stock, a web parcel (accepted), a POS pickup at Berlin, a cancelled web order: a couple of dozen events."""
    admin.stock("TEE", "WH-1", 10)
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("CAP", "STORE-HAM", 5)
    web = admin.ok(admin.place([("TEE", 1)], address={"line1": "x", "city": "Kassel", "postal_code": "34117",
                                                      "country": "DE", "latitude": 51.31, "longitude": 9.48}), 201)
    admin.ok(admin.post(f"/fulfillment-orders/{web['fulfillment_orders'][0]['id']}/accept"))
    pos = admin.ok(admin.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER"), 201)
    gone = admin.ok(admin.place([("CAP", 1)]), 201)
    admin.ok(admin.post(f"/orders/{gone['id']}/cancel", {}))
    return {"web": web, "pos": pos, "cancelled": gone}


def test_paging_two_at_a_time_sees_every_event_once_in_order(admin: Api, network: Any, om: Ordermesh) -> None:
    busy_day(admin)
    everything = read_feed(admin, expect=event_count(om))
    paged, cursor, pages = [], None, 0
    while True:
        page = admin.ok(admin.get("/events", limit=2, **({"after": cursor} if cursor else {})))
        assert len(page["items"]) <= 2
        if not page["items"]:
            assert page["next_cursor"] == cursor  # an empty page keeps the place
            break
        paged += page["items"]
        cursor, pages = page["next_cursor"], pages + 1
    assert pages == (len(everything) + 1) // 2
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    assert len({e["id"] for e in paged}) == len(paged) > 20
    assert all(e["type"] and e["occurred_at"] and isinstance(e["data"], dict) for e in paged)


def test_a_consumer_resumes_from_its_cursor_and_sees_only_what_is_new(admin: Api, network: Any,
                                                                      om: Ordermesh) -> None:
    busy_day(admin)
    seen = read_feed(admin, expect=event_count(om))
    cursor = admin.ok(admin.get("/events", limit=500))["next_cursor"]
    assert admin.ok(admin.get("/events", after=cursor))["items"] == []
    admin.stock("MUG", "WH-1", 3)
    order = admin.ok(admin.place([("MUG", 1)]), 201)
    new: list[dict[str, Any]] = []
    for _ in range(200):  # PostgreSQL shows an event once every older transaction in the cluster has ended
        new = admin.ok(admin.get("/events", after=cursor))["items"]
        if len(new) >= 4:
            break
        time.sleep(0.02)
    assert [e["type"] for e in new] == ["inventory.moved", "order.created", "inventory.reserved",
                                        "fulfillment_order.created"]
    assert new[1]["data"]["order_id"] == order["id"]
    assert not {e["id"] for e in new} & {e["id"] for e in seen}


def test_the_feed_can_be_filtered_by_type(admin: Api, network: Any, om: Ordermesh) -> None:
    busy_day(admin)
    read_feed(admin, expect=event_count(om))
    created = admin.ok(admin.get("/events", type="order.created"))["items"]
    assert len(created) == 3 and {e["type"] for e in created} == {"order.created"}


def test_a_channel_key_sees_only_its_channels_events(admin: Api, network: Any, om: Ordermesh,
                                                     key_for: Any) -> None:
    orders = busy_day(admin)
    pos = key_for("channel", "pos")
    events = read_feed(pos, expect=event_count(om, channel="pos"))
    assert events
    order_ids = {e["data"].get("order_id") for e in events} - {None}
    assert order_ids == {orders["pos"]["id"]}
    web_ids = {orders["web"]["id"], orders["cancelled"]["id"]}
    assert not any(orders_id in str(e["data"]) for e in events for orders_id in web_ids)
    assert "inventory.moved" not in {e["type"] for e in events}  # stock counts belong to locations


def test_a_location_key_sees_only_its_locations_events(admin: Api, network: Any, om: Ordermesh,
                                                       key_for: Any) -> None:
    busy_day(admin)
    store = key_for("location", "STORE-HAM")
    events = read_feed(store, expect=event_count(om, location="STORE-HAM"))
    assert {e["data"]["location"] for e in events if "location" in e["data"]} == {"STORE-HAM"}
    at_hamburg = {fo["id"] for fo in admin.ok(admin.get("/fulfillment-orders", location="STORE-HAM"))["items"]}
    mentioned = {e["data"]["fulfillment_order_id"] for e in events if "fulfillment_order_id" in e["data"]}
    assert mentioned == at_hamburg and at_hamburg
    warehouse = key_for("location", "WH-1")
    wh_events = read_feed(warehouse, expect=event_count(om, location="WH-1"))
    assert {e["type"] for e in wh_events} >= {"inventory.moved", "fulfillment_order.created",
                                              "fulfillment_order.accepted"}
    assert all(e["data"].get("location", "WH-1") == "WH-1" for e in wh_events)
    assert not {e["id"] for e in events} & {e["id"] for e in wh_events}


def test_the_feed_needs_a_key_and_a_real_cursor(admin: Api, network: Any) -> None:
    response = admin.client.get("/api/v1/events")
    problem(response, 401, "unauthorized")
    problem(admin.get("/events", after="1.x"), 422, "validation-error", "after")
