"""Customer notifications, driven by the event feed, and the message log as the API shows it.

How a message goes out, and what a crash can do to it:

1. **Log** — the next events after the notifier's cursor are read and their messages composed; then one
   transaction writes a ``pending`` row in ``messages`` for each and moves the cursor past them (only from
   where it was read). Both commit or neither does: an event is never skipped, and the unique
   (event_id, template) makes logging the same event twice impossible anyway.
2. **Send** — each pending message goes to the sender, outside any transaction (a slow mail server must not
   hold locks or the PostgreSQL event feed), and is then marked ``sent`` or ``failed``.

A crash between 1 and 2 leaves the message pending; the next run sends it. A crash after the mail server
accepted a message but before step 2 recorded it sends it again on the next run: delivery by SMTP is
**at least once** (the copy carries the same Message-ID). With the log sender the log is the delivery, so
each message exists exactly once, logged as ``sent`` in step 1 (step 2 has nothing to do for it). A mail
server that cannot be reached leaves the messages pending (the error is noted) until a later run gets
through; a message the server refuses (a 5xx for its recipient) is ``failed`` and stays so unless
``ordermesh notifications send --retry-failed`` queues it again.

Several server processes each run a notifier: a lease in ``cursors`` lets one of them work at a time, so
that two never hand the same pending message to the mail server.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import SQLAlchemyError

from ordermesh.adapters.db import notifications as store
from ordermesh.adapters.db import outbox
from ordermesh.adapters.db.sql import as_utc, utcnow
from ordermesh.adapters.notify import Sender, make_sender
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.notifications import (
    NOTIFYING_EVENTS,
    DeliveryFailed,
    MessageStatus,
    OutgoingMessage,
    Template,
    is_stale,
    template_for,
)
from ordermesh.service.access import Principal, Role
from ordermesh.service.customer_messages import OrdersRead, compose, order_of
from ordermesh.service.lookups import optional_id
from ordermesh.service.queries import decode_cursor, encode_cursor
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso
from ordermesh.settings import Settings

log = logging.getLogger("ordermesh.notifications")
CURSOR, LEASE = "notifier", "notifier.lease"
NO_ADDRESS = "the order has no e-mail address"


@dataclass
class DispatchReport:
    logged: int = 0  # new messages written to the log
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # still pending: the mail server could not be reached
    busy: bool = False  # another process holds the lease; this run did nothing

    @property
    def anything(self) -> bool:
        return bool(self.logged or self.sent or self.failed or self.waiting)


class CursorMoved(RuntimeError):
    """Another notifier moved the cursor under this one (its lease had lapsed): this batch rolls back."""


@dataclass
class Notifier:
    uow: UnitOfWork
    sender: Sender
    public_url: str
    max_age: timedelta = timedelta(hours=48)
    batch_size: int = 100
    lease_ttl: timedelta = timedelta(minutes=2)
    holder: str = field(default_factory=lambda: f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}")
    _renewed_at: float = field(default=0.0, init=False, repr=False)

    @classmethod
    def from_settings(cls, uow: UnitOfWork, settings: Settings) -> Notifier:
        return cls(uow, make_sender(settings), settings.public_url,
                   max_age=timedelta(hours=settings.notify_max_age_hours),
                   lease_ttl=timedelta(seconds=max(120.0, 4 * settings.smtp_timeout_seconds)))

    def run(self, *, retry_failed: bool = False) -> DispatchReport:
        """Log the messages new events call for, then send everything pending."""
        report = DispatchReport()
        if not retry_failed and not self._has_work():
            return report  # the idle case is one read: no write, no lock
        if not self._renew_lease():
            report.busy = True
            return report
        try:
            if retry_failed:
                with self.uow.writing() as conn:
                    store.retry_failed(conn)
            self._log_new(report)
            self._send_pending(report)
        except CursorMoved:
            log.warning("another notifier moved the cursor; leaving the rest to it")
        finally:
            with self.uow.writing() as conn:
                store.release_lease(conn, LEASE, self.holder)
        return report

    def _has_work(self) -> bool:
        with self.uow.reading() as conn:
            after = decode_cursor(store.position(conn, CURSOR))
            return bool(outbox.page(conn, after=after, limit=1, types=NOTIFYING_EVENTS)) or store.has_pending(conn)

    def _renew_lease(self, *, unless_fresh: bool = False) -> bool:
        """Take the lease, or renew it (``unless_fresh``: only once a quarter of it has passed)."""
        if unless_fresh and time.monotonic() - self._renewed_at < self.lease_ttl.total_seconds() / 4:
            return True
        with self.uow.writing() as conn:
            taken = store.take_lease(conn, LEASE, self.holder, self.lease_ttl)
        self._renewed_at = time.monotonic() if taken else 0.0
        return taken

    def _log_new(self, report: DispatchReport) -> None:
        """Messages are composed in a read transaction; only writing them and moving the cursor takes the
        write lock (SQLite has one writer: orders wait while it is held)."""
        while True:
            with self.uow.reading() as conn:
                old = store.position(conn, CURSOR)
                events = outbox.page(conn, after=decode_cursor(old), limit=self.batch_size, types=NOTIFYING_EVENTS)
                fresh = [e for e in events if not is_stale(as_utc(e["occurred_at"]), utcnow(), self.max_age)]
                read = OrdersRead(conn, [order_of(e) for e in fresh])
                rows = [r for e in fresh if (r := self._row_for(conn, e, read))]
            if not events:
                return
            with self.uow.writing() as conn:
                rows = _still_addressed(conn, rows)
                delivered = store.log_new(conn, [r for r in rows if r["status"] == MessageStatus.SENT.value])
                report.logged += delivered + store.log_new(conn, [r for r in rows
                                                                  if r["status"] != MessageStatus.SENT.value])
                report.sent += delivered
                last = events[-1]
                if not store.advance(conn, CURSOR, old=old, new=encode_cursor(last["tx_id"], last["id"])):
                    raise CursorMoved(CURSOR)
            if len(events) < self.batch_size:
                return

    def _row_for(self, conn: Connection, event: RowMapping, read: OrdersRead) -> dict[str, Any] | None:
        try:
            message = compose(conn, event, self.public_url, read)
        except SQLAlchemyError:
            raise  # the database is in trouble: this batch rolls back and the next run tries again
        except Exception as exc:  # a template or data bug must not hold up every event behind this one
            log.exception("could not compose the message for event %s", event["id"])
            return _uncomposable(event, self.sender.name, f"could not compose: {exc.__class__.__name__}: {exc}")
        if message is None:
            return None
        # With the log sender, logging is the delivery: no pending row, no write per message to settle it.
        delivered = MessageStatus.SENT if self.sender.delivered_by_log else MessageStatus.PENDING
        status, error = (delivered, None) if message.recipient else (MessageStatus.FAILED, NO_ADDRESS)
        return {"event_id": message.event_id, "order_id": message.order_id, "customer_id": message.customer_id,
                "template": message.template.value, "recipient": message.recipient, "subject": message.subject,
                "body": message.body, "sender": self.sender.name, "status": status.value, "error": error}

    def _send_pending(self, report: DispatchReport) -> None:
        while True:
            with self.uow.reading() as conn:
                batch = store.pending(conn, self.batch_size)
            for i, row in enumerate(batch):
                if not self._renew_lease(unless_fresh=True):  # stalled past the lease: another process took over
                    return
                if not self._send(row, report):
                    report.waiting += len(batch) - i
                    return
            if len(batch) < self.batch_size:
                return

    def _send(self, row: RowMapping, report: DispatchReport) -> bool:
        """Hand one message to the sender and record the outcome; False when the mail server could not be
        reached (the message stays pending, and so do the rest: no point trying them now)."""
        status, error = MessageStatus.SENT, None
        try:
            if not row["recipient"]:  # a failed message queued again by --retry-failed still has nowhere to go
                raise DeliveryFailed(NO_ADDRESS, permanent=True)
            self.sender.send(_outgoing(row))
        except DeliveryFailed as exc:
            if not exc.permanent:
                with self.uow.writing() as conn:
                    store.note_error(conn, row["id"], exc.reason)
                log.warning("message %s stays pending: %s", row["id"], exc.reason)
                return False
            status, error = MessageStatus.FAILED, exc.reason
        except Exception as exc:  # a sender bug must not block every message behind this one
            log.exception("sender %s failed on message %s", self.sender.name, row["id"])
            status, error = MessageStatus.FAILED, f"{exc.__class__.__name__}: {exc}"
        with self.uow.writing() as conn:
            store.settle(conn, row["id"], status=status.value, sender=self.sender.name, error=error)
        if status is MessageStatus.SENT:
            report.sent += 1
        else:
            report.failed += 1
        return True


def _uncomposable(event: RowMapping, sender: str, error: str) -> dict[str, Any] | None:
    """A failed entry in the log, so that the message that could not be written is seen, not lost silently."""
    template = template_for(event["type"])
    if template is None:
        return None
    return {"event_id": event["id"], "order_id": event["order_id"], "customer_id": None, "template": template.value,
            "recipient": "", "subject": "", "body": "", "sender": sender, "status": MessageStatus.FAILED.value,
            "error": error}


def _outgoing(row: RowMapping) -> OutgoingMessage:
    return OutgoingMessage(template=Template(row["template"]), recipient=row["recipient"], subject=row["subject"],
                           body=row["body"], order_id=row["order_id"], customer_id=row["customer_id"],
                           event_id=row["event_id"])


def list_messages(uow: UnitOfWork, who: Principal, *, order_id: str | None, customer_id: str | None,
                  cursor: str | None, limit: int) -> dict[str, Any]:
    """The message log, newest first. A channel key sees the messages about its own channel's orders."""
    who.require(Role.CHANNEL, Role.ANALYST, action="read customer messages")
    if cursor is not None and not cursor.isdigit():
        raise InvalidInput(f"cursor: {cursor!r} is not a cursor from this list", field="cursor")
    with uow.reading() as conn:
        channel_id = optional_id(conn, "channel", who.scope) if who.role is Role.CHANNEL else None
        rows = store.page(conn, order_id=order_id, customer_id=customer_id, channel_id=channel_id,
                          before=int(cursor) if cursor else None, limit=limit + 1)
    page = rows[:limit]
    return {"items": [render_message(r) for r in page],
            "next_cursor": str(page[-1]["id"]) if len(rows) > limit else None}


def render_message(r: RowMapping) -> dict[str, Any]:
    return {"id": r["id"], "event_id": r["event_id"], "order_id": r["order_id"], "customer_id": r["customer_id"],
            "template": r["template"], "recipient": r["recipient"], "subject": r["subject"], "body": r["body"],
            "sender": r["sender"], "status": r["status"], "error": r["error"], "created_at": iso(r["created_at"])}


def _still_addressed(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop messages composed for an address that is no longer the order's: the customer was erased between
    composing (a read transaction) and logging."""
    emails = store.current_emails(conn, sorted({r["order_id"] for r in rows if r.get("order_id")}))
    return [r for r in rows if not r.get("order_id") or r["status"] == "failed"
            or (emails.get(r["order_id"]) or "").strip().lower() == str(r["recipient"]).strip().lower()]
