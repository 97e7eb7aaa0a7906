"""Authorizing an order's payment as the order is captured.

The provider is asked while the order is planned, before the write transaction, so no lock is held
during the call. Each placement attempt has its own provider key, reused by the attempt's internal
retries: a re-plan after a lost stock race gets the provider's first answer, not a second hold on the
customer's card. If the order is then not placed after all (no stock, a concurrent duplicate), the
authorization is voided. A decline or a provider error does not lose the sale: the order is placed on a
payment hold, which keeps it from fulfillment until someone sorts out the payment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ordermesh.adapters.db.sql import utcnow
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.ids import new_id
from ordermesh.domain.money import format_amount
from ordermesh.domain.payments import PaymentKind, PaymentProvider, PaymentStatus, ProviderUnavailable
from ordermesh.service.commands import PaymentInput

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:payments"


@dataclass(slots=True)
class Authorization:
    payment: dict[str, Any]  # the payments row; the caller fills in order_id
    hold_reason: str | None  # set when the order must wait on a payment hold
    provider: PaymentProvider
    ours: bool = True  # False: the channel's own authorization, which is the channel's to void

    @property
    def approved(self) -> bool:
        return bool(self.payment["status"] == PaymentStatus.SUCCEEDED.value)

    def event(self, channel_id: int, **extra: Any) -> dict[str, Any]:
        """``payment.authorized`` or ``payment.failed``, for the outbox (``extra`` joins its data)."""
        pay = self.payment
        return {"type": "payment.authorized" if self.approved else "payment.failed", "order_id": pay["order_id"],
                "channel_id": channel_id,
                "data": {"order_id": pay["order_id"], "payment_id": pay["id"], "kind": pay["kind"],
                         "amount": format_amount(pay["amount_minor"], pay["currency"]), "currency": pay["currency"],
                         **extra, "error": pay["error"]}}


def provider_for(providers: Mapping[str, PaymentProvider], payment: PaymentInput) -> PaymentProvider:
    provider = providers.get(payment.provider)
    if provider is None:
        known = ", ".join(sorted(providers)) or "none"
        raise InvalidInput(f"payment.provider: unknown payment provider {payment.provider!r} (configured: {known})",
                           field="payment.provider")
    if (payment.token is None) == (payment.authorization is None):
        raise InvalidInput("payment: give either a token or an authorization reference, not both or neither",
                           field="payment.token")
    return provider


def authorize(providers: Mapping[str, PaymentProvider], payment: PaymentInput, *, amount_minor: int,
              currency: str, attempt: str, actor: str) -> Authorization:
    """Authorize ``amount_minor`` (or record the channel's own authorization)."""
    provider = provider_for(providers, payment)
    now = utcnow()
    row: dict[str, Any] = {
        "id": new_id("pay"), "order_id": None, "kind": PaymentKind.AUTHORIZATION.value, "amount_minor": amount_minor,
        "currency": currency, "provider": provider.name, "provider_key": f"auth:{attempt}", "provider_ref": None,
        "authorization_id": None, "fulfillment_order_id": None, "return_id": None, "error": None, "actor": actor,
        "status": PaymentStatus.SUCCEEDED.value, "created_at": now, "updated_at": now}
    if payment.authorization is not None:  # authorized by the channel: nothing to ask
        return Authorization({**row, "provider_ref": payment.authorization}, None, provider, ours=False)
    assert payment.token is not None  # provider_for checked that one of the two is there
    try:
        answer = provider.authorize(key=row["provider_key"], token=payment.token, amount_minor=amount_minor,
                                    currency=currency)
    except ProviderUnavailable as exc:
        reason = f"payment provider {provider.name} unavailable: {exc}"
        return Authorization({**row, "status": PaymentStatus.FAILED.value, "error": str(exc)[:500]}, reason, provider)
    if not answer.approved:
        reason = f"payment authorization declined: {answer.message or 'no reason given'}"
        return Authorization({**row, "status": PaymentStatus.FAILED.value, "error": answer.message}, reason, provider)
    return Authorization({**row, "provider_ref": answer.reference}, None, provider)


def void_unplaced(authorization: Authorization | None) -> None:
    """The order this authorization was for was not placed: give the customer's money back at once."""
    if authorization is None or not authorization.ours or not authorization.approved:
        return
    key = f"void:{authorization.payment['provider_key']}"
    try:
        authorization.provider.void(key=key, authorization=authorization.payment["provider_ref"])
    except ProviderUnavailable:  # the provider lets unused authorizations lapse; say so and move on
        log.warning("could not void authorization %s of an order that was not placed",
                    authorization.payment["provider_ref"])
