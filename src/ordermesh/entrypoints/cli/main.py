"""The ``ordermesh`` command line: serve, migrate, keys, demo data, stock import, orders, sweeps."""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column, Table

from ordermesh.bootstrap import Ordermesh
from ordermesh.domain.errors import DomainError
from ordermesh.entrypoints.cli import fulfillment, notifications, payments, profiles, shell, simulate
from ordermesh.entrypoints.cli.shell import CLI, console, err
from ordermesh.service import api_keys, demo, inventory, queries, reservations
from ordermesh.service.commands import Movement, RecordMovements
from ordermesh.settings import Settings

app = typer.Typer(help="Ordermesh: omnichannel order management.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
seed_app = typer.Typer(help="Demo data.", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
orders_app = typer.Typer(help="Look at orders.", no_args_is_help=True)
reservations_app = typer.Typer(help="Cart holds.", no_args_is_help=True)
for sub, name in ((db_app, "db"), (keys_app, "keys"), (seed_app, "seed"), (import_app, "import"),
                  (orders_app, "orders"), (reservations_app, "reservations")):
    app.add_typer(sub, name=name)

app.add_typer(profiles.profiles_app, name="profiles")
app.add_typer(fulfillment.fulfillment_app, name="fulfillment")
app.add_typer(notifications.notifications_app, name="notifications")
app.add_typer(payments.payments_app, name="payments")
app.command("simulate")(simulate.simulate)
orders_app.command("explain")(profiles.orders_explain)
_ordermesh, _fail = shell.ordermesh, shell.fail


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the database in ORDERMESH_DATABASE_URL."""
    from ordermesh.adapters.db import migrate  # Alembic is slow to import; only these commands need it

    settings = Settings()
    migrate.upgrade(settings.database_url)
    console.print(f"database at [bold]{_redacted(settings.database_url)}[/bold] is up to date")


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    from ordermesh.adapters.db import migrate

    migrate.check(Settings().database_url)
    console.print("models and migrations agree")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, channel, location or analyst")],
    scope: Annotated[str | None, typer.Option(help="channel or location code for scoped roles")] = None,
    label: Annotated[str | None, typer.Option(help="a note on who holds the key")] = None,
) -> None:
    """Create an API key; the key alone is printed on the last line."""
    om = _ordermesh()
    try:
        key_id, secret = api_keys.create_key(om.uow, role, scope, label)
    except DomainError as exc:
        _fail(exc)
        return
    err.print(f"created {role} key {key_id}" + (f" for {scope}" if scope else ""))
    print(secret)


@keys_app.command("list")
def keys_list() -> None:
    """Every API key: id, role, scope, label, and when it was created or revoked (never the secret)."""
    keys = api_keys.list_keys(_ordermesh().uow)
    # Ids are pasted into `keys revoke`, so their column never wraps or truncates.
    widest_id = max((len(k["id"]) for k in keys), default=6)
    table = Table(Column("key id", no_wrap=True, min_width=widest_id), "role", "scope", "label", "created", "revoked")
    for k in keys:
        table.add_row(k["id"], k["role"], k["scope"] or "", k["label"] or "", str(k["created_at"])[:19],
                      str(k["revoked_at"])[:19] if k["revoked_at"] else "")
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key id shown by `keys list`")]) -> None:
    """Revoke a key; running servers refuse it within 30 seconds."""
    try:
        api_keys.revoke_key(_ordermesh().uow, key_id)
    except DomainError as exc:
        _fail(exc)
    console.print(f"revoked {key_id}")


@seed_app.command("demo")
def seed_demo() -> None:
    """Create the demo retailer: 1 warehouse, 6 stores, web/app/POS channels, 50 SKUs with stock."""
    om = _ordermesh()
    with _progress() as progress:
        task = progress.add_task("seeding stock", total=demo.demo_position_count())
        summary = demo.seed_demo(om.uow, lambda n: progress.advance(task, n))
    console.print(", ".join(f"{v} {k}" for k, v in summary.items()))


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err)


@import_app.command("stock")
def import_stock(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with columns sku,location,quantity")],
    mode: Annotated[str, typer.Option(help="count: set on hand; receive: add to it")] = "count",
    batch: Annotated[int, typer.Option(min=1, max=1000)] = 200,
) -> None:
    """Import stock from CSV. Each row is applied once, even if the import is run again after a crash."""
    if mode not in ("count", "receive"):
        raise typer.BadParameter("mode must be count or receive")
    rows = _read_stock_csv(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    om = _ordermesh()
    applied = 0
    with _progress() as progress:
        task = progress.add_task(f"importing {path.name}", total=len(rows))
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            try:
                applied += _import_chunk(om, chunk, mode, f"import:{digest}:{start}")
            except DomainError as exc:
                _fail(exc)
            progress.advance(task, len(chunk))
    console.print(f"{applied} rows applied, {len(rows) - applied} already imported before")


def _read_stock_csv(path: Path) -> list[Movement]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"sku", "location", "quantity"} - set(reader.fieldnames or [])
        if missing:
            raise typer.BadParameter(f"{path} lacks column(s) {', '.join(sorted(missing))}")
        rows = []
        for n, row in enumerate(reader, start=2):
            try:
                rows.append(Movement(row["sku"].strip(), row["location"].strip(), "", int(row["quantity"]),
                                     f"csv import line {n}"))
            except ValueError:
                raise typer.BadParameter(f"line {n}: quantity {row['quantity']!r} is not a whole number") from None
    return rows


def _import_chunk(om: Ordermesh, chunk: list[Movement], mode: str, key: str) -> int:
    from ordermesh.adapters.db.inventory import movement_key_exists

    with om.uow.writing() as conn:
        if movement_key_exists(conn, f"{key}:0"):
            return 0
        moves = [Movement(m.sku, m.location, mode, m.quantity, m.reason) for m in chunk]
        inventory.record_movements(conn, CLI, RecordMovements(moves, source="cli:import"), key_prefix=key)
    return len(chunk)


@orders_app.command("list")
def orders_list(
    channel: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """The newest orders."""
    om = _ordermesh()
    try:
        page = queries.list_orders(om.uow, CLI, channel=channel, status=status, cursor=None, limit=limit)
    except DomainError as exc:
        _fail(exc)
        return
    # The id is what one copies into `orders show`: never folded or cut short, whatever the terminal width.
    widest_id = max((len(o["id"]) for o in page["items"]), default=5)
    table = Table(Column("order", no_wrap=True, min_width=widest_id), "channel", "external id", "status", "method",
                  "customer", "created")
    for o in page["items"]:
        table.add_row(o["id"], o["channel"], o["external_id"], o["status"], o["delivery_method"] or "",
                      o["customer_email"] or "", o["created_at"][:19])
    console.print(table)


@orders_app.command("show")
def orders_show(order_id: str) -> None:
    """One order: lines, fulfillment orders, sourcing and timeline."""
    om = _ordermesh()
    try:
        order = queries.get_order(om.uow, CLI, order_id)
    except DomainError as exc:
        _fail(exc)
        return
    console.print(f"[bold]{order['id']}[/bold]  {order['channel']}/{order['external_id']}  "
                  f"[cyan]{order['status']}[/cyan]  total {order['totals']['total']} {order['currency']}")
    lines = Table("line", "sku", "qty", "unit price", "cancelled", "fulfilled", title="lines")
    for x in order["lines"]:
        lines.add_row(x["id"], x["sku"], str(x["quantity"]), x["unit_price"], str(x["cancelled_quantity"]),
                      str(x["fulfilled_quantity"]))
    console.print(lines)
    fos = Table("fulfillment order", "location", "method", "status", "units", title="fulfillment")
    for f in order["fulfillment_orders"]:
        fos.add_row(f["id"], f["location"], f["method"], f["status"], str(sum(x["quantity"] for x in f["lines"])))
    console.print(fos)
    if order["sourcing"]:
        console.print(f"sourcing: {order['sourcing']['strategy']} → "
                      f"{', '.join(c['location'] for c in order['sourcing']['candidates'] if c['chosen'])}")
    timeline = Table("when", "event", title="timeline")
    for e in order.get("timeline") or []:
        timeline.add_row(e["occurred_at"][:19], e["type"])
    console.print(timeline)


@reservations_app.command("sweep")
def reservations_sweep() -> None:
    """Release every cart hold past its expiry (the server also does this every few seconds)."""
    released = reservations.sweep_expired(_ordermesh().uow)
    console.print(f"released {released} expired cart hold(s)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes sharing the database")] = 1,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate", help="apply migrations first")] = True,
) -> None:
    """Serve the API (and docs at /docs)."""
    import uvicorn

    settings = Settings()
    if migrate_first:
        db_upgrade()
    err.print(f"Ordermesh on http://{host}:{port}  (docs: http://{host}:{port}/docs, "
              f"database: {_redacted(settings.database_url)}, workers: {workers})")
    uvicorn.run("ordermesh.entrypoints.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=os.environ.get("ORDERMESH_LOG_LEVEL", "warning"), access_log=False)


@app.command("demo")
def demo_command(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Migrate, seed the demo retailer, create an admin key, print it, and serve."""
    db_upgrade()
    seed_demo()
    om = _ordermesh()
    _, secret = api_keys.create_key(om.uow, "admin", label="make demo")
    console.rule("Ordermesh demo")
    console.print(f"URL:        http://{host}:{port}   (API docs: http://{host}:{port}/docs)")
    console.print(f"Admin key:  {secret}")
    console.print(f'Try:        curl -H "Authorization: Bearer {secret}" '
                  f'"http://{host}:{port}/api/v1/availability?channel=web&sku=TEE-BLACK"')
    console.rule()
    serve(host=host, port=port, workers=1, migrate_first=False)
