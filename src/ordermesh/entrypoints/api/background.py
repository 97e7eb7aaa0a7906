"""The server's background work: a daemon thread per job, running it every few seconds until shutdown.

Jobs: the sweeper (expired cart holds, fulfillment deadlines, unanswered payments) and the notifier
(customer messages from the event feed; see service/notifications.py). Each worker process runs both; the
jobs themselves make sure two processes never do the same piece of work twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from ordermesh.bootstrap import Ordermesh
from ordermesh.service import fulfillment_sweep, settlement
from ordermesh.service.notifications import Notifier
from ordermesh.service.reservations import sweep_expired

log = logging.getLogger("ordermesh.background")
T = TypeVar("T")


class Every:
    """Runs ``job`` every ``interval`` seconds in a daemon thread; an interval of 0 never starts it."""

    def __init__(self, name: str, interval: float, job: Callable[[], None]) -> None:
        self.interval, self.job = interval, job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        if self.interval > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.job()


def sweeper(om: Ordermesh) -> Every:
    """Releases expired cart holds, re-sources fulfillment orders not accepted in time, expires uncollected
    pickups, and asks the provider again about payments it did not answer (under their own keys)."""

    def sweep() -> None:
        # Each step must survive a database hiccup and try again next time, whatever the others did.
        _logged("sweeping expired cart holds", lambda: sweep_expired(om.uow), "released %d expired cart holds")
        _logged("sweeping fulfillment deadlines", lambda: _fulfillment_deadlines(om))
        _logged("settling pending payments", lambda: settlement.settle_pending(
            om.uow, om.providers, min_age_seconds=om.settings.payment_retry_seconds))

    return Every("ordermesh-sweeper", om.settings.sweep_interval_seconds, sweep)


def notifier(om: Ordermesh) -> Every:
    """Sends the customer messages new events call for (``ORDERMESH_NOTIFY_INTERVAL_SECONDS=0``: off, e.g. to
    send from cron with ``ordermesh notifications send`` instead)."""
    sender = Notifier.from_settings(om.uow, om.settings)

    def notify() -> None:
        report = _logged("sending customer notifications", sender.run)
        if report is not None and report.anything:
            log.info("notifications: %d logged, %d sent, %d failed, %d waiting for the mail server",
                     report.logged, report.sent, report.failed, report.waiting)

    return Every("ordermesh-notifier", om.settings.notify_interval_seconds, notify)


def _fulfillment_deadlines(om: Ordermesh) -> None:
    swept = fulfillment_sweep.sweep(om.uow, om.fulfillment_policy)
    if swept.re_sourced or swept.expired:
        log.info("re-sourced %d unaccepted fulfillment orders, expired %d uncollected pickups",
                 swept.re_sourced, swept.expired)


def _logged(what: str, step: Callable[[], T], done: str | None = None) -> T | None:
    try:
        result = step()
    except Exception:
        log.exception("%s failed", what)
        return None
    if done and result:
        log.info(done, result)
    return result
