"""Foundation benchmark: place-order and availability over HTTP, each against a ceiling measured now.

    python -m bench.run [--quick] [--backends sqlite,postgresql]

For each database: build a 50-location network, serve Ordermesh (SQLite: 1 worker; PostgreSQL: 2),
drive it with wrk at several connection counts (then once more at the peak's connection count with the
customer notifier running inside the workers), and measure in the same run
  - the raw place-order transaction (pgbench script / plain sqlite3 loop; see ceilings.py),
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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml
from psycopg import sql
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
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=2)
    key = network.build(engine, locations=locations, skus=50)
    engine.dispose()
    return url, key


# Autovacuum's rule for when a table's statistics are stale (its defaults: 50 rows + 10% changed).
_STALE_TABLES = ("SELECT relname FROM pg_stat_user_tables "
                 "WHERE n_mod_since_analyze > 50 + 0.1 * greatest(n_live_tup, 0)")


@contextmanager
def autoanalyzed(backend: str, url: str, *, every: float = 5.0) -> Iterator[None]:
    """Keep PostgreSQL's table statistics fresh while the load runs, as autovacuum does on a production
    server; it is off on some machines, this one included (Ordermesh warns at start-up then). Without
    statistics the plans PostgreSQL keeps for prepared statements are the ones made for nearly empty
    tables: sequential scans, and a duplicate-order check that reads every order of the channel."""
    if backend != "postgresql":
        yield
        return
    stop = threading.Event()
    dsn = ceilings.psycopg_dsn(url)

    def analyse_stale(conn: psycopg.Connection[Any]) -> None:
        for (table,) in conn.execute(_STALE_TABLES).fetchall():
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))

    def keeper() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not stop.wait(every):
                analyse_stale(conn)

    with psycopg.connect(dsn, autocommit=True) as first:  # the first, largest pass before the load starts
        analyse_stale(first)
    thread = threading.Thread(target=keeper, name="autoanalyze", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)


def sweep(server: Server, key: str, connections: list[int], seconds: int, run: str) -> list[Load]:
    return [wrk("place_order.lua", server.url, connections=c, seconds=seconds,
                env={"OM_KEY": key, "OM_SKUS": "50", "OM_RUN": f"{run}-{c}"}) for c in connections]


def bench_backend(backend: str, tmp: Path, seconds: int, connections: list[int]) -> dict[str, object]:
    workers = 1 if backend == "sqlite" else 2
    url, key = prepare(backend, tmp, 50)
    # The API workers only serve requests here, as in a deployment that sends customer messages from
    # its own process (`ordermesh notifications send`); the same load with the notifier inside the
    # workers is measured on its own below.
    env = {"ORDERMESH_DATABASE_URL": url, "ORDERMESH_SWEEP_INTERVAL_SECONDS": "0",
           "ORDERMESH_NOTIFY_INTERVAL_SECONDS": "0"}
    app = "ordermesh.entrypoints.api.app:create_app"
    # A short warm-up writes the orders whose JSON the raw transaction copies; the ceiling then runs on a
    # copy of this young database, where it is fastest, and leaves the service's own database alone.
    with served(app, workers, env) as server:
        sweep(server, key, [1], 2, f"{backend}-warm-{time.time_ns()}")
    # The machine's speed drifts over minutes (seen: the sqlite3 loop at 647/s in one run, 331/s in the
    # next): the ceiling runs before and after the service's sweep, and the higher rate is the ceiling.
    with young_copy(backend, url, tmp) as young:
        console.print(f"[bold]{backend}[/bold]: ceiling, before")
        raw_before = raw_ceiling(backend, young, tmp, seconds=seconds, clients=max(connections))
        with autoanalyzed(backend, url):
            console.print(f"[bold]{backend}[/bold]: place-order over HTTP, {workers} worker(s)")
            with served(app, workers, env) as server:
                loads = sweep(server, key, connections, seconds, f"{backend}-{time.time_ns()}")
                availability = wrk("get.lua", server.url, connections=max(connections), seconds=seconds,
                                   env={"OM_KEY": key, "OM_PATH": "/api/v1/availability?channel=web&sku=SKU-0007"})
                peak = max(loads, key=lambda x: x.rps)
                console.print(f"[bold]{backend}[/bold]: place-order with the channel on the min-cost profile")
                use_profile(server.url, key, MIN_COST_FILE)
                min_cost = sweep(server, key, [peak.connections], seconds, f"{backend}-min-cost-{time.time_ns()}")[0]
                use_profile(server.url, key, None)
        console.print(f"[bold]{backend}[/bold]: ceiling, after")
        raw_after = raw_ceiling(backend, young, tmp, seconds=seconds, clients=max(connections))
    with autoanalyzed(backend, url):
        one_thread = None
        if backend == "sqlite":  # one request thread: no interpreter-lock hand-offs around every SQLite call
            console.print(f"[bold]{backend}[/bold]: place-order with ORDERMESH_THREADS=1")
            with served(app, workers, {**env, "ORDERMESH_THREADS": "1"}) as server:
                one_thread = sweep(server, key, [max(connections)], seconds, f"{backend}-1t-{time.time_ns()}")[0]
        console.print(f"[bold]{backend}[/bold]: place-order with the notifier in the worker(s)")
        # Messages only for events of the last minute: the notifier keeps up with this run's orders instead
        # of working through the whole run's backlog first.
        with served(app, workers, {**env, "ORDERMESH_NOTIFY_INTERVAL_SECONDS": "1",
                                   "ORDERMESH_NOTIFY_MAX_AGE_HOURS": "0.02"}) as server:
            time.sleep(3)  # the notifier's first round skips the backlog
            notifying = sweep(server, key, [peak.connections], seconds, f"{backend}-notify-{time.time_ns()}")[0]
    with served("bench.trivial_app:create_app", workers, {}) as trivial_server:
        trivial = wrk("trivial_post.lua", trivial_server.url, connections=max(connections), seconds=seconds, env={})
        trivial_get = wrk("get.lua", trivial_server.url, connections=max(connections), seconds=seconds,
                          env={"OM_PATH": "/trivial"})
    return {"backend": backend, "workers": workers, "loads": loads, "availability": availability,
            "raw": max(raw_before, raw_after),
            "trivial": trivial, "trivial_get": trivial_get, "notifying": notifying, "min_cost": min_cost,
            "one_thread": one_thread, "raw_runs": (raw_before, raw_after)}


# The optimiser profile that ships with Ordermesh: HiGHS on every ship order.
MIN_COST_FILE = HERE.parent / "examples" / "profiles" / "min-cost.yaml"


def use_profile(url: str, key: str, profile: Path | None) -> None:
    """Route the bench channel by the profile in ``profile`` (a YAML file), or by the built-in one (None)."""
    headers = {"Authorization": f"Bearer {key}"}
    code = None
    if profile is not None:
        document = yaml.safe_load(profile.read_text())
        code = document.pop("code")
        httpx.put(f"{url}/api/v1/sourcing-profiles/{code}", json=document, headers=headers).raise_for_status()
    channel = {"name": "Web", "type": "web", "currency": "EUR", "sourcing_profile": code}
    httpx.put(f"{url}/api/v1/channels/web", json=channel, headers=headers).raise_for_status()


@contextmanager
def served(app: str, workers: int, env: dict[str, str]) -> Iterator[Server]:
    server = Server(app, workers=workers, env=env)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def young_copy(backend: str, url: str, tmp: Path) -> Iterator[str]:
    """A copy of the database as it is now (young), which every ceiling run starts from; yields its URL."""
    if backend == "sqlite":
        young = tmp / "young.db"
        shutil.copyfile(make_url(url).database or "", young)
        try:
            yield f"sqlite:///{young}"
        finally:
            young.unlink(missing_ok=True)
        return
    name = f"{make_url(url).database}_young"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    pg_admin(drop, f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        pg_admin(drop)


def raw_ceiling(backend: str, url: str, tmp: Path, *, seconds: int, clients: int) -> float:
    """The raw transaction's rate, on a fresh copy of the database at ``url``."""
    if backend == "sqlite":
        copy = tmp / "ceiling.db"
        shutil.copyfile(make_url(url).database or "", copy)
        return ceilings.sqlite_loop(str(copy), seconds=seconds)
    name = make_url(url).database
    copy_url = make_url(url).set(database=f"{name}_ceiling").render_as_string(hide_password=False)
    drop = f'DROP DATABASE IF EXISTS "{name}_ceiling" WITH (FORCE)'
    pg_admin(drop, f'CREATE DATABASE "{name}_ceiling" TEMPLATE "{name}"')
    try:
        with autoanalyzed(backend, copy_url):  # the raw transaction's plans get fresh statistics too
            return ceilings.pgbench(copy_url, clients=clients, seconds=seconds)
    finally:
        pg_admin(drop)


