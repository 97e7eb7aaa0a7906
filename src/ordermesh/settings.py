"""Configuration, read from the environment once by the composition root (never at import time)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr
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
    # Seconds between runs of the server's sweeper (0 turns it off): expired cart holds, unaccepted fulfillment
    # orders, uncollected pickups, payments the provider has not answered.
    sweep_interval_seconds: float = 5.0
    # Requests a worker process runs at once (its thread pool). More threads only queue on the
    # interpreter lock and the switching costs throughput: on PostgreSQL at 32 concurrent clients, 16 threads
    # per worker placed ~20% fewer orders than 4 and used ~20% more CPU per order. A payment provider that
    # answers slowly inside the order path holds a thread while it waits: then allow about (orders per
    # second per worker) x (the provider's seconds per answer) more.
    threads: Annotated[int, Field(ge=1)] = 4
    max_body_bytes: int = 1_000_000
    # Store fulfillment service levels. A fulfillment order not accepted within this many minutes is
    # re-sourced elsewhere by the sweeper (pickup and curbside ones excepted: only the chosen store can serve).
    accept_sla_minutes: float = 120
    # Days a ready pickup waits for the customer; then it expires and its units go back on sale.
    pickup_hold_days: float = 3
    # Hours from creation to the due time per method, e.g. '{"ship": 12}' (the rest keep their defaults:
    # ship 24, local_delivery 4, pickup 4, curbside 2, transfer 48). The pick list is sorted by due time.
    fulfillment_due_hours: dict[str, float] = {}
    # Returns: days after the units reached the customer (shipped, delivered or picked up) in which they may
    # be returned, per channel code, e.g. '{"web": 30, "pos": 14}'; other channels get the default.
    return_window_days: dict[str, int] = {}
    return_window_default_days: int = 30
    # Where customers reach this server: the base of the tracking page links in orders and messages.
    public_url: str = "http://127.0.0.1:8000"
    # Customer notifications (see README, "Notifications and the tracking page"): ``log`` keeps them in the
    # message log only; ``smtp`` also sends them through the mail server below.
    notify_sender: Literal["log", "smtp"] = "log"
    # Seconds between runs of the in-server notifier over the event feed (0 turns it off).
    notify_interval_seconds: float = 5.0
    # Events older than this are not worth a message (a notifier switched on for an existing database).
    notify_max_age_hours: float = 48
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "Ordermesh <orders@localhost>"
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 10
    # The built-in test payment provider's own ledger: a SQLite file shared by worker processes and kept
    # across restarts, as a real gateway's would be (an empty value keeps it in memory: one process only).
    # ``tok_slow`` waits this many seconds.
    test_provider_ledger: str = str(DEFAULT_SQLITE_PATH.parent / "test-provider.db")
    test_provider_slow_seconds: float = 2.0
    # A payment the provider did not answer (a capture, refund or void) stays pending and is asked again, with
    # the same key, by the server's background loop once it has been left alone this many seconds.
    payment_retry_seconds: float = 30
    # Fraud rules (README, "Payments, holds and fraud rules"): each rule an order trips puts it on a fraud hold.
    # Order value above which an order waits for review, per currency; a currency not listed is not checked.
    fraud_max_order_value: dict[str, str] = {"EUR": "5000.00", "USD": "5000.00", "GBP": "5000.00"}
    # Orders one customer may place within an hour; 0 turns the rule off (on, it costs a query per order).
    fraud_max_orders_per_hour: int = 0
    # Hold an order whose billing address is in another country than its delivery address.
    fraud_country_mismatch: bool = True
    # More rules, as "module:attribute" factories called without arguments, e.g. '["shop.rules:no_po_boxes"]'.
    fraud_rules: list[str] = []
    max_page_size: int = 500
    default_page_size: int = 50
