"""A small retail network built through the API, and a thin client that speaks it."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from fastapi.testclient import TestClient

_external_ids = itertools.count(1)

# code, type, latitude, longitude, capabilities
LOCATIONS = [
    ("WH-1", "warehouse", 51.3127, 9.4797, ["ship", "returns"]),
    ("STORE-BER", "store", 52.5200, 13.4050, ["ship", "pickup", "curbside", "returns"]),
    ("STORE-HAM", "store", 53.5511, 9.9937, ["ship", "pickup", "curbside", "returns"]),
    ("STORE-MUC", "store", 48.1372, 11.5756, ["pickup"]),
]
BERLIN = {"line1": "Alexanderplatz 1", "city": "Berlin", "postal_code": "10178", "country": "DE",
          "latitude": 52.5219, "longitude": 13.4132}
HAMBURG = {"line1": "Jungfernstieg 1", "city": "Hamburg", "postal_code": "20354", "country": "DE",
           "latitude": 53.5530, "longitude": 9.9930}


class Api:
    """Calls the API as one key holder."""

    def __init__(self, client: TestClient | httpx.Client, key: str) -> None:
        self.client, self.key = client, key

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(f"/api/v1{path}", params=params, headers=self._headers(None))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.client.post(f"/api/v1{path}", json=body, headers=self._headers(headers))

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.client.put(f"/api/v1{path}", json=body, headers=self._headers(None))

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(f"/api/v1{path}", headers=self._headers(None))

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, f"{response.status_code}: {response.text}"
        return response.json() if response.content else None

    # Conveniences for arranging a scenario.
    def stock(self, sku: str, location: str, quantity: int) -> None:
        self.ok(self.post("/inventory/movements", {"movements": [
            {"sku": sku, "location": location, "type": "count", "quantity": quantity}]}), 201)

    def position(self, sku: str, location: str) -> dict[str, Any]:
        items = self.ok(self.get("/inventory", sku=sku, location=location))["items"]
        return items[0] if items else {"on_hand": 0, "reserved": 0, "available": 0}

    def place(self, lines: list[tuple[str, int]], *, channel: str = "web", method: str = "ship",
              address: dict[str, Any] | None = None, pickup: str | None = None, key: str | None = None,
              price: str = "10.00", **extra: Any) -> httpx.Response:
        delivery: dict[str, Any] = {"method": method}
        if method in ("pickup", "curbside"):
            delivery["pickup_location"] = pickup
        else:
            delivery["address"] = address or BERLIN
        body = {"channel": channel, "external_id": extra.pop("external_id", f"EXT-{next(_external_ids)}"),
                "currency": "EUR", "customer": {"email": "ana@example.com", "name": "Ana"},
                "lines": [{"sku": s, "quantity": q, "unit_price": price} for s, q in lines],
                "delivery": delivery, **extra}
        return self.post("/orders", body, headers={"Idempotency-Key": key} if key else None)


def build_network(api: Api) -> dict[str, Any]:
    for code, kind, lat, lon, caps in LOCATIONS:
        api.ok(api.put(f"/locations/{code}", {"name": code.title(), "type": kind, "latitude": lat,
                                              "longitude": lon, "capabilities": caps, "country": "DE"}))
    api.ok(api.put("/channels/web", {"name": "Web", "type": "web", "currency": "EUR"}))
    api.ok(api.put("/channels/pos", {"name": "Tills", "type": "pos", "currency": "EUR",
                                     "location_codes": ["STORE-BER", "STORE-HAM", "STORE-MUC"]}))
    for sku in ("TEE", "CAP", "MUG"):
        api.ok(api.put(f"/skus/{sku}", {"name": sku.title(), "weight_grams": 200}))
    return {"locations": [x[0] for x in LOCATIONS], "channels": ["web", "pos"], "skus": ["TEE", "CAP", "MUG"]}
