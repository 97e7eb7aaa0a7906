"""Sourcing profiles over the API: saved as versions, validated naming the field, activated, assigned to a
channel, and used for that channel's orders (with the profile version on the decision); daily capacity
is booked by orders and a full location is skipped."""

from __future__ import annotations

from typing import Any

from tests.support.checks import problem
from tests.support.network import BERLIN, Api

PRIORITY = {"strategies": [{"type": "priority"}]}
MIN_COST = {"strategies": [{"type": "min_cost", "max_splits": 2}], "fallback": {"type": "fewest_splits"}}


def _channel_with(admin: Api, profile: str | None) -> None:
    body: dict[str, Any] = {"name": "Web", "type": "web", "currency": "EUR"}
    if profile:
        body["sourcing_profile"] = profile
    admin.ok(admin.put("/channels/web", body))


def _location(admin: Api, code: str, kind: str, lat: float, lon: float, **extra: Any) -> None:
    admin.ok(admin.put(f"/locations/{code}", {"name": code, "type": kind, "latitude": lat, "longitude": lon,
                                              "capabilities": ["ship"], "country": "DE", **extra}))


def test_each_save_is_a_new_version_and_only_one_is_active(admin: Api, network: Any) -> None:
    first = admin.ok(admin.put("/sourcing-profiles/web-routing", PRIORITY), 201)
    assert (first["version"], first["status"]) == (1, "active")
    draft = admin.ok(admin.put("/sourcing-profiles/web-routing", {**MIN_COST, "activate": False, "note": "try"}), 201)
    assert (draft["version"], draft["status"]) == (2, "draft")
    assert admin.ok(admin.get("/sourcing-profiles/web-routing"))["version"] == 1  # still the active one

    activated = admin.ok(admin.post("/sourcing-profiles/web-routing/versions/2/activate", {}))
    assert activated["status"] == "active"
    history = {h["version"]: h["status"] for h in activated["history"]}
    assert history == {1: "retired", 2: "active"}
    old = admin.ok(admin.get("/sourcing-profiles/web-routing", version=1))
    assert old["document"]["strategies"][0]["type"] == "priority"  # kept as saved, normalised


def test_an_invalid_profile_is_refused_naming_the_field_and_nothing_is_saved(admin: Api, network: Any) -> None:
    bad_type = admin.put("/sourcing-profiles/p", {"strategies": [{"type": "cheapest"}]})
    assert problem(bad_type, 422, "validation-error")["field"] == "strategies[0].type"
    bad_weight = admin.put("/sourcing-profiles/p", {"strategies": [
        {"type": "fewest_splits"}, {"type": "nearest", "criteria": {"weights": {"distance": -1}}}]})
    assert problem(bad_weight, 422, "validation-error")["field"] == "strategies[1].criteria.weights.distance"
    unknown = admin.put("/sourcing-profiles/p", {"strategies": [{"type": "nearest", "speed": "fast"}]})
    assert "strategies[0]" in problem(unknown, 422, "validation-error")["field"]
    problem(admin.get("/sourcing-profiles/p"), 404, "not-found")


def test_a_channel_can_only_use_a_profile_that_has_an_active_version(admin: Api, network: Any) -> None:
    refused = admin.put("/channels/web", {"name": "Web", "type": "web", "currency": "EUR", "sourcing_profile": "nope"})
    assert problem(refused, 422, "validation-error")["field"] == "sourcing_profile"
    admin.ok(admin.put("/sourcing-profiles/draft-only", {**PRIORITY, "activate": False}), 201)
    refused = admin.put("/channels/web", {"name": "Web", "type": "web", "currency": "EUR",
                                          "sourcing_profile": "draft-only"})
    problem(refused, 422, "validation-error")


def test_only_admins_change_profiles(admin: Api, network: Any, key_for: Any) -> None:
    channel_key: Api = key_for("channel", "web")
    problem(channel_key.put("/sourcing-profiles/p", PRIORITY), 403, "forbidden")
    analyst: Api = key_for("analyst")
    admin.ok(admin.put("/sourcing-profiles/p", PRIORITY), 201)
    assert analyst.ok(analyst.get("/sourcing-profiles"))["items"][0]["code"] == "p"


def test_orders_follow_the_channel_profile_and_record_its_version(admin: Api, network: Any) -> None:
    # Berlin is nearest to the customer; the priority profile prefers the warehouse all the same.
    _location(admin, "WH-1", "warehouse", 51.3127, 9.4797, priority=1)
    _location(admin, "STORE-BER", "store", 52.5200, 13.4050, priority=50)
    admin.stock("TEE", "WH-1", 5)
    admin.stock("TEE", "STORE-BER", 5)
    nearest_first = admin.ok(admin.place([("TEE", 1)], address=BERLIN), 201)
    assert nearest_first["fulfillment_orders"][0]["location"] == "STORE-BER"

    admin.ok(admin.put("/sourcing-profiles/warehouse-first", PRIORITY), 201)
    _channel_with(admin, "warehouse-first")
    order = admin.ok(admin.place([("TEE", 1)], address=BERLIN), 201)
    assert order["fulfillment_orders"][0]["location"] == "WH-1"
    sourcing = admin.ok(admin.get(f"/orders/{order['id']}"))["sourcing"]
    assert (sourcing["profile"], sourcing["profile_version"], sourcing["strategy_type"]) == (
        "warehouse-first", 1, "priority")
    scored = {c["location"]: c["scores"] for c in sourcing["candidates"]}
    assert scored["WH-1"]["priority"] > scored["STORE-BER"]["priority"]


