"""Payments: the provider port and the rules money follows through an order's life.

Card numbers never enter Ordermesh: a channel sends a provider token (or its own authorization
reference), and every call to a provider carries a provider-side idempotency key, so that a retry —
after a timeout, a crash, a second click — moves money at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class PaymentKind(StrEnum):
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class PaymentStatus(StrEnum):
    PENDING = "pending"  # written, not yet answered by the provider
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """What a provider answered. ``declined`` is the customer's problem (card refused); an exception from
    the provider (``ProviderUnavailable``) is the provider's, and worth a retry with the same key."""

    approved: bool
    reference: str | None = None
    message: str | None = None


class ProviderUnavailable(Exception):
    """The provider errored or timed out: the outcome is unknown, retry with the same key."""


class PaymentProvider(Protocol):
    name: str

    def authorize(self, *, key: str, token: str, amount_minor: int, currency: str) -> ProviderResult: ...

    def capture(self, *, key: str, authorization: str, amount_minor: int, currency: str) -> ProviderResult: ...

    def void(self, *, key: str, authorization: str) -> ProviderResult: ...

    def refund(self, *, key: str, authorization: str, amount_minor: int, currency: str) -> ProviderResult: ...

    def close(self) -> None:
        """Let go of connections (the server is shutting down)."""


@dataclass(frozen=True, slots=True)
class PaymentTotals:
    """An order's money so far, from its payments: what was authorized, captured and refunded."""

    authorized: int = 0  # succeeded authorizations less those voided since
    captured: int = 0  # succeeded captures
    refunded: int = 0  # succeeded refunds
    refunding: int = 0  # refunds decided but not yet answered by the provider
    voided: bool = False  # some authorization of the order was voided

    @property
    def refundable(self) -> int:
        """Captured money not yet refunded; a pending refund counts as taken, so two cannot overlap."""
        return max(0, self.captured - self.refunded - self.refunding)


def payment_totals(entries: Iterable[tuple[str, str, int]]) -> PaymentTotals:
    """Sum ``(kind, status, amount_minor)`` payments into an order's totals."""
    sums: dict[tuple[str, str], int] = {}
    for kind, status, amount in entries:
        sums[(kind, status)] = sums.get((kind, status), 0) + amount
    ok, pending = PaymentStatus.SUCCEEDED, PaymentStatus.PENDING
    voided = sums.get((PaymentKind.VOID, ok), 0)  # a void is for its authorization's whole amount
    return PaymentTotals(authorized=max(0, sums.get((PaymentKind.AUTHORIZATION, ok), 0) - voided),
                         captured=sums.get((PaymentKind.CAPTURE, ok), 0),
                         refunded=sums.get((PaymentKind.REFUND, ok), 0),
                         refunding=sums.get((PaymentKind.REFUND, pending), 0), voided=voided > 0)
