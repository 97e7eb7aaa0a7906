"""What every CLI command shares: the consoles, the CLI's identity, and how it reports a refusal."""

from __future__ import annotations

import typer
from rich.console import Console

from ordermesh.bootstrap import Ordermesh, bootstrap
from ordermesh.domain.errors import DomainError
from ordermesh.service.access import Principal, Role
from ordermesh.settings import Settings

console = Console()
err = Console(stderr=True)
CLI = Principal("cli", Role.ADMIN)


def ordermesh() -> Ordermesh:
    return bootstrap(Settings())


def fail(exc: DomainError) -> None:
    err.print(f"[red]error:[/red] {exc.detail}")
    raise typer.Exit(2)
