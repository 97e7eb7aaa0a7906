"""A benchmark network: N locations across Germany, SKUs with deep stock, one web channel."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from ordermesh.adapters.db import catalogue as catalogue_db
from ordermesh.adapters.db.tables import InventoryMovement, InventoryPosition, table_of
from ordermesh.service import catalogue
from ordermesh.service.access import Principal, Role
from ordermesh.service.api_keys import create_key
from ordermesh.service.commands import UpsertChannel, UpsertLocation, UpsertSku
from ordermesh.service.unit_of_work import UnitOfWork

ADMIN = Principal("bench", Role.ADMIN)
DEEP_STOCK = 1_000_000


def build(engine: Engine, *, locations: int, skus: int, seed: int = 1) -> str:
    """Creates the network and returns an admin API key."""
    uow = UnitOfWork(engine)
    rng = random.Random(seed)
    for i in range(locations):
        kind = "warehouse" if i < max(1, locations // 10) else "store"
        catalogue.upsert_location(uow, ADMIN, UpsertLocation(
            f"L-{i:03d}", f"Location {i}", kind, 47.5 + rng.random() * 6.5, 6.0 + rng.random() * 8.5,
            ["ship", "pickup"], None, "DE"))
    for i in range(skus):
        catalogue.upsert_sku(uow, ADMIN, UpsertSku(f"SKU-{i:04d}", f"Bench item {i}", 300))
    catalogue.upsert_channel(uow, ADMIN, UpsertChannel("web", "Web", "web", "EUR"))
    now = datetime.now(UTC)
    # Stock goes in directly (positions and their ledger rows): seeding is not what is measured.
    with engine.begin() as conn:
        sku_ids = catalogue_db.ids_by_code(conn, "sku", [f"SKU-{i:04d}" for i in range(skus)])
        location_ids = catalogue_db.ids_by_code(conn, "location", [f"L-{i:03d}" for i in range(locations)])
        rows = [{"sku_id": s, "location_id": loc} for s in sku_ids.values() for loc in location_ids.values()]
        conn.execute(insert(table_of(InventoryPosition)),
                     [{**r, "on_hand": DEEP_STOCK, "reserved": 0, "safety_stock": 0, "updated_at": now} for r in rows])
        conn.execute(insert(table_of(InventoryMovement)),
                     [{**r, "type": "receive", "on_hand_delta": DEEP_STOCK, "reserved_delta": 0, "source": "bench",
                       "created_at": now} for r in rows])
    return create_key(uow, "admin")[1]
