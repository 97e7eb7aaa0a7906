"""A demo retailer: a national warehouse, six city stores, three channels and 50 SKUs with stock."""

from __future__ import annotations

import random
from collections.abc import Callable

from ordermesh.service import catalogue, inventory
from ordermesh.service.access import Principal, Role
from ordermesh.service.commands import Movement, RecordMovements, UpsertChannel, UpsertLocation, UpsertSku
from ordermesh.service.unit_of_work import UnitOfWork

SYSTEM = Principal("system", Role.ADMIN)
STORE_CAPABILITIES = ["ship", "pickup", "curbside", "returns"]

# (code, name, type, latitude, longitude, postal code)
LOCATIONS = [
    ("WH-KASSEL", "Central warehouse Kassel", "warehouse", 51.3127, 9.4797, "34117"),
    ("STORE-BERLIN", "Store Berlin Mitte", "store", 52.5200, 13.4050, "10178"),
    ("STORE-HAMBURG", "Store Hamburg Altstadt", "store", 53.5511, 9.9937, "20095"),
    ("STORE-MUNICH", "Store München Zentrum", "store", 48.1372, 11.5756, "80331"),
    ("STORE-COLOGNE", "Store Köln Dom", "store", 50.9375, 6.9603, "50667"),
    ("STORE-FRANKFURT", "Store Frankfurt Zeil", "store", 50.1109, 8.6821, "60313"),
    ("STORE-STUTTGART", "Store Stuttgart Königstraße", "store", 48.7758, 9.1829, "70173"),
]
CATEGORIES = [("TEE", "T-shirt", 180), ("HOOD", "Hoodie", 650), ("JEAN", "Jeans", 700), ("SNKR", "Sneakers", 900),
              ("CAP", "Cap", 120)]
COLOURS = ["black", "white", "navy", "olive", "sand", "red", "grey", "blue", "green", "ochre"]


def demo_skus() -> list[UpsertSku]:
    return [UpsertSku(f"{code}-{colour.upper()}", f"{name} {colour}", weight)
            for code, name, weight in CATEGORIES for colour in COLOURS]


def seed_demo(uow: UnitOfWork, progress: Callable[[int], None] | None = None, seed: int = 7) -> dict[str, int]:
    """Creates (or refreshes) the demo retailer; stock is counted to fixed figures, so re-seeding is safe."""
    for code, name, kind, lat, lon, postal in LOCATIONS:
        capabilities = ["ship", "returns"] if kind == "warehouse" else STORE_CAPABILITIES
        catalogue.upsert_location(uow, SYSTEM, UpsertLocation(code, name, kind, lat, lon, capabilities, postal, "DE",
                                                              {"ship": 500 if kind == "warehouse" else 40}))
    stores = [c for c, *_ in LOCATIONS if c.startswith("STORE")]
    catalogue.upsert_channel(uow, SYSTEM, UpsertChannel("web", "Web shop", "web", "EUR", None, 0))
    catalogue.upsert_channel(uow, SYSTEM, UpsertChannel("app", "Mobile app", "mobile", "EUR", None, 1))
    catalogue.upsert_channel(uow, SYSTEM, UpsertChannel("pos", "Store tills", "pos", "EUR", stores, 0))
    skus = demo_skus()
    for sku in skus:
        catalogue.upsert_sku(uow, SYSTEM, sku)
    rng = random.Random(seed)
    movements = [Movement(sku.code, code, "count", rng.randint(150, 400) if kind == "warehouse" else rng.randint(0, 12),
                          "demo seed") for sku in skus for code, _, kind, *_ in LOCATIONS]
    for start in range(0, len(movements), 50):
        batch = movements[start:start + 50]
        with uow.writing() as conn:
            inventory.record_movements(conn, SYSTEM, RecordMovements(batch, source="seed:demo"))
        if progress:
            progress(len(batch))
    return {"locations": len(LOCATIONS), "channels": 3, "skus": len(skus), "positions": len(movements)}


def demo_position_count() -> int:
    return len(LOCATIONS) * len(demo_skus())
