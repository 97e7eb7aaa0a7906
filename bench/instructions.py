"""Instructions per placed order, counted by valgrind's callgrind: a figure that does not move with the machine.

    python -m bench.instructions [--backend sqlite|postgresql] [--orders 60] [--warmup 20]

On a shared machine the time an order takes drifts by ±10–20% from one minute to the next, which hides
the few percent a change to the hot path is worth. Instructions executed do not drift: run this on the
code before and after a change and compare. It places orders through the service layer in one process
(as the API does, without HTTP), after warm-up orders that prepare the statements and fill the caches, and
counts only the measured ones (callgrind is told to dump between the two). On PostgreSQL only the
Python side is counted: the server runs in processes of its own. Needs valgrind (`apt-get install
valgrind`); under it Python runs ~50x slower, so a run takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import run as bench_run


def _body(rng: random.Random, n: int) -> dict[str, Any]:
    """A 3-line ship order to somewhere in Germany, as the HTTP benchmark places them."""
    a, b, c = rng.sample(range(50), 3)
    return {"channel": "web", "external_id": f"count-{n}", "currency": "EUR",
            "customer": {"email": f"buyer{n}@example.com"},
            "lines": [{"sku": f"SKU-{a:04d}", "quantity": 1, "unit_price": "19.99"},
                      {"sku": f"SKU-{b:04d}", "quantity": 2, "unit_price": "5.00"},
                      {"sku": f"SKU-{c:04d}", "quantity": 1, "unit_price": "42.50"}],
            "delivery": {"method": "ship", "address": {
                "line1": "Hauptstr. 1", "city": "Somewhere", "postal_code": "10115", "country": "DE",
                "latitude": 47.5 + rng.random() * 6.5, "longitude": 6.0 + rng.random() * 8.5}}}


def place_orders(key: str, orders: int, warmup: int) -> None:
    """In the process callgrind watches: warm up, dump (discarding the counts so far), place, dump."""
    from fastapi.testclient import TestClient

    from ordermesh.entrypoints.api.app import create_app
    from ordermesh.entrypoints.api.routers.orders import place_order
    from ordermesh.entrypoints.api.schemas import OrderCreate
    from ordermesh.service.ordering import Checkout

    app = create_app()
    rng = random.Random(5)
    with TestClient(app):  # runs the app's start-up: its engine, keys and settings
        om = app.state.ordermesh
        who = om.keys.principal(key)
        checkout = Checkout(om.fulfillment_policy, om.providers, om.settings.public_url,
                            fraud_rules=om.fraud_rules)
        bodies = [OrderCreate.model_validate(_body(rng, n)) for n in range(warmup + orders)]
        for i, body in enumerate(bodies):
            if i == warmup:
                _dump("warm")
            response = place_order(body, om.uow, who, checkout, body.external_id)
            assert response.status_code == 201, response.body
        _dump("measured")


def _dump(label: str) -> None:
    subprocess.run(["callgrind_control", "--dump=" + label, str(os.getpid())], check=True,
                   stdout=subprocess.DEVNULL)


def count(backend: str, orders: int, warmup: int) -> float:
    """Instructions per order; prepares a fresh benchmark database first."""
    with tempfile.TemporaryDirectory() as tmp:
        url, key = bench_run.prepare(backend, Path(tmp), 50)
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "ORDERMESH_DATABASE_URL": url, "ORDERMESH_SWEEP_INTERVAL_SECONDS": "0",
               "ORDERMESH_NOTIFY_INTERVAL_SECONDS": "0", "PYTHONHASHSEED": "0"}
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m",
                        "bench.instructions", "--child", key, "--orders", str(orders), "--warmup", str(warmup)],
                       check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for dump in Path(tmp).glob("callgrind.out.*"):
            text = dump.read_text(errors="replace")
            if "Trigger: dump measured" in text:
                total = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
                if total is not None:
                    return int(total.group(1)) / orders
        raise RuntimeError(f"callgrind wrote no total for the measured orders in {tmp}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--orders", type=int, default=60, help="orders counted")
    parser.add_argument("--warmup", type=int, default=20, help="orders placed before counting starts")
    parser.add_argument("--child", metavar="KEY", help=argparse.SUPPRESS)  # the process under valgrind
    args = parser.parse_args()
    if args.child:
        place_orders(args.child, args.orders, args.warmup)
        return
    per_order = count(args.backend, args.orders, args.warmup)
    counted = "SQLite included" if args.backend == "sqlite" else "the Python side; PostgreSQL runs apart"
    print(f"{args.backend}: {per_order / 1e6:.2f} M instructions per order "
          f"({args.orders} orders after {args.warmup} warm-up orders; {counted})")


if __name__ == "__main__":
    main()
