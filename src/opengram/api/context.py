"""The request context: what the HTTP layer learns about one request (HTTP or WebSocket) as it goes, kept
once in its ASGI scope: its id (answered in `dg-request-id`), the key that made it, and the audio it
carried. The middleware creates it and writes the request's one log line from it; everything else reads and
fills it through `request_context`."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("opengram")

SCOPE_KEY = "opengram.context"


@dataclass
class RequestContext:
    request_id: str
    api_key_id: str | None = None  # set by authentication
    audio_seconds: float | None = None  # set by the route, for the log line


def request_context(conn: HTTPConnection) -> RequestContext:
    context: RequestContext = conn.scope[SCOPE_KEY]
    return context


def request_id(conn: HTTPConnection) -> str:
    return request_context(conn).request_id


class RequestContextMiddleware:
    """Gives every request a UUID, answered in `dg-request-id`, and logs one line per request."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        context = RequestContext(str(uuid.uuid4()))
        scope[SCOPE_KEY] = context
        started = time.perf_counter()
        status = {"code": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"dg-request-id", context.request_id.encode()))
            elif message["type"] == "websocket.http.response.start":  # a refused upgrade (its route adds the headers)
                status["code"] = message["status"]
            elif message["type"] == "websocket.accept":
                status["code"] = 101
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request_id=%s key=%s method=%s path=%s status=%s audio_s=%s ms=%.1f",
                context.request_id,
                "-" if context.api_key_id is None else context.api_key_id,
                scope.get("method", "WS"),
                scope["path"],
                status["code"],
                "-" if context.audio_seconds is None else context.audio_seconds,
                (time.perf_counter() - started) * 1000,
            )
