"""``ordermesh profiles …`` (import, export, list, show, activate) and ``ordermesh orders explain``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from ordermesh.domain.errors import DomainError
from ordermesh.entrypoints.cli.shell import CLI, console, fail, ordermesh
from ordermesh.service import profiles, queries

profiles_app = typer.Typer(help="Sourcing profiles: how each channel's orders are routed.", no_args_is_help=True)


@profiles_app.command("import")
def profiles_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a .yaml/.yml or .json profile")],
    code: Annotated[str | None, typer.Option(help="profile code (default: the file's `code`, else its name)")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="save without activating it")] = False,
    note: Annotated[str | None, typer.Option(help="what changed, kept in the history")] = None,
) -> None:
    """Save a profile file as the next version (validated first; a bad field is named)."""
    document = _read(path)
    code = code or document.pop("code", None) or path.stem
    document.pop("code", None)
    try:
        saved = profiles.save(ordermesh().uow, CLI, code, document, activate=not draft, note=note)
    except DomainError as exc:
        fail(exc)
        return
    console.print(f"saved [bold]{saved['code']}[/bold] version {saved['version']} ({saved['status']})")


@profiles_app.command("export")
def profiles_export(
    code: str,
    version: Annotated[int | None, typer.Option(help="a saved version (default: the active one)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json")] = "yaml",
) -> None:
    """Print a profile as YAML or JSON, ready to edit and import again."""
    try:
        shown = profiles.show(ordermesh().uow, CLI, code, version)
    except DomainError as exc:
        fail(exc)
        return
    document = {"code": code, **shown["document"]}
    text = json.dumps(document, indent=2) if fmt == "json" else yaml.safe_dump(document, sort_keys=False)
    typer.echo(text, nl=False)


@profiles_app.command("list")
def profiles_list() -> None:
    """Every profile with its active version and the channels that use it."""
    found = profiles.list_all(ordermesh().uow, CLI)
    table = Table("profile", "active version", "versions", "channels", title="sourcing profiles")
    for p in found["items"]:
        table.add_row(p["code"], str(p["active_version"] or "-"), str(p["versions"]), ", ".join(p["channels"]))
    table.add_row(profiles.BUILT_IN, "-", "-", "channels without a profile", style="dim")
    console.print(table)


@profiles_app.command("show")
def profiles_show(code: str, version: Annotated[int | None, typer.Option()] = None) -> None:
    """A profile's strategies and its version history."""
    try:
        shown = profiles.show(ordermesh().uow, CLI, code, version)
    except DomainError as exc:
        fail(exc)
        return
    console.print(f"[bold]{code}[/bold] version {shown['version']} ({shown['status']}), "
                  f"channels: {', '.join(shown['channels']) or 'none'}")
    strategies = Table("#", "strategy", "type", "max splits", "conditions", title="strategies, in order")
    docs = shown["document"]["strategies"] + ([shown["document"]["fallback"]] if shown["document"].get("fallback")
                                              else [])
    for i, s in enumerate(docs, 1):
        label = "fallback" if i > len(shown["document"]["strategies"]) else str(i)
        strategies.add_row(label, s["name"], s["type"], str(s.get("max_splits") or "-"), _conditions(s))
    console.print(strategies)
    history = Table("version", "status", "saved by", "at", "note", title="history")
    for h in shown["history"]:
        history.add_row(str(h["version"]), h["status"], h["created_by"], h["created_at"][:19], h["note"] or "")
    console.print(history)


@profiles_app.command("activate")
def profiles_activate(code: str, version: int) -> None:
    """Make a saved version the active one (e.g. roll back)."""
    try:
        shown = profiles.activate_version(ordermesh().uow, CLI, code, version)
    except DomainError as exc:
        fail(exc)
        return
    console.print(f"[bold]{code}[/bold] version {shown['version']} is active")


def orders_explain(order_id: str) -> None:
    """Why the order went where it went: profile, strategies tried, candidates with scores, cost."""
    try:
        order = queries.get_order(ordermesh().uow, CLI, order_id)
    except DomainError as exc:
        fail(exc)
        return
    sourcing = order.get("sourcing")
    if not sourcing:
        console.print("no sourcing decision")
        return
    console.print(f"[bold]{order['id']}[/bold]: {sourcing['trigger']} under profile {sourcing.get('profile')} "
                  f"v{sourcing.get('profile_version') or '-'}, strategy [cyan]{sourcing['strategy']}[/cyan]")
    for t in sourcing.get("tried") or []:
        console.print(f"  tried {t['strategy']}: {t['outcome']}{' — ' + t['reason'] if t.get('reason') else ''}")
    console.print(_candidates_table(sourcing["candidates"]))
    if sourcing.get("cost"):
        cost = sourcing["cost"]
        console.print(f"cost: shipping {cost.get('shipping_per_parcel', 0) + cost.get('shipping_per_kg', 0)}"
                      f" + per km {cost.get('shipping_per_km', 0)} + handling {cost.get('handling', 0)}"
                      f" + split penalty {cost.get('split_penalty', 0)} = [bold]{cost['total']}[/bold] (minor units)")
    if sourcing.get("optimisation"):
        o = sourcing["optimisation"]
        console.print(f"optimiser: {o.get('method')}, cost {o.get('cost')} against the best greedy "
                      f"{(o.get('greedy_best') or {}).get('cost')}")


def _candidates_table(candidates: list[dict[str, Any]]) -> Table:
    table = Table("location", "km", "units", "chosen", "scores", "excluded", title="candidates")
    for c in candidates:
        scores = c.get("scores") or {}
        table.add_row(c["location"], "" if c.get("distance_km") is None else f"{c['distance_km']:.1f}",
                      str(c.get("fillable_units", "")), "✔" if c.get("chosen") else "",
                      " ".join(f"{k}={v:.2f}" for k, v in scores.items() if isinstance(v, int | float)),
                      c.get("excluded") or "")
    return table


def _conditions(strategy: dict[str, Any]) -> str:
    cond = strategy.get("conditions") or {}
    parts = [f"{k}={v}" for k, v in cond.items() if v not in (None, [], {})]
    return ", ".join(parts) or "every order"


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text()
    loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise typer.BadParameter(f"{path} does not hold a profile (a mapping with `strategies`)")
    return loaded
