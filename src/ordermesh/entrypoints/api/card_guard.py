"""Card numbers never enter Ordermesh: a JSON body holding one is refused before any route sees it.

An ASGI middleware, so that every route — today's and tomorrow's — is covered without asking each to
remember. It reads the JSON body (the body size limit sits outside it, so it never buffers more than
that), and refuses with 422 naming the field when any string, key or integer in it, at any depth, is or
contains a Luhn-valid 13–19 digit number (domain/cards.py, which also explains the phone exception).
Nothing is written, nothing of the number is echoed back or logged. Other bodies pass untouched.

Cheap on the hot path: a body without 13 digits in a row (allowing separators) is not even parsed, and
the scan is linear in the body's size (about a second for a hostile megabyte of digits, in a thread).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import orjson
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordermesh.domain.cards import find_card_number, is_card_shaped
from ordermesh.entrypoints.api import problems

SLUG = "card-number-refused"
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
INLINE_BYTES = 32_768
# Thirteen digits, possibly with separators between them; or an escaped character, which might hide digits.
_MAYBE = re.compile(rb"\d(?:[ -]{0,3}\d){12}|\\u")


class CardNumberGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (where := _card_outside_body(scope)) is not None:
            # A code in the path is stored too (PUT /skus/{sku}), and so is the Idempotency-Key.
            await self._refuse(scope, where, send)
            return
        if scope["type"] != "http" or scope.get("method") not in _WITH_BODY or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body, connected = await _read_body(receive)
        # A large body is scanned in a worker thread, so that it never stalls the event loop.
        field = _card_field(body) if len(body) <= INLINE_BYTES else await to_thread.run_sync(_card_field, body)
        if field is not None:
            await self._refuse(scope, field, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive() if connected else {"type": "http.disconnect"}

        await self.app(scope, replay, send)


    @staticmethod
    async def _refuse(scope: Scope, field: str, send: Send) -> None:
        response = problems.problem(
            422, SLUG, "Card number refused",
            f"{field}: looks like a payment card number; Ordermesh never accepts card numbers — send the "
            "payment provider's token instead", instance=None if field == "path" else scope.get("path"), field=field)
        await response(scope, _drained, send)


def _card_outside_body(scope: Scope) -> str | None:
    if any(is_card_shaped(unquote(part)) for part in scope["path"].split("/")):
        return "path"
    for name, value in scope.get("headers") or []:
        if name == b"idempotency-key" and is_card_shaped(value.decode("latin-1")):
            return "Idempotency-Key"
    return None


def _is_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when it says so, or when it says nothing."""
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return bool(media == b"application/json" or media.endswith(b"+json"))
    return True


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and whether the client is still there (False: it disconnected mid-way)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _card_field(body: bytes) -> str | None:
    if not body or _MAYBE.search(body) is None:
        return None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # FastAPI answers malformed JSON itself
    return find_card_number(document)


async def _drained() -> Message:
    return {"type": "http.disconnect"}
