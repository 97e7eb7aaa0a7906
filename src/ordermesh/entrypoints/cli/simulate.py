"""``ordermesh simulate``: replay a seeded order stream over a real-geography network under two sourcing
profiles (shadow mode) and compare cost, parcels, splits, distance, fill rate and capacity side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ordermesh.domain.errors import DomainError
from ordermesh.domain.sourcing import DEFAULT_PROFILE, profile_to_doc
from ordermesh.entrypoints.cli.shell import CLI, console, fail, ordermesh
from ordermesh.service import profiles
from ordermesh.service.simulation import runner
from ordermesh.service.simulation.network import build_network
from ordermesh.service.simulation.orders import generate_orders
from ordermesh.service.simulation.report import render_comparison, summarise, summary_to_dict

MIN_COST = "min-cost"


def simulate(
    compare: Annotated[tuple[str, str], typer.Option(
        help="the two profiles: `built-in`, `min-cost` (the shipped optimiser), a .yaml/.json file, or a "
             "profile code saved in this Ordermesh's database")] = (profiles.BUILT_IN, MIN_COST),
    orders: Annotated[int, typer.Option(min=1, max=100_000, help="orders in the stream")] = 1000,
    seed: Annotated[int, typer.Option(help="the same seed gives the same network and orders")] = 7,
    stores: Annotated[int, typer.Option(min=1, max=500)] = 50,
    warehouses: Annotated[int, typer.Option(min=1, max=50)] = 3,
    country: Annotated[str, typer.Option(help="ISO country code whose cities make the network")] = "US",
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """Shadow mode: the same orders through the real service layer under profiles A and B."""
    documents = [_profile(name) for name in compare]
    network = build_network(seed, warehouses=warehouses, stores=stores, country=country)
    stream = generate_orders(network, orders, seed)
    results = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, disable=as_json) as bar:
        for name, document in zip(compare, documents, strict=True):
            task = bar.add_task(f"profile {name}", total=len(stream))
            results.append(summarise(runner.run(network, stream, document,
                                                lambda n, task=task: bar.advance(task, n))))  # type: ignore[misc]
    a, b = results
    if as_json:
        typer.echo(json.dumps({"seed": seed, "orders": orders, "stores": stores, "warehouses": warehouses,
                               "country": country, compare[0]: summary_to_dict(a), compare[1]: summary_to_dict(b)},
                              indent=2))
        return
    console.print(f"{len(network.warehouses)} warehouses and {len(network.stores)} stores in {country}, "
                  f"{len(network.skus)} SKUs, {orders} orders, seed {seed}")
    console.print(render_comparison(compare[0], a, compare[1], b, currency=network.currency))


def _profile(name: str) -> dict[str, Any] | None:
    if name == profiles.BUILT_IN:
        return None
    if name == MIN_COST:
        return profile_to_doc(DEFAULT_PROFILE)
    path = Path(name)
    if path.suffix in (".yaml", ".yml", ".json"):
        if not path.is_file():
            raise typer.BadParameter(f"no such profile file: {path}", param_hint="--compare")
        loaded = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
        if not isinstance(loaded, dict):
            raise typer.BadParameter(f"{path} does not hold a profile", param_hint="--compare")
        loaded.pop("code", None)
        return loaded
    try:
        document: dict[str, Any] = profiles.show(ordermesh().uow, CLI, name)["document"]
    except DomainError as exc:
        fail(exc)
        raise
    return document
