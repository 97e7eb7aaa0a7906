"""Configuration, read from the environment once by the composition root (never at import time)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "ordermesh.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERMESH_", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Connections each worker process keeps open (up to half as many again under bursts). Four workers
    # at the default stay well inside PostgreSQL's default max_connections of 100.
    pool_size: int = 12
    # SQLite synchronous mode: NORMAL survives a killed process; FULL also survives power loss.
    sqlite_synchronous: str = "NORMAL"
    # Seconds between sweeps of expired cart holds inside the server (0 turns the sweeper off).
    sweep_interval_seconds: float = 5.0
    # Requests a worker process runs at once (its thread pool). More threads only queue on the interpreter
    # lock, and the switching costs throughput: SQLite work is CPU-bound (default 4); PostgreSQL requests
    # mostly wait on round trips, which more threads overlap (default 16).
    threads: int | None = None
    max_body_bytes: int = 1_000_000
    # Store fulfillment service levels. A fulfillment order not accepted within this many minutes is
    # re-sourced elsewhere by the sweeper (pickup and curbside ones excepted: only the chosen store can serve).
    accept_sla_minutes: float = 120
    # Days a ready pickup waits for the customer; then it expires and its units go back on sale.
    pickup_hold_days: float = 3
    # Hours from creation to the due time per method, e.g. '{"ship": 12}' (the rest keep their defaults:
    # ship 24, local_delivery 4, pickup 4, curbside 2, transfer 48). The pick list is sorted by due time.
    fulfillment_due_hours: dict[str, float] = {}
    max_page_size: int = 500
    default_page_size: int = 50
