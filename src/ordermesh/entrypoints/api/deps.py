"""Dependencies shared by the routers: the running Ordermesh, the caller's principal, paging."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ordermesh.bootstrap import Ordermesh
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.fulfillment import FulfillmentPolicy
from ordermesh.domain.payments import PaymentProvider
from ordermesh.service.access import Principal
from ordermesh.service.idempotency import Outcome
from ordermesh.service.ordering import Checkout
from ordermesh.service.unit_of_work import UnitOfWork


def ordermesh(request: Request) -> Ordermesh:
    om: Ordermesh = request.app.state.ordermesh
    return om


# The dependencies are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in the thread pool,
# and three thread hops per request cost more than the request's own database work.


async def unit_of_work(request: Request) -> UnitOfWork:
    return ordermesh(request).uow


async def fulfillment_policy(request: Request) -> FulfillmentPolicy:
    return ordermesh(request).fulfillment_policy


Policy = Annotated[FulfillmentPolicy, Depends(fulfillment_policy)]


async def checkout(request: Request) -> Checkout:
    om = ordermesh(request)
    return Checkout(om.fulfillment_policy, om.providers, om.settings.public_url, fraud_rules=om.fraud_rules)


CheckoutContext = Annotated[Checkout, Depends(checkout)]


async def payment_providers(request: Request) -> Mapping[str, PaymentProvider]:
    return ordermesh(request).providers


Providers = Annotated[Mapping[str, PaymentProvider], Depends(payment_providers)]


async def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    scheme, _, secret = (authorization or "").partition(" ")
    found = None
    if scheme.lower() == "bearer" and secret:
        keys = ordermesh(request).keys
        found = keys.cached(secret.strip())
        if found is None:  # a key not seen lately: look it up without blocking the event loop
            found = await run_in_threadpool(keys.principal, secret.strip())
    if found is None:
        raise HTTPException(401, "a valid API key is required (Authorization: Bearer KEY)",
                            headers={"WWW-Authenticate": "Bearer"})
    return found


async def page_limit(request: Request, limit: Annotated[int | None, Query(ge=1)] = None) -> int:
    settings = ordermesh(request).settings
    if limit is None:
        return settings.default_page_size
    if limit > settings.max_page_size:
        raise InvalidInput(f"limit: at most {settings.max_page_size} items per page", field="limit")
    return limit


UoW = Annotated[UnitOfWork, Depends(unit_of_work)]
Who = Annotated[Principal, Depends(principal)]
Limit = Annotated[int, Depends(page_limit)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


def json(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise with orjson: views are already JSON-ready, so response models need not re-validate."""
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json", headers=headers)


def outcome_response(outcome: Outcome) -> Response:
    """An idempotent request's answer: the stored one, marked ``Idempotent-Replayed: true``, on a replay."""
    return json(outcome.body, outcome.status_code, {"Idempotent-Replayed": "true"} if outcome.replayed else None)
