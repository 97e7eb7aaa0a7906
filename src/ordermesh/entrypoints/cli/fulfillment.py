"""``ordermesh fulfillment``: the store-work deadlines, swept by hand or from cron."""

from __future__ import annotations

import typer

from ordermesh.entrypoints.cli.shell import console, ordermesh
from ordermesh.service import fulfillment_sweep

fulfillment_app = typer.Typer(help="Store and warehouse work.", no_args_is_help=True)


@fulfillment_app.command("sweep")
def sweep() -> None:
    """Re-source fulfillment orders not accepted in time (ORDERMESH_ACCEPT_SLA_MINUTES) and expire pickups
    not collected (ORDERMESH_PICKUP_HOLD_DAYS). The server also does this every few seconds."""
    om = ordermesh()
    try:
        report = fulfillment_sweep.sweep(om.uow, om.fulfillment_policy)
    finally:
        om.close()
    console.print(f"re-sourced {report.re_sourced} unaccepted fulfillment order(s); "
                  f"expired {report.expired} uncollected pickup(s)")