def test_min_cost_ships_from_the_cheaper_location_and_explains_the_cost(admin: Api, network: Any) -> None:
    # A store 10 km away against a warehouse 300 km away: with these rates the warehouse parcel is cheaper.
    rates = {"split_penalty_minor": 300, "by_type": {
        "store": {"per_parcel_minor": 900, "per_kg_minor": 100, "per_km_minor": 0.5, "handling_minor": 600},
        "warehouse": {"per_parcel_minor": 300, "per_kg_minor": 50, "per_km_minor": 0.5, "handling_minor": 100}}}
    admin.ok(admin.put("/sourcing-profiles/cheapest", {"strategies": [{"type": "min_cost", "rates": rates}]}), 201)
    _channel_with(admin, "cheapest")
    admin.stock("TEE", "WH-1", 5)
    admin.stock("TEE", "STORE-BER", 5)
    order = admin.ok(admin.place([("TEE", 2)], address=BERLIN), 201)
    assert [fo["location"] for fo in order["fulfillment_orders"]] == ["WH-1"]
    sourcing = admin.ok(admin.get(f"/orders/{order['id']}"))["sourcing"]
    cost = sourcing["cost"]
    assert cost["total"] == sum(s["total"] for s in cost["shipments"]) + cost["split_penalty"]
    assert sourcing["optimisation"]["method"] in ("milp", "heuristic") or sourcing["optimisation"]["method"].startswith(
        "greedy")
    assert sourcing["optimisation"]["cost"] <= sourcing["optimisation"]["greedy_best"]["cost"]


def test_a_location_whose_daily_capacity_is_used_up_is_skipped(admin: Api, network: Any) -> None:
    _location(admin, "STORE-BER", "store", 52.5200, 13.4050, daily_capacity={"ship": 1})
    admin.stock("TEE", "STORE-BER", 10)
    admin.stock("TEE", "STORE-HAM", 10)
    first = admin.ok(admin.place([("TEE", 1)], address=BERLIN), 201)
    assert first["fulfillment_orders"][0]["location"] == "STORE-BER"
    second = admin.ok(admin.place([("TEE", 1)], address=BERLIN), 201)
    assert second["fulfillment_orders"][0]["location"] == "STORE-HAM"
    sourcing = admin.ok(admin.get(f"/orders/{second['id']}"))["sourcing"]
    berlin = next(c for c in sourcing["candidates"] if c["location"] == "STORE-BER")
    assert "capacity" in berlin["excluded"]


def test_with_every_capable_location_full_the_refusal_says_no_capacity(admin: Api, network: Any) -> None:
    for code, lat, lon in (("STORE-BER", 52.52, 13.405), ("STORE-HAM", 53.5511, 9.9937), ("WH-1", 51.3127, 9.4797)):
        _location(admin, code, "store", lat, lon, daily_capacity={"ship": 0})
    admin.stock("TEE", "STORE-BER", 10)
    refused = admin.place([("TEE", 1)], address=BERLIN)
    body = problem(refused, 409, "insufficient-stock")
    assert body["reasons"] == {"TEE": "no capacity"}
    assert admin.position("TEE", "STORE-BER")["reserved"] == 0


def test_a_store_switched_off_for_the_day_is_skipped_until_it_is_switched_on(admin: Api, network: Any,
                                                                              key_for: Any) -> None:
    _location(admin, "STORE-BER", "store", 52.5200, 13.4050, daily_capacity={"ship": 3})
    admin.stock("TEE", "STORE-BER", 10)
    admin.stock("TEE", "STORE-HAM", 10)
    berlin: Api = key_for("location", "STORE-BER")
    closed = berlin.ok(berlin.post("/locations/STORE-BER/capacity/ship/close", {}))
    assert closed["methods"] == [{"method": "ship", "limit": 3, "used": 0, "closed": True, "left": 0}]
    problem(berlin.post("/locations/STORE-HAM/capacity/ship/close", {}), 404, "not-found")  # not its store

    elsewhere = admin.ok(admin.place([("TEE", 1)], address=BERLIN), 201)
    assert elsewhere["fulfillment_orders"][0]["location"] == "STORE-HAM"
    berlin.ok(berlin.post("/locations/STORE-BER/capacity/ship/open", {}))
    back = admin.ok(admin.place([("TEE", 1)], address=BERLIN), 201)
    assert back["fulfillment_orders"][0]["location"] == "STORE-BER"
    today = admin.ok(admin.get("/locations/STORE-BER/capacity"))["methods"][0]
    assert (today["used"], today["left"], today["closed"]) == (1, 2, False)
