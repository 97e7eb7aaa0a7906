"""The ``ordermesh`` command line against a real SQLite file named by ORDERMESH_DATABASE_URL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from ordermesh.bootstrap import Ordermesh, bootstrap
from ordermesh.entrypoints.api.app import create_app
from ordermesh.entrypoints.cli import main as cli
from ordermesh.entrypoints.cli.main import app
from ordermesh.service.access import Role
from ordermesh.service.api_keys import create_key
from ordermesh.settings import Settings
from tests.support.databases import fresh_database
from tests.support.network import BERLIN, Api


def ordermesh(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"ORDERMESH_DATABASE_URL": url, "COLUMNS": "200"})


@cache
def _seeded_template(root: str) -> Path:
    """One demo retailer per test process, copied for each test (seeding is the slow part)."""
    path = Path(root) / "seeded.db"
    with fresh_database("sqlite", Path(root)) as url:
        seeded = ordermesh(url, "seed", "demo")
        assert seeded.exit_code == 0, seeded.output
        # The CLI's connections may still hold pages in the WAL: copy through SQLite, not the file system.
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as source, \
                closing(sqlite3.connect(path)) as target:
            source.backup(target)
    return path


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[str]:
    with fresh_database("sqlite", tmp_path) as url:
        yield url


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    path = tmp_path / "demo.db"
    shutil.copyfile(_seeded_template(str(tmp_path.parent)), path)
    return f"sqlite:///{path}"


@pytest.fixture
def om(demo_db: str) -> Iterator[Ordermesh]:  # the same database the CLI works on, for arranging and checking
    running = bootstrap(Settings(database_url=demo_db, sweep_interval_seconds=0, pool_size=2))
    yield running
    running.close()


@pytest.fixture
def api(om: Ordermesh) -> Iterator[Api]:
    with TestClient(create_app(om=om), raise_server_exceptions=False) as client:
        yield Api(client, create_key(om.uow, "admin")[1])


def on_hand(api: Api, sku: str, location: str) -> int:
    return int(api.position(sku, location)["on_hand"])


def test_db_upgrade_builds_a_new_database_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'ordermesh.db'}"
    upgraded = ordermesh(url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in upgraded.stdout
    assert (tmp_path / "fresh" / "ordermesh.db").exists()
    checked = ordermesh(url, "db", "check")
    assert checked.exit_code == 0 and "agree" in checked.stdout


def test_keys_create_prints_the_key_alone_on_the_last_line(empty_db: str) -> None:
    """The real executable, as a deployment script would call it: stdout's last line is the key."""
    env = {**os.environ, "ORDERMESH_DATABASE_URL": empty_db}
    executable = Path(sys.executable).parent / "ordermesh"
    done = subprocess.run([str(executable), "keys", "create", "--role", "admin", "--label", "deploy"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    secret = done.stdout.splitlines()[-1]
    assert secret == secret.strip() and secret.startswith("om_") and " " not in secret
    running = bootstrap(Settings(database_url=empty_db, sweep_interval_seconds=0))
    try:
        principal = running.keys.principal(secret)
        assert principal is not None and principal.role is Role.ADMIN
    finally:
        running.close()


def test_a_scoped_key_is_made_for_an_existing_scope(demo_db: str, api: Api) -> None:
    made = ordermesh(demo_db, "keys", "create", "--role", "channel", "--scope", "web")
    assert made.exit_code == 0, made.output
    web = Api(api.client, made.stdout.splitlines()[-1])
    assert web.ok(web.get("/availability", channel="web", sku="TEE-BLACK"))["items"][0]["sku"] == "TEE-BLACK"
    assert web.get("/availability", channel="pos", sku="TEE-BLACK").status_code == 404


@pytest.mark.parametrize("args", [
    ["--role", "channel"],
    ["--role", "location"],
    ["--role", "channel", "--scope", "no-such-channel"],
    ["--role", "admin", "--scope", "web"],
    ["--role", "superuser"],
])
def test_keys_create_refuses_a_role_without_its_scope(demo_db: str, args: list[str]) -> None:
    refused = ordermesh(demo_db, "keys", "create", *args)
    assert refused.exit_code != 0
    assert refused.stdout.strip() == ""  # no key printed, so a script cannot pick up a wrong one
    assert "error" in refused.stderr


def test_seeding_builds_the_demo_retailer(demo_db: str, api: Api) -> None:
    assert {x["code"] for x in api.ok(api.get("/channels"))["items"]} == {"web", "app", "pos"}
    assert len(api.ok(api.get("/locations"))["items"]) == 7
    assert api.ok(api.get("/availability", channel="web", sku="TEE-BLACK"))["items"][0]["available"] > 0
    again = ordermesh(demo_db, "seed", "demo")  # re-seeding is safe
    assert again.exit_code == 0 and "350 positions" in again.stdout


def test_a_stock_import_applies_each_row_once(demo_db: str, api: Api, tmp_path: Path) -> None:
    csv = tmp_path / "snapshot.csv"
    csv.write_text("sku,location,quantity\nTEE-BLACK,STORE-BERLIN,17\nCAP-RED,WH-KASSEL,3\n")
    first = ordermesh(demo_db, "import", "stock", str(csv))
    assert first.exit_code == 0, first.output
    assert "2 rows applied, 0 already imported" in first.stdout
    assert on_hand(api, "TEE-BLACK", "STORE-BERLIN") == 17 and on_hand(api, "CAP-RED", "WH-KASSEL") == 3
    api.ok(api.post("/inventory/movements", {"movements": [
        {"sku": "TEE-BLACK", "location": "STORE-BERLIN", "type": "adjust", "quantity": -2}]}), 201)
    second = ordermesh(demo_db, "import", "stock", str(csv))
    assert second.exit_code == 0, second.output
    assert "0 rows applied, 2 already imported" in second.stdout
    assert on_hand(api, "TEE-BLACK", "STORE-BERLIN") == 15  # the rerun did not count it back to 17


def test_a_stock_import_with_a_bad_row_applies_nothing(demo_db: str, api: Api, tmp_path: Path) -> None:
    before = on_hand(api, "TEE-BLACK", "STORE-BERLIN")
    csv = tmp_path / "bad.csv"
    csv.write_text("sku,location,quantity\nTEE-BLACK,STORE-BERLIN,99\nNO-SUCH-SKU,WH-KASSEL,3\n")
    refused = ordermesh(demo_db, "import", "stock", str(csv))
    assert refused.exit_code != 0
    assert "NO-SUCH-SKU" in refused.stderr
    assert on_hand(api, "TEE-BLACK", "STORE-BERLIN") == before
    for content, complaint in (("sku,quantity\nTEE-BLACK,1\n", "location"),
                               ("sku,location,quantity\nTEE-BLACK,WH-KASSEL,lots\n", "lots")):
        csv.write_text(content)
        broken = ordermesh(demo_db, "import", "stock", str(csv))
        assert broken.exit_code != 0 and complaint in broken.output


def test_orders_list_and_show_render_an_order(demo_db: str, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    placed = api.ok(api.post("/orders", {
        "channel": "web", "external_id": "CLI-1", "currency": "EUR", "customer": {"email": "ana@example.com"},
        "lines": [{"sku": "TEE-BLACK", "quantity": 1, "unit_price": "19.99"}],
        "delivery": {"method": "ship", "address": BERLIN}}), 201)
    monkeypatch.setattr(cli.console, "_width", 200)
    listed = ordermesh(demo_db, "orders", "list")
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if placed["id"] in line)
    assert all(text in row for text in ("web", "CLI-1", "confirmed", "ship", "ana@example.com"))
    assert "CLI-1" not in ordermesh(demo_db, "orders", "list", "--channel", "pos").stdout
    shown = ordermesh(demo_db, "orders", "show", placed["id"])
    assert shown.exit_code == 0, shown.output
    for text in (placed["id"], "CLI-1", "confirmed", "19.99", "TEE-BLACK", placed["fulfillment_orders"][0]["id"],
                 "sourcing: fewest_splits", "order.created"):
        assert text in shown.stdout, text


def test_orders_list_never_cuts_the_order_id_short(demo_db: str, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The id is what one copies into `orders show`, even on an 80-column terminal."""
    placed = api.ok(api.post("/orders", {
        "channel": "web", "external_id": "CLI-2", "currency": "EUR", "customer": {"email": "ana@example.com"},
        "lines": [{"sku": "TEE-BLACK", "quantity": 1, "unit_price": "19.99"}],
        "delivery": {"method": "ship", "address": BERLIN}}), 201)
    monkeypatch.setattr(cli.console, "_width", 80)
    listed = ordermesh(demo_db, "orders", "list")
    assert listed.exit_code == 0 and placed["id"] in listed.stdout
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80


def test_orders_show_explains_an_unknown_order(demo_db: str) -> None:
    missing = ordermesh(demo_db, "orders", "show", "ord_nope")
    assert missing.exit_code != 0 and "not found" in missing.stderr


def test_reservations_sweep_releases_expired_holds(demo_db: str, api: Api) -> None:
    reserved_before = api.position("TEE-BLACK", "WH-KASSEL")["reserved"]
    hold: dict[str, Any] = api.ok(api.post("/reservations", {
        "channel": "web", "lines": [{"sku": "TEE-BLACK", "quantity": 2}], "ttl_seconds": 1,
        "location": "WH-KASSEL"}), 201)
    assert api.position("TEE-BLACK", "WH-KASSEL")["reserved"] == reserved_before + 2
    nothing_yet = ordermesh(demo_db, "reservations", "sweep")
    assert nothing_yet.exit_code == 0 and "released 0" in nothing_yet.stdout
    time.sleep(1.1)
    swept = ordermesh(demo_db, "reservations", "sweep")
    assert swept.exit_code == 0, swept.output
    assert "released 1 expired cart hold" in swept.stdout
    assert api.position("TEE-BLACK", "WH-KASSEL")["reserved"] == reserved_before
    assert api.ok(api.get(f"/reservations/{hold['id']}"))["status"] == "expired"
    assert "released 0" in ordermesh(demo_db, "reservations", "sweep").stdout


def test_a_revoked_key_is_listed_as_revoked_and_refused_by_a_new_server(
        empty_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli.console, "_width", 200)  # the console took its width when the module was imported
    created = ordermesh(empty_db, "keys", "create", "--role", "admin", "--label", "till 3")
    secret = created.stdout.strip().splitlines()[-1]
    listed = ordermesh(empty_db, "keys", "list")
    assert listed.exit_code == 0 and "till 3" in listed.stdout and secret not in listed.stdout
    key_id = next(line.split()[1] for line in listed.stdout.splitlines() if "till 3" in line)
    assert ordermesh(empty_db, "keys", "revoke", key_id).exit_code == 0
    assert ordermesh(empty_db, "keys", "revoke", key_id).exit_code != 0  # already revoked
    running = bootstrap(Settings(database_url=empty_db, sweep_interval_seconds=0, pool_size=2))
    try:
        with TestClient(create_app(om=running)) as client:
            refused = client.get("/api/v1/skus", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 401
    finally:
        running.close()
