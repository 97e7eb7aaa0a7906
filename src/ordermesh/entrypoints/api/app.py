"""The FastAPI application: routers, problem handlers, limits, and the cart-hold sweeper."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordermesh import __version__
from ordermesh.adapters.db.engine import statistics_warning
from ordermesh.bootstrap import Ordermesh, bootstrap
from ordermesh.entrypoints.api import background, problems
from ordermesh.entrypoints.api.card_guard import CardNumberGuard
from ordermesh.entrypoints.api.routers import (
    capacity,
    catalogue,
    customers,
    events,
    fulfillment,
    inventory,
    messages,
    orders,
    payments,
    profiles,
    returns,
    tracking,
)
from ordermesh.settings import Settings

log = logging.getLogger("ordermesh.api")


class BodyLimit:
    """Refuse bodies over the limit with 413, whether or not the client sent Content-Length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        response = problems.problem(413, "payload-too-large", "Payload too large",
                                    f"request bodies are limited to {self.max_bytes} bytes",
                                    instance=scope.get("path"))
        await response(scope, _no_receive, send)


class _TooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body reader passes it on as 413 instead of turning it into a 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request bodies are limited to {max_bytes} bytes")


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def create_app(settings: Settings | None = None, om: Ordermesh | None = None) -> FastAPI:
    settings = settings or (om.settings if om else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = om or bootstrap(settings)
        app.state.ordermesh = running
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if warning := statistics_warning(running.engine):
            log.warning(warning)
        sweeper, notifier = background.sweeper(running), background.notifier(running)
        sweeper.start()
        notifier.start()
        try:
            yield
        finally:
            sweeper.stop()
            notifier.stop()
            if om is None:
                running.close()

    app = FastAPI(
        title="Ordermesh",
        version=__version__,
        summary="Omnichannel order management: one real-time inventory, every channel.",
        description="Errors are RFC 9457 problem+json; see `/problems/{type}` for each type. "
                    "Authenticate with `Authorization: Bearer KEY`.",
        lifespan=lifespan,
    )
    if om is not None:
        app.state.ordermesh = om
    problems.install(app)
    for module in (orders, catalogue, inventory, fulfillment, capacity, profiles, events, messages, tracking,
                   returns, customers, payments):
        app.include_router(module.router)
    app.router.routes.insert(0, orders.DirectOrderRoute())  # placing orders: the hot path, see its docstring
    app.add_middleware(CardNumberGuard)  # inside the body limit, so it never reads more than that
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
