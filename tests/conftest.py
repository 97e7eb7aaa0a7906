"""Fixtures shared by every tier: real databases, the real app, API keys and a small retail network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.bootstrap import Ordermesh, bootstrap
from ordermesh.entrypoints.api.app import create_app
from ordermesh.service.api_keys import create_key
from ordermesh.settings import Settings
from tests.support.databases import BACKENDS, drop_templates, fresh_database, in_ci, postgres_problem
from tests.support.network import Api, build_network


def pytest_sessionstart(session: pytest.Session) -> None:
    problem = postgres_problem()
    if problem and in_ci():
        pytest.exit(f"CI requires PostgreSQL: {problem}", returncode=3)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_templates()


def pytest_report_header() -> str:
    problem = postgres_problem()
    return f"PostgreSQL: {'SKIPPED — ' + problem if problem else 'available, tests run on SQLite and PostgreSQL'}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and (problem := postgres_problem()):
        pytest.skip(f"{problem} — only the SQLite half runs here")
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def om(database_url: str) -> Iterator[Ordermesh]:
    # Background sweepers and the notifier stay off: a test runs them itself when it means to.
    # The test payment provider keeps its ledger in memory: one process, nothing left behind.
    running = bootstrap(Settings(database_url=database_url, sweep_interval_seconds=0, notify_interval_seconds=0,
                                 test_provider_ledger="", pool_size=5))
    yield running
    running.close()


@pytest.fixture
def client(om: Ordermesh) -> Iterator[TestClient]:
    with TestClient(create_app(om=om), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient, om: Ordermesh) -> Api:
    return Api(client, create_key(om.uow, "admin")[1])


@pytest.fixture
def network(admin: Api) -> dict[str, Any]:
    return build_network(admin)


@pytest.fixture
def key_for(om: Ordermesh, client: TestClient) -> Any:
    def make(role: str, scope: str | None = None) -> Api:
        return Api(client, create_key(om.uow, role, scope)[1])

    return make
