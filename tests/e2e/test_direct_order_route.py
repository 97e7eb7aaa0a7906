"""POST /orders has a direct route for the hot path (no FastAPI dependency solving); it must answer every
request exactly as the documented route does, and leave the unusual requests to that route."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.entrypoints.api.routers.orders import DirectOrderRoute
from tests.e2e.test_bad_input import order_body
from tests.support.network import Api

DIRECT = "application/json"  # what the direct route takes
DOCUMENTED = "application/vnd.ordermesh+json"  # JSON to FastAPI too, but not taken by the direct route


def _post(client: TestClient, content_type: str, body: Any, *, key: str | None, idempotency: str | None = None,
          raw: bytes | None = None) -> Any:
    headers = {"Content-Type": content_type}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if idempotency is not None:
        headers["Idempotency-Key"] = idempotency
    return client.post("/api/v1/orders", content=raw if raw is not None else json.dumps(body), headers=headers)


def _answer(response: Any) -> tuple[int, Any]:
    """What a client sees, without what differs between two orders (ids, tokens, times)."""
    body = response.json()
    if response.status_code == 201:
        return 201, (body["status"], body["totals"], [line["sku"] for line in body["lines"]],
                     response.headers.get("Idempotent-Replayed"))
    return response.status_code, {k: v for k, v in body.items() if k != "instance"}


def test_the_direct_route_answers_as_the_documented_route(admin: Api, network: Any, client: TestClient,
                                                         subtests: pytest.Subtests) -> None:
    admin.stock("TEE", "WH-1", 50)
    key = admin.key
    cases: dict[str, tuple[Any, dict[str, Any]]] = {
        "a good order": (order_body(), {"key": key}),
        "a zero quantity": (order_body([{"sku": "TEE", "quantity": 0, "unit_price": "10.00"}]), {"key": key}),
        "an unknown field": (order_body(colour="red"), {"key": key}),
        "an unknown SKU": (order_body([{"sku": "NOPE", "quantity": 1, "unit_price": "10.00"}]), {"key": key}),
        "not an object": ([1, 2], {"key": key}),
        "malformed JSON": (None, {"key": key, "raw": b'{"channel": "web", "lines": ['}),
        "malformed JSON, no key": (None, {"key": None, "raw": b'{"channel": '}),
        "bad fields, no key": (order_body(currency="euro"), {"key": None}),
        "a good order, no key": (order_body(), {"key": None}),
        "a wrong key": (order_body(), {"key": "om_not_a_key"}),
        "an empty Idempotency-Key": (order_body(), {"key": key, "idempotency": ""}),
    }
    for n, (name, (body, options)) in enumerate(cases.items()):
        with subtests.test(case=name):
            answers = []
            for route, content_type in (("direct", DIRECT), ("documented", DOCUMENTED)):
                sent = {**body, "external_id": f"{route}-{n}"} if isinstance(body, dict) else body
                answers.append(_answer(_post(client, content_type, sent, **options)))
            assert answers[0] == answers[1]


def test_a_replay_is_marked_on_both_routes(admin: Api, network: Any, client: TestClient) -> None:
    admin.stock("TEE", "WH-1", 5)
    for route, content_type in (("direct", DIRECT), ("documented", DOCUMENTED)):
        body = order_body(external_id=f"replay-{route}")
        first = _post(client, content_type, body, key=admin.key, idempotency=f"k-{route}")
        again = _post(client, content_type, body, key=admin.key, idempotency=f"k-{route}")
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()


def _scope(headers: dict[str, str], method: str = "POST", path: str = "/api/v1/orders") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


def test_the_direct_route_takes_only_plain_json_posts_of_orders() -> None:
    route = DirectOrderRoute()
    plain = {"Content-Type": "application/json", "Content-Length": "120"}
    taken = {
        "plain JSON": (plain, True),
        "JSON with a charset": ({**plain, "Content-Type": "Application/JSON; charset=utf-8"}, True),
        "another JSON type": ({**plain, "Content-Type": DOCUMENTED}, False),
        "form data": ({**plain, "Content-Type": "application/x-www-form-urlencoded"}, False),
        "no content type": ({"Content-Length": "120"}, False),
        "an empty body": ({**plain, "Content-Length": "0"}, False),
        "chunked (no length)": ({"Content-Type": "application/json"}, False),
        "an over-long Idempotency-Key": ({**plain, "Idempotency-Key": "k" * 256}, False),
        "a long but valid Idempotency-Key": ({**plain, "Idempotency-Key": "k" * 255}, True),
    }
    for name, (headers, expected) in taken.items():
        match, _ = route.matches(_scope(headers))
        assert (match.name == "FULL") is expected, name
    assert route.matches(_scope(plain, method="GET"))[0].name == "NONE"
    assert route.matches(_scope(plain, path="/api/v1/orders/ord_1/cancel"))[0].name == "NONE"
