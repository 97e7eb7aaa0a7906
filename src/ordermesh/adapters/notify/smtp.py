"""Sending customer messages by e-mail through an SMTP server (``smtplib``; STARTTLS and login optional).

A refusal that concerns this message (a 5xx reply to its recipient or its data) is permanent: the message
is marked failed. Anything else — the server unreachable, a timeout, a 4xx reply, a refused login or sender
address — is the mail set-up's problem, not the message's: it stays pending and goes out on a later run.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from ordermesh.domain.notifications import DeliveryFailed, OutgoingMessage


@dataclass(frozen=True, slots=True)
class SmtpSender:
    host: str
    port: int
    from_address: str
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 10.0
    name: str = "smtp"
    delivered_by_log: bool = False

    def send(self, message: OutgoingMessage) -> None:
        mail = self._compose(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryFailed(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) \
                from exc
        except smtplib.SMTPDataError as exc:
            raise DeliveryFailed(f"message refused: {exc.smtp_code} {exc.smtp_error!r}",
                                 permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"mail server {self.host}:{self.port}: {exc.__class__.__name__}: {exc}",
                                 permanent=False) from exc

    def _compose(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage()
        try:
            mail["From"] = self.from_address
            mail["To"] = message.recipient
            mail["Subject"] = message.subject
        except (ValueError, IndexError) as exc:  # a malformed address or header: this message can never go
            raise DeliveryFailed(f"cannot address the message: {exc}", permanent=True) from exc
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = self._message_id(message)
        mail.set_content(message.body)
        return mail

    def _message_id(self, message: OutgoingMessage) -> str:
        """The same event and template always get the same Message-ID: should a crash between the server's
        acceptance and our record of it send a message twice, mail systems can recognise the copy."""
        domain = parseaddr(self.from_address)[1].rpartition("@")[2] or "localhost"
        if message.event_id is None:
            return make_msgid(domain=domain)
        return f"<ordermesh.{message.event_id}.{message.template.value}@{domain}>"
