"""What every WebSocket endpoint (listen, speak) does at the handshake: refuse before the upgrade in
Deepgram's way, and echo a browser's auth subprotocol; and at the end: close without minding a gone peer."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar

from fastapi import WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketState

from opengram.accounts.keys import Principal
from opengram.api.admission import admitted
from opengram.api.deps import credentials, inference_principal
from opengram.errors import DeepgramError, InternalError

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
    await websocket.send_denial_response(JSONResponse(error.body(rid), status_code=error.status, headers=headers))


async def close_quietly(websocket: WebSocket, code: int, reason: str = "") -> None:
    """Send the close frame if both sides are still open; a peer that is already gone is no error."""
    if websocket.application_state == WebSocketState.CONNECTED and websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code, reason)


async def admit(
    websocket: WebSocket,
    rid: str,
    kind: str,
    check: Callable[[], T],
    authenticate: Callable[[WebSocket], Awaitable[Principal]] = inference_principal,
) -> tuple[Principal, AsyncGenerator, T] | None:
    """Authenticate, run `check` (parse and validate the query), and take a concurrency slot of `kind`;
    or answer the refusal before the upgrade and return None. The caller closes the admission when done."""
    try:
        caller = await authenticate(websocket)
        checked = check()
        admission = admitted(kind)(websocket, caller)
        caller = await admission.__anext__()
    except DeepgramError as error:
        await deny(websocket, error, rid)
        return None
    except Exception:
        log.exception("websocket handshake failed")
        await deny(websocket, InternalError(), rid)
        return None
    return caller, admission, checked
