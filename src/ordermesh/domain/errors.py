"""Domain errors.

Each error carries a stable ``slug`` (the last segment of the RFC 9457 problem ``type``) and names the
field or object at fault, so that every entrypoint can explain a refusal the same way. The domain knows
nothing about HTTP: the API maps slugs to status codes.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    slug = "domain-error"
    title = "Request refused"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class InvalidInput(DomainError):
    slug = "validation-error"
    title = "Invalid input"


class NotFound(DomainError):
    slug = "not-found"
    title = "Not found"


class Forbidden(DomainError):
    slug = "forbidden"
    title = "Not allowed for this API key"


class Conflict(DomainError):
    slug = "conflict"
    title = "Conflict with the current state"


class InsufficientStock(Conflict):
    slug = "insufficient-stock"
    title = "Insufficient stock"

    def __init__(self, detail: str, *, skus: list[str], **extra: Any) -> None:
        super().__init__(detail, skus=skus, **extra)
        self.skus = skus


class IllegalTransition(Conflict):
    slug = "illegal-transition"
    title = "Action not allowed in the current state"


class DuplicateOrder(Conflict):
    slug = "duplicate-order"
    title = "Order already captured"


class ReservationUnavailable(Conflict):
    slug = "reservation-unavailable"
    title = "Reservation cannot be used"


class OrderOnHold(Conflict):
    slug = "order-on-hold"
    title = "Order is on hold"


class IdempotencyInProgress(Conflict):
    slug = "idempotency-key-in-use"
    title = "A request with this Idempotency-Key is still being processed"


class IdempotencyKeyReused(DomainError):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


class PickupCodeRejected(Conflict):
    slug = "pickup-code-rejected"
    title = "Pickup code not accepted"
