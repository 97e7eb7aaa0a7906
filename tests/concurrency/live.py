"""A real `ordermesh serve` process on a loopback port, parallel HTTP clients, and the ledger seen from SQL.

Nothing here imitates our code: the server is the installed console script, the clients speak HTTP, and
the stock checks read the tables the server wrote.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Connection

from ordermesh.adapters.db.engine import make_engine
from ordermesh.adapters.db.inventory import ledger_totals
from ordermesh.adapters.db.tables import InventoryPosition, table_of
from tests.support.network import BERLIN, Api

START_TIMEOUT_SECONDS = 45
REQUEST_TIMEOUT_SECONDS = 90
_ids = itertools.count(1)
positions = table_of(InventoryPosition)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _console_script() -> str:
    beside_python = Path(sys.executable).with_name("ordermesh")
    found = str(beside_python) if beside_python.exists() else shutil.which("ordermesh")
    assert found, "the ordermesh console script is not installed (pip install -e .)"
    return found


class LiveServer:
    """`ordermesh serve` as a child process in its own process group, so kill -9 takes every worker."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int, sweep_interval: float = 0.0,
                 bytecode: Path | None = None) -> None:
        self.database_url, self.workdir, self.workers = database_url, workdir, workers
        self.env = dict(os.environ)
        if bytecode is not None:
            # Every process start would otherwise compile FastAPI, SQLAlchemy and pydantic afresh
            # (about 3 s of CPU each); one shared cache, outside the source tree, pays that once.
            self.env.pop("PYTHONDONTWRITEBYTECODE", None)
            self.env["PYTHONPYCACHEPREFIX"] = str(bytecode)
        self.env |= {"ORDERMESH_DATABASE_URL": database_url,
                     "ORDERMESH_SWEEP_INTERVAL_SECONDS": str(sweep_interval),
                     "ORDERMESH_NOTIFY_INTERVAL_SECONDS": "0",
                     # The test payment provider's ledger, shared by the worker processes as a gateway is.
                     "ORDERMESH_TEST_PROVIDER_LEDGER": str(workdir / "test-provider.db"),
                     # 2 workers x (10 + 10 overflow) stays well inside PostgreSQL's 100 connections.
                     "ORDERMESH_POOL_SIZE": "10", "ORDERMESH_LOG_LEVEL": "warning"}
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []
        self.url = ""
        self.admin_key = ""

    def start(self) -> None:
        self.launch()
        self.wait_until_ready()

    def launch(self) -> None:
        """Start `ordermesh serve` on a free loopback port without waiting for it."""
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = self.workdir / f"server-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [_console_script(), "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(self.workers)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ordermesh serve exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"ordermesh serve did not answer /healthz in {START_TIMEOUT_SECONDS}s:\n{self.log_text()}")

    def kill(self) -> None:
        """SIGKILL the server and its workers at once (its own process group): a crash, not a shutdown."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def cli(self, *args: str) -> str:
        """Run an `ordermesh` command against the same database; its standard output."""
        done = subprocess.run([_console_script(), *args], env=self.env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, f"ordermesh {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def unexpected_errors(self) -> list[str]:
        """Log lines of unhandled exceptions: each one is a 500 or a dead background thread."""
        return [line for line in self.log_text().splitlines()
                if "Traceback" in line or "unhandled error" in line or "sweeping expired cart holds failed" in line]


StartServer = Callable[..., LiveServer]


def connect(server: LiveServer, key: str) -> Api:
    """An API client of the live server holding ``key``."""
    return Api(httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT_SECONDS), key)


def order_body(lines: Sequence[tuple[str, int]], *, external_id: str | None = None, method: str = "ship",
               pickup: str | None = None, **extra: Any) -> dict[str, Any]:
    delivery: dict[str, Any] = {"method": method}
    if method in ("pickup", "curbside"):
        delivery["pickup_location"] = pickup
    else:
        delivery["address"] = BERLIN
    return {"channel": "web", "external_id": external_id or f"LIVE-{next(_ids)}", "currency": "EUR",
            "customer": {"email": "buyer@example.com", "name": "Buyer"},
            "lines": [{"sku": s, "quantity": q, "unit_price": "10.00"} for s, q in lines],
            "delivery": delivery, **extra}


Call = tuple[str, str, Any, dict[str, str]]  # method, path under /api/v1, JSON body, extra headers


def burst(base_url: str, key: str, calls: Sequence[Call]) -> list[httpx.Response]:
    """Send every call at once, each on its own connection; the responses in call order."""

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
        async with httpx.AsyncClient(base_url=f"{base_url}/api/v1", limits=limits,
                                     timeout=REQUEST_TIMEOUT_SECONDS,
                                     headers={"Authorization": f"Bearer {key}"}) as client:
            return list(await asyncio.gather(*(client.request(method, path, json=body, headers=headers)
                                               for method, path, body, headers in calls)))

    return asyncio.run(send_all())


@contextmanager
def database(url: str) -> Iterator[Connection]:
    """A connection straight to the database the server writes, outside the server."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def ledger_disagreements(url: str) -> dict[tuple[int, int], dict[str, tuple[int, int]]]:
    """Positions whose (on_hand, reserved) differ from the sums of their ledger movements."""
    with database(url) as conn, conn.begin():
        stored = {(s, loc): (h, r) for s, loc, h, r in conn.execute(
            select(positions.c.sku_id, positions.c.location_id, positions.c.on_hand, positions.c.reserved))}
        summed = ledger_totals(conn)
    return {k: {"position": stored.get(k, (0, 0)), "ledger": summed.get(k, (0, 0))}
            for k in stored.keys() | summed.keys() if stored.get(k, (0, 0)) != summed.get(k, (0, 0))}


def every_page(client: httpx.Client, key: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """All items of a cursor-paged list (orders: `cursor`; events: `after`)."""
    cursor_name = "after" if path.endswith("/events") else "cursor"
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = {**params, "limit": 500, **({cursor_name: cursor} if cursor else {})}
        response = client.get(f"/api/v1{path}", params=query, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if not page["items"] or not page["next_cursor"] or page["next_cursor"] == cursor:
            return items
        cursor = page["next_cursor"]
    raise AssertionError(f"{path} did not end after 1000 pages")


def feed(client: httpx.Client, key: str, event_type: str, *, at_least: int) -> list[dict[str, Any]]:
    """The event feed's items of one type, once it shows at least ``at_least`` of them.

    On PostgreSQL the feed serves an event only when every transaction older than it has ended, in any
    database of the cluster; a transaction elsewhere (another test run) can hold it back for a moment.
    """
    deadline = time.monotonic() + 30
    while True:
        items = every_page(client, key, "/events", type=event_type)
        if len(items) >= at_least or time.monotonic() > deadline:
            return items
        time.sleep(0.2)
