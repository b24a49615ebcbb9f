"""What every WebSocket endpoint (listen, speak) does at the handshake: authenticate, check the query and
take the admission (`admit`), or refuse before the upgrade in Deepgram's way (`deny`); echo a browser's auth
subprotocol; and after the upgrade, the socket as a realtime session's `Peer` (`SocketPeer`)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import TypeVar

from fastapi import WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected, WebSocketState

from opengram.api.admission import Admitted, Authenticate, admission
from opengram.api.deps import credentials, inference_principal
from opengram.api.services import Services
from opengram.errors import DeepgramError, InternalError
from opengram.realtime import PeerGone

log = logging.getLogger("opengram.handshake")
T = TypeVar("T")


def subprotocol(websocket: WebSocket) -> str | None:
    """The scheme a browser offered in `Sec-WebSocket-Protocol`, to echo back, when it authenticated that way."""
    if credentials(websocket.headers.get("authorization")) is not None:
        return None
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    if offered and offered[0].lower() in ("token", "bearer"):
        return offered[0]
    return None


async def deny(websocket: WebSocket, error: DeepgramError, rid: str) -> None:
    """An HTTP answer instead of the upgrade, with `dg-request-id` and `dg-error` (SDKs read the status)."""
    headers = {**error.headers, "dg-request-id": rid, "dg-error": error.message}
    body = error.body(rid)
    await websocket.send_denial_response(JSONResponse(body, status_code=error.status, headers=headers))


async def close_quietly(websocket: WebSocket, code: int, reason: str = "") -> None:
    """Send the close frame if both sides are still open; a peer that is already gone is no error."""
    if websocket.application_state == WebSocketState.CONNECTED and websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code, reason)


async def admit(
    websocket: WebSocket,
    services: Services,
    rid: str,
    kind: str,
    check: Callable[[], T],
    stack: AsyncExitStack,
    authenticate: Authenticate = inference_principal,
) -> tuple[Admitted, T] | None:
    """Authenticate, run `check` (parse and validate the query), and take the admission of `kind` on `stack`
    (closing the stack ends it and writes the request's row); or answer the refusal before the upgrade and
    return None."""
    try:
        caller = await authenticate(websocket, services)
        checked = check()
        admitted = await stack.enter_async_context(admission(websocket, services, caller, kind))
    except DeepgramError as error:
        await deny(websocket, error, rid)
        return None
    except Exception:
        log.exception("websocket handshake failed")
        await deny(websocket, InternalError(), rid)
        return None
    return admitted, checked


class SocketPeer:
    """A Starlette WebSocket as a realtime session's `Peer`: a client that has gone is `PeerGone`."""

    def __init__(self, websocket: WebSocket):
        self.websocket = websocket

    async def receive(self) -> bytes | str:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise PeerGone(message.get("code", 1000))
        data: bytes | None = message.get("bytes")
        if data is not None:
            return data
        text: str = message.get("text") or ""
        return text

    async def send_text(self, text: str) -> None:
        try:
            await self.websocket.send_text(text)
        except (WebSocketDisconnect, WebSocketDisconnected) as gone:
            raise PeerGone(getattr(gone, "code", 1000)) from gone

    async def send_bytes(self, data: bytes) -> None:
        try:
            await self.websocket.send_bytes(data)
        except (WebSocketDisconnect, WebSocketDisconnected) as gone:
            raise PeerGone(getattr(gone, "code", 1000)) from gone

    async def close(self, code: int, reason: str = "") -> None:
        await close_quietly(self.websocket, code, reason)
