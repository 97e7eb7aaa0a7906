"""A real server process on a real database, an admin key made by the CLI, and the network built over HTTP.

SQLite runs one worker process (its writers are serialised anyway); PostgreSQL runs two, so two processes
race for the same rows. Every server log is checked for unhandled errors when the test ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.concurrency.live import LiveServer, StartServer, connect
from tests.support.network import Api, build_network

WORKERS = {"sqlite": 1, "postgresql": 2}


@pytest.fixture(scope="session")
def bytecode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def start_server(backend: str, database_url: str, tmp_path: Path, bytecode: Path) -> Iterator[StartServer]:
    """Starts `ordermesh serve` on the test's database (once per test), and while it boots creates an admin
    key with `ordermesh keys create` (``server.admin_key``). Killed when the test ends."""
    started: list[LiveServer] = []

    def start(*, sweep_interval: float = 0.0) -> LiveServer:
        assert not started, "one server per test; restart it with server.start()"
        server = LiveServer(database_url, tmp_path, workers=WORKERS[backend], sweep_interval=sweep_interval,
                            bytecode=bytecode)
        started.append(server)
        server.launch()
        server.admin_key = server.cli("keys", "create", "--role", "admin").strip().splitlines()[-1]
        server.wait_until_ready()
        return server

    yield start
    for server in started:
        server.kill()
        errors = server.unexpected_errors()
        assert not errors, "the server logged unhandled errors:\n" + server.log_text()[-6000:]


@pytest.fixture
def server(start_server: StartServer) -> LiveServer:
    return start_server()


@pytest.fixture
def shop(server: LiveServer) -> Iterator[Api]:
    """An admin client of the live server, with WH-1, STORE-BER/HAM/MUC, channels web/pos and TEE/CAP/MUG."""
    api = connect(server, server.admin_key)
    build_network(api)
    yield api
    api.client.close()
