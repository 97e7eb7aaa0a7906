"""Senders of customer messages. Every message is first written to the message log (the ``messages``
table); a sender then delivers it, or refuses with ``DeliveryFailed``.

``log``: the log is the delivery (for development, demos, and shops that send through their own systems by
reading ``GET /api/v1/messages``). ``smtp``: also sent by e-mail through a mail server.
"""

from __future__ import annotations

from typing import Protocol

from ordermesh.adapters.notify.log import LogSender
from ordermesh.adapters.notify.smtp import SmtpSender
from ordermesh.domain.notifications import OutgoingMessage
from ordermesh.settings import Settings


class Sender(Protocol):
    @property
    def name(self) -> str:
        """What the message log records as the message's sender."""
        ...

    @property
    def delivered_by_log(self) -> bool:
        """True when writing the message log is the delivery: messages are logged as sent, with no send step
        (and no write transaction per message) after it."""
        ...

    def send(self, message: OutgoingMessage) -> None:
        """Deliver, or raise DeliveryFailed."""
        ...


def make_sender(settings: Settings) -> Sender:
    if settings.notify_sender == "smtp":
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return SmtpSender(host=settings.smtp_host, port=settings.smtp_port, from_address=settings.smtp_from,
                          starttls=settings.smtp_starttls, user=settings.smtp_user, password=password,
                          timeout=settings.smtp_timeout_seconds)
    return LogSender()


__all__ = ["LogSender", "Sender", "SmtpSender", "make_sender"]
