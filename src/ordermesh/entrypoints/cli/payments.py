"""``ordermesh payments``: settle the payments a provider has not answered yet, by hand or from cron."""

from __future__ import annotations

from typing import Annotated

import typer

from ordermesh.entrypoints.cli.shell import console, ordermesh
from ordermesh.service import payments

payments_app = typer.Typer(help="Payments.", no_args_is_help=True)


@payments_app.command("settle")
def settle(min_age: Annotated[float, typer.Option(
        "--min-age", help="only payments nobody has tried for this many seconds")] = 0) -> None:
    """Ask the provider again, with the same key, about every pending capture, refund, void and
    re-authorization (a lost answer, a crash between the decision and the provider's answer). The
    provider recognises the key, so money moves once. The server also does this in the background."""
    om = ordermesh()
    try:
        report = payments.settle_pending(om.uow, om.providers, min_age_seconds=min_age, limit=10_000)
    finally:
        om.close()
    console.print(f"settled {report.settled} payment(s); {report.pending} still without an answer")
    if report.pending:
        raise typer.Exit(1)
