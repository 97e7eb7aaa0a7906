"""Cart holds expiring while orders convert them: each hold ends exactly once, and its stock with it.

30 holds of one unit live for 1 s, created over 1.5 s. Each is raced by an order naming it, sent between
0.6 s before and 0.2 s after its expiry, while the server's sweeper runs every 50 ms and
`ordermesh reservations sweep` runs back to back in another process. Whichever wins, a hold's unit is
either owned by its order or released — once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from ordermesh.adapters.db.tables import Event, InventoryMovement, table_of
from tests.concurrency.live import (
    REQUEST_TIMEOUT_SECONDS,
    LiveServer,
    StartServer,
    connect,
    database,
    ledger_disagreements,
    order_body,
)
from tests.support.network import Api, build_network

pytestmark = pytest.mark.slow
HOLDS = 30
ledger = table_of(InventoryMovement)
events = table_of(Event)


def _race_one(server: LiveServer, key: str, n: int) -> tuple[str, httpx.Response]:
    """Hold one TEE for 1 s, then try to convert it into an order around the moment it expires."""
    time.sleep(n * 0.05)
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=REQUEST_TIMEOUT_SECONDS,
                      headers={"Authorization": f"Bearer {key}"}) as client:
        held = client.post("/reservations", json={"channel": "web", "lines": [{"sku": "TEE", "quantity": 1}],
                                                   "ttl_seconds": 1})
        assert held.status_code == 201, held.text
        hold = held.json()
        expires = datetime.fromisoformat(hold["expires_at"]).timestamp()
        time.sleep(max(0.0, expires - 0.6 + 0.8 * (n % 10) / 9 - time.time()))
        body = order_body([("TEE", 1)], external_id=f"CART-{n}", reservation_id=hold["id"])
        return hold["id"], client.post("/orders", json=body, headers={"Idempotency-Key": f"cart-{n}"})


def _sweep_from_the_cli(server: LiveServer, warm: threading.Event, until: threading.Event) -> int:
    runs = 0
    while not until.is_set():
        server.cli("reservations", "sweep")
        runs += 1
        warm.set()
    return runs


def _settled(shop: Api, holds: list[str]) -> dict[str, str]:
    """Each hold's status once none is active any more (the server's sweeper ends the expired ones)."""
    deadline = time.monotonic() + 10
    while True:
        statuses = {h: shop.ok(shop.get(f"/reservations/{h}"))["status"] for h in holds}
        if "active" not in statuses.values() or time.monotonic() > deadline:
            return statuses
        time.sleep(0.1)


def test_a_hold_racing_its_own_expiry_is_converted_or_released_exactly_once(start_server: StartServer) -> None:
    server = start_server(sweep_interval=0.05)
    shop = connect(server, server.admin_key)
    build_network(shop)
    shop.stock("TEE", "WH-1", HOLDS)

    warm, racing = threading.Event(), threading.Event()
    with ThreadPoolExecutor(max_workers=HOLDS + 1) as pool:
        cli_sweeps = pool.submit(_sweep_from_the_cli, server, warm, racing)
        assert warm.wait(60), "ordermesh reservations sweep did not finish in 60 s"
        outcomes = list(pool.map(lambda n: _race_one(server, server.admin_key, n), range(HOLDS)))
        racing.set()
        assert cli_sweeps.result() >= 2
    statuses = _settled(shop, [hold for hold, _ in outcomes])

    converted = {hold: r.json() for hold, r in outcomes if r.status_code == 201}
    refused = {hold: r.json() for hold, r in outcomes if r.status_code != 201}
    assert all(r.status_code == 409 and r.json()["type"].endswith("reservation-unavailable")
               for _, r in outcomes if r.status_code != 201), [r.text for _, r in outcomes][:3]
    assert converted and refused, "the race was run on both sides of the expiry"

    assert statuses == {**{h: "converted" for h in converted}, **{h: "expired" for h in refused}}
    position = shop.position("TEE", "WH-1")
    assert (position["on_hand"], position["reserved"]) == (HOLDS, len(converted))
    assert ledger_disagreements(server.database_url) == {}

    with database(server.database_url) as conn, conn.begin():
        releases = Counter(conn.execute(select(ledger.c.source).where(ledger.c.type == "release")).scalars())
        endings = Counter((e["data"]["id"], e["type"]) for e in conn.execute(
            select(events.c.type, events.c.data).where(
                events.c.type.in_(["reservation.converted", "reservation.expired"]))).mappings())
    assert releases == Counter({f"reservation:{hold}": 1 for hold in refused})
    assert endings == Counter({**{(h, "reservation.converted"): 1 for h in converted},
                               **{(h, "reservation.expired"): 1 for h in refused}})
    assert all(sum(fo_line["quantity"] for fo in order["fulfillment_orders"] for fo_line in fo["lines"]) == 1
               for order in converted.values())
    shop.client.close()
