"""The command line for sourcing: profiles import/export/activate, orders explain, and simulate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ordermesh.entrypoints.cli import main as cli
from tests.e2e.test_cli import api, demo_db, om, ordermesh  # noqa: F401 — the fixtures these tests share
from tests.support.network import BERLIN, Api

STORE_FIRST = {"code": "store-first", "strategies": [
    {"type": "nearest", "criteria": {"location_types": ["store"], "max_distance_km": 50}}],
    "fallback": {"type": "fewest_splits"}}


def test_a_profile_file_round_trips_through_import_and_export(demo_db: str, tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "store-first.yaml"
    source.write_text(yaml.safe_dump(STORE_FIRST))
    imported = ordermesh(demo_db, "profiles", "import", str(source))
    assert imported.exit_code == 0, imported.output
    assert "store-first version 1 (active)" in imported.stdout
    exported = ordermesh(demo_db, "profiles", "export", "store-first", "--format", "json")
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    assert document["strategies"][0]["criteria"]["max_distance_km"] == 50
    again = tmp_path / "again.json"
    again.write_text(exported.stdout)
    assert ordermesh(demo_db, "profiles", "import", str(again), "--draft").exit_code == 0
    listed = ordermesh(demo_db, "profiles", "list")
    assert "store-first" in listed.stdout and "built-in" in listed.stdout
    assert ordermesh(demo_db, "profiles", "activate", "store-first", "2").exit_code == 0
    shown = ordermesh(demo_db, "profiles", "show", "store-first")
    assert "version 2 (active)" in shown.stdout and "retired" in shown.stdout


def test_a_bad_profile_file_is_refused_naming_the_field(demo_db: str, tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "bad.yaml"
    source.write_text(yaml.safe_dump({"strategies": [{"type": "nearest", "max_splits": 0}]}))
    refused = ordermesh(demo_db, "profiles", "import", str(source))
    assert refused.exit_code == 2
    assert "strategies[0].max_splits" in refused.output


def test_orders_explain_shows_the_candidates_and_the_winner(demo_db: str, api: Api,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    placed = api.ok(api.post("/orders", {
        "channel": "web", "external_id": "EXPLAIN-1", "currency": "EUR", "customer": {"email": "ana@example.com"},
        "lines": [{"sku": "TEE-BLACK", "quantity": 1, "unit_price": "19.99"}],
        "delivery": {"method": "ship", "address": BERLIN}}), 201)
    monkeypatch.setattr(cli.console, "_width", 200)
    explained = ordermesh(demo_db, "orders", "explain", placed["id"])
    assert explained.exit_code == 0, explained.output
    chosen = placed["fulfillment_orders"][0]["location"]
    row = next(line for line in explained.stdout.splitlines() if chosen in line and "✔" in line)
    assert f"{placed['sourcing']['candidates'][0]['distance_km']:.1f}" in row
    assert "profile built-in" in explained.stdout and "tried fewest_splits_then_nearest: chosen" in explained.stdout


def test_simulate_compares_two_profiles_on_the_same_orders(tmp_path: Path) -> None:
    args = ["simulate", "--orders", "40", "--stores", "8", "--warehouses", "2", "--seed", "3", "--json"]
    result = ordermesh(f"sqlite:///{tmp_path / 'unused.db'}", *args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    built_in, min_cost = report["built-in"], report["min-cost"]
    for summary in (built_in, min_cost):
        assert summary["orders"] == 40
        assert summary["placed"] + summary["refused"] == 40 and summary["placed"] > 0
        assert summary["units_allocated"] <= summary["units_requested"]
        assert summary["capacity_overflows"] == 0  # read back from the bookings, not assumed
    assert built_in["total_cost_minor"] > 0 and min_cost["total_cost_minor"] > 0
    # The same seed is the same network and the same orders: a second run reports exactly the same.
    again = ordermesh(f"sqlite:///{tmp_path / 'unused.db'}", *args)
    assert json.loads(again.stdout) == report
