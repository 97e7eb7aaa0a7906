"""RFC 9457 problem responses: every refusal names its type, a human detail and the field at fault."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ordermesh.domain import errors

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("ordermesh.api")

STATUS = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.IdempotencyKeyReused: 422,
    errors.PickupCodeRejected: 422,
    errors.Conflict: 409,
}

# Every problem type we answer with, and what it means: served at /problems/{slug}.
CATALOGUE = {
    "validation-error": "A field of the request is missing, malformed or out of range; `field` names it.",
    "malformed-json": "The request body is not valid JSON.",
    "not-found": "The object does not exist, or is outside this API key's scope.",
    "forbidden": "This API key's role does not allow the action.",
    "unauthorized": "No valid API key was given (Authorization: Bearer KEY).",
    "conflict": "The request conflicts with the object's current state.",
    "insufficient-stock": "Not enough sellable stock; `skus` names the SKUs that are short.",
    "illegal-transition": "The fulfillment order's state does not allow this action.",
    "duplicate-order": "The channel already has an order with this external_id; `order_id` names it.",
    "reservation-unavailable": "The reservation has expired, was released or was already converted.",
    "order-on-hold": "The order has an active hold; release it before fulfilling the order.",
    "idempotency-key-in-use": "A request with this Idempotency-Key is still being processed; retry.",
    "idempotency-key-reused": "This Idempotency-Key was already used with a different request.",
    "pickup-code-rejected": "The pickup code is wrong, or too many wrong codes locked the pickup.",
    "return-not-allowed": "The return policy refuses it: outside the channel's return window, or a "
                          "non-returnable SKU; `field` names the line.",
    "payload-too-large": "The request body exceeds the size limit.",
    "card-number-refused": "A field holds what looks like a payment card number (13–19 digits passing the Luhn "
                           "check); Ordermesh never accepts them: send the payment provider's token. `field` names it.",
    "internal-error": "An unexpected error; it has been logged.",
}


def problem(status: int, slug: str, title: str, detail: str, *, instance: str | None = None,
            field: str | None = None, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if field:
        body["field"] = field
    for name, value in (extra or {}).items():
        body.setdefault(name, value)  # extension members never overwrite the standard ones
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_path(loc: Sequence[int | str]) -> str:
    """("body", "lines", 2, "quantity") → "lines[2].quantity"."""
    out = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    status = next(code for cls, code in STATUS.items() if isinstance(exc, cls))
    return problem(status, exc.slug, exc.title, exc.detail, instance=request.url.path, field=exc.field,
                   extra=exc.extra)


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    found = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in found):
        return problem(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON",
                       instance=request.url.path)
    fields = [{"field": field_path(e["loc"]), "message": e["msg"]} for e in found]
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    detail = f"{first['field']}: {first['message']}"
    if len(fields) > 1:
        detail += f" (and {len(fields) - 1} more)"
    return problem(422, "validation-error", "Invalid input", detail, instance=request.url.path,
                   field=first["field"], extra={"errors": fields})


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    slug = {401: "unauthorized", 404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
        exc.status_code, "http-error")
    return problem(exc.status_code, slug, str(exc.detail), str(exc.detail), instance=request.url.path,
                   headers=dict(exc.headers or {}))


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal-error", "Internal error", "an unexpected error occurred; it has been logged",
                   instance=request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
