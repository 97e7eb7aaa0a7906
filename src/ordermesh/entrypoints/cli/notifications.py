"""``ordermesh notifications``: send the customer messages new events call for, by hand or from cron."""

from __future__ import annotations

from typing import Annotated

import typer

from ordermesh.entrypoints.cli.shell import console, err, ordermesh
from ordermesh.service.notifications import Notifier

notifications_app = typer.Typer(help="Customer notifications.", no_args_is_help=True)


@notifications_app.command("send")
def send(retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="first queue again the messages the mail server refused")] = False) -> None:
    """Log a message for every new event that calls for one, then send all pending messages through the
    configured sender (ORDERMESH_NOTIFY_SENDER). The server also does this every few seconds."""
    om = ordermesh()
    try:
        report = Notifier.from_settings(om.uow, om.settings).run(retry_failed=retry_failed)
    finally:
        om.close()
    if report.busy:
        err.print("another process is sending notifications right now; nothing to do here")
        return
    console.print(f"logged {report.logged} new message(s); sent {report.sent}, failed {report.failed}, "
                  f"{report.waiting} waiting for the mail server")
    if report.waiting:
        raise typer.Exit(1)