def pg_admin(*statements: str) -> None:
    """Statements outside a transaction on the server's maintenance database (creating, dropping databases)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


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
        min_cost: Load = r["min_cost"]  # type: ignore[assignment]
        row(db, f"place order, channel on the min-cost profile ({min_cost.connections} conn)", min_cost,
            min_cost.rps, peak.rps, "peak, built-in profile")
        one_thread: Load | None = r["one_thread"]  # type: ignore[assignment]
        if one_thread is not None:
            row(db, f"place order, ORDERMESH_THREADS=1 ({one_thread.connections} conn)", one_thread,
                one_thread.rps, r["raw"], raw_name)  # type: ignore[arg-type]
        notifying: Load = r["notifying"]  # type: ignore[assignment]
        row(db, f"place order, notifier in the worker ({notifying.connections} conn)", notifying, notifying.rps,
            r["raw"], raw_name)  # type: ignore[arg-type]
        trivial: Load = r["trivial"]  # type: ignore[assignment]
        row(db, "place order vs trivial POST", peak, peak.rps, trivial.rps, "trivial FastAPI POST")
        availability: Load = r["availability"]  # type: ignore[assignment]
        trivial_get: Load = r["trivial_get"]  # type: ignore[assignment]
        row(db, "availability, 1 SKU × 50 locations", availability, availability.rps, trivial_get.rps,
            "trivial FastAPI GET")
        runs: tuple[float, float] = r["raw_runs"]  # type: ignore[assignment]
        before, after = runs
        md.append(f"| {db} | raw transaction, before / after the sweep | {before:,.0f} / {after:,.0f} | | | "
                  f"the higher is the ceiling above | |")
        console.print(f"{db}: raw transaction {before:,.0f}/s before the sweep, {after:,.0f}/s after")
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
