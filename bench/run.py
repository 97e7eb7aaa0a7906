"""Foundation benchmark: place-order and availability over HTTP, each against a ceiling measured now.

    python -m bench.run [--quick] [--backends sqlite,postgresql]

For each database: build a 50-location network, serve Ordermesh (SQLite: 1 worker; PostgreSQL: 2),
drive it with wrk at several connection counts, and measure in the same run
  - the raw place-order transaction (pgbench script / plain sqlite3 loop),
  - a trivial FastAPI endpoint on the same server stack and load generator.
Prints a table (and writes bench/results/foundation.md) with every figure as a ratio to its ceiling.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from bench import ceilings, network
from ordermesh.adapters.db import migrate
from ordermesh.adapters.db.engine import make_engine

HERE = Path(__file__).parent
PG_ADMIN = os.environ.get("ORDERMESH_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
console = Console()


@dataclass
class Load:
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    failed: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(script: str, url: str, *, connections: int, seconds: int, env: dict[str, str]) -> Load:
    threads = min(2, connections)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "--timeout", "10s",
                          "-s", str(HERE / "wrk" / script), url],
                         capture_output=True, text=True, timeout=seconds + 60,
                         env={**os.environ, "OM_WRK_DIR": str(HERE / "wrk"), **env}).stdout
    line = next((x for x in out.splitlines() if x.startswith("OM_RESULT")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    fields = dict(kv.split("=") for kv in line.split()[1:])
    return Load(connections, float(fields["rps"]), float(fields["p50_ms"]), float(fields["p99_ms"]),
                int(fields["errors"]) + int(fields["non2xx"]))


class Server:
    def __init__(self, app: str, *, workers: int, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port",
                   str(self.port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
        self.process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        probe = "/healthz" if "ordermesh" in app else "/trivial"
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + probe, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{app} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def prepare(backend: str, tmp: Path, locations: int) -> tuple[str, str]:
    """A migrated database with the bench network; returns (url, admin key)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'bench-{locations}.db'}"
    else:
        name = f"om_bench_{locations}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=2)
    key = network.build(engine, locations=locations, skus=50)
    engine.dispose()
    return url, key


def sweep(server: Server, key: str, connections: list[int], seconds: int, run: str) -> list[Load]:
    return [wrk("place_order.lua", server.url, connections=c, seconds=seconds,
                env={"OM_KEY": key, "OM_SKUS": "50", "OM_RUN": f"{run}-{c}"}) for c in connections]


def bench_backend(backend: str, tmp: Path, seconds: int, connections: list[int]) -> dict[str, object]:
    workers = 1 if backend == "sqlite" else 2
    url, key = prepare(backend, tmp, 50)
    env = {"ORDERMESH_DATABASE_URL": url, "ORDERMESH_SWEEP_INTERVAL_SECONDS": "0"}
    console.print(f"[bold]{backend}[/bold]: place-order over HTTP, {workers} worker(s)")
    server = Server("ordermesh.entrypoints.api.app:create_app", workers=workers, env=env)
    try:
        loads = sweep(server, key, connections, seconds, f"{backend}-{time.time_ns()}")
        availability = wrk("get.lua", server.url, connections=max(connections), seconds=seconds,
                           env={"OM_KEY": key, "OM_PATH": "/api/v1/availability?channel=web&sku=SKU-0007"})
    finally:
        server.stop()
    console.print(f"[bold]{backend}[/bold]: ceilings")
    if backend == "sqlite":
        copy = tmp / "ceiling.db"
        shutil.copyfile(make_url(url).database or "", copy)
        raw = ceilings.sqlite_loop(str(copy), seconds=seconds)
    else:
        raw = ceilings.pgbench(url, clients=max(connections), seconds=seconds)
    trivial_server = Server("bench.trivial_app:create_app", workers=workers, env={})
    try:
        trivial = wrk("trivial_post.lua", trivial_server.url, connections=max(connections), seconds=seconds, env={})
        trivial_get = wrk("get.lua", trivial_server.url, connections=max(connections), seconds=seconds,
                          env={"OM_PATH": "/trivial"})
    finally:
        trivial_server.stop()
    return {"backend": backend, "workers": workers, "loads": loads, "availability": availability, "raw": raw,
            "trivial": trivial, "trivial_get": trivial_get}


def at_80_percent(loads: list[Load]) -> Load:
    """The lightest load that reaches 80% of the peak rate (closed loop: fewer connections, less load)."""
    peak = max(x.rps for x in loads)
    return min((x for x in loads if x.rps >= 0.8 * peak), key=lambda x: x.connections)


def report(results: list[dict[str, object]]) -> str:
    table = Table(title="Ordermesh foundation benchmark")
    for column in ("database", "measure", "rate/s", "p50 ms", "p99 ms", "ceiling/s", "ratio"):
        table.add_column(column)
    md = ["| database | measure | rate/s | p50 ms | p99 ms | ceiling | ratio |", "|---|---|---|---|---|---|---|"]

    def row(db: str, measure: str, load: Load | None, rate: float, ceiling: float, ceiling_name: str) -> None:
        p50, p99 = (f"{load.p50_ms:.1f}", f"{load.p99_ms:.1f}") if load else ("", "")
        cells = [db, measure, f"{rate:,.0f}", p50, p99, f"{ceiling:,.0f} ({ceiling_name})", f"{rate / ceiling:.0%}"]
        table.add_row(*cells)
        md.append("| " + " | ".join(cells) + " |")

    for r in results:
        loads: list[Load] = r["loads"]  # type: ignore[assignment]
        peak = max(loads, key=lambda x: x.rps)
        db = f"{r['backend']} ({r['workers']} worker{'s' if r['workers'] != 1 else ''})"
        raw_name = "pgbench" if r["backend"] == "postgresql" else "sqlite3 loop"
        for load in loads:
            row(db, f"place order, {load.connections} conn", load, load.rps, r["raw"], raw_name)  # type: ignore[arg-type]
        eighty = at_80_percent(loads)
        row(db, f"place order at ≥80% of peak ({eighty.connections} conn)", eighty, eighty.rps, peak.rps, "peak")
        trivial: Load = r["trivial"]  # type: ignore[assignment]
        row(db, "place order vs trivial POST", peak, peak.rps, trivial.rps, "trivial FastAPI POST")
        availability: Load = r["availability"]  # type: ignore[assignment]
        trivial_get: Load = r["trivial_get"]  # type: ignore[assignment]
        row(db, "availability, 1 SKU × 50 locations", availability, availability.rps, trivial_get.rps,
            "trivial FastAPI GET")
        failed = sum(x.failed for x in loads)
        if failed:
            md.append(f"\n**{failed} place-order requests failed on {db}.**")
            console.print(f"[red]{failed} place-order requests failed on {db}[/red]")
    console.print(table)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    return "\n".join([f"Measured {time.strftime('%Y-%m-%d')} on {machine}; load from wrk on the same machine.", "",
                      *md])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, to check the bench works")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    seconds = 3 if args.quick else args.seconds
    connections = [4, 16] if args.quick else [1, 2, 4, 8, 16, 32]
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench_backend(b, Path(tmp), seconds, connections) for b in args.backends.split(",")]
    text = report(results)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "foundation.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
