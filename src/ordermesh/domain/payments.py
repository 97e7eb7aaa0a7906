"""Payments: the provider port and the rules money follows through an order's life.

Card numbers never enter Ordermesh: a channel sends a provider token (or its own authorization
reference), and every call to a provider carries a provider-side idempotency key, so that a retry —
after a timeout, a crash, a second click — moves money at most once.
"""

from __future__ import annotations

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
