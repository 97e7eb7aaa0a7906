"""The default sender: the message log is the delivery, so there is nothing more to do."""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.domain.notifications import OutgoingMessage


@dataclass(frozen=True, slots=True)
class LogSender:
    name: str = "log"
    delivered_by_log: bool = True

    def send(self, message: OutgoingMessage) -> None:
        return None
