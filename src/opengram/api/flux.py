"""Flux STT: the WebSocket `/v2/listen` with `model=flux-general-en` or `flux-general-multi` (spec §1).

`api/v2.py` routes the path: a `flux-*` model comes here whatever the auth scheme, as do `Bearer` tokens and
the browser subprotocol (which the legacy v2 stream never took); Basic and `Token` with another model stay
on the legacy stream (§1.9).

The handshake is refused before the upgrade, with `dg-request-id` and `dg-error`: 401 for bad credentials,
400 `{"code": "INVALID_PARAMETER", "description": …}` for a bad query (Flux's documented body; the v1
`err_code`/`err_msg` are there too), 402/429 from admission. Flux streams have their own concurrency pool
(`flux`), under the project's streaming limit.

After the upgrade: `Connected` first, then `TurnInfo` and the replies to `Configure`, every message with
a `sequence_id` one more than the last. `ForceEndTurn` and `Configure` take effect in order with the
audio; `CloseStream` finishes the audio received, sends the last Updates (no EndOfTurn) and closes with
1000. An undecodable stream gets an `Error` (`DATA-0000`) and 1008; a server failure `Error`
`INTERNAL_SERVER_ERROR` and 1011; a client silent for `IDLE_TIMEOUT_S` (no audio, no message) `Error`
`NET-0001` and 1011. Unknown or malformed JSON gets a `Warning` and the stream goes on; `KeepAlive` is
tolerated silently (the SDK has no sender for it; some clients send it anyway).
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AsyncExitStack
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from opengram.api.admission import Authenticate
from opengram.api.context import request_context
from opengram.api.deps import inference_principal
from opengram.api.handshake import admit, close_quietly, subprotocol
from opengram.api.services import services_of
from opengram.engines.registry import ModelSpec
from opengram.errors import DeepgramError
from opengram.speech.live.turns.options import FluxOptions, Invalid
from opengram.speech.live.turns.session import Closed, FluxSession, internal_error

log = logging.getLogger("opengram.flux")

PATH = "/v2/listen"
IDLE_TIMEOUT_S = 30.0  # Deepgram closes a Flux socket after some 20-30 s with nothing from the client
FINISH_TIMEOUT_S = 120.0


class InvalidParameter(DeepgramError):
    """Flux's 400 before the upgrade: `{"code": "INVALID_PARAMETER", "description": …}`."""

    status, code = 400, "INVALID_PARAMETER"

    def body(self, request_id: str) -> dict[str, Any]:
        return {"code": self.code, "description": self.message, "err_code": self.code, "err_msg": self.message,
                "request_id": request_id}  # fmt: skip


def is_flux(model: str | None) -> bool:
    return (model or "").strip().lower().startswith("flux")


async def serve(websocket: WebSocket, authenticate: Authenticate = inference_principal) -> None:
    context = request_context(websocket)
    rid = context.request_id
    services = services_of(websocket)

    def check() -> tuple[FluxOptions, ModelSpec]:
        try:
            options = FluxOptions.parse(websocket.query_params.multi_items())
        except Invalid as exc:
            raise InvalidParameter(exc.description) from None
        listen = options.listen_options()
        spec = services.registry.resolve(None, listen.language)
        return options, spec

    async with AsyncExitStack() as stack:  # the admission: its end writes the request's row
        admitted = await admit(websocket, services, rid, "flux", check, stack, authenticate)
        if admitted is None:
            return
        record = admitted[0].record
        options, spec = admitted[1]
        record.update(**options.log_fields())
        session: FluxSession | None = None
        try:
            await websocket.accept(subprotocol=subprotocol(websocket), headers=[(b"dg-request-id", rid.encode())])
            session = FluxSession(
                options=options, spec=spec, request_id=rid, live=services.live, beam_size=services.settings.beam_size
            )
            session.connected()
            code, reason = await _run(websocket, session)
            record.row.code, record.row.message = 200, (None if code == 1000 else reason or str(code))
        except Exception:
            log.exception("flux %s failed", rid)
            record.row.code, record.row.message = 500, "internal error"
            await close_quietly(websocket, 1011, "INTERNAL_SERVER_ERROR")
        finally:
            if session is not None:
                session.abort()
                record.update(duration=session.duration, channels=1, models=[spec.uuid])
                context.audio_seconds = round(session.duration, 3)


async def _run(websocket: WebSocket, session: FluxSession) -> tuple[int, str]:
    sender = asyncio.create_task(_send_loop(websocket, session))
    receiver = asyncio.create_task(_receive_loop(websocket, session))
    done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    if sender in done:  # an error close, or the client went away while we sent
        receiver.cancel()
        result = (
            sender.result()
            if not sender.cancelled() and sender.exception() is None
            else (1011, "INTERNAL_SERVER_ERROR")
        )
        await asyncio.gather(receiver, return_exceptions=True)
        return result
    outcome = receiver.result() if receiver.exception() is None else "error"
    if outcome == "close":
        try:
            await asyncio.wait_for(session.finish(), FINISH_TIMEOUT_S)
        except TimeoutError:
            log.error("flux %s: could not finish within %s s", session.request_id, FINISH_TIMEOUT_S)
            session.fail(internal_error())
            return await sender
        if session.error is None:
            session.outbox.put_nowait(Closed(1000, ""))
        return await sender
    if outcome == "idle":
        description = f"No audio or message received for {IDLE_TIMEOUT_S:g} s."
        session.fail(Closed(1011, "NET-0001", {"type": "Error", "code": "NET-0001", "description": description}))
        return await sender
    sender.cancel()
    await asyncio.gather(sender, return_exceptions=True)
    return 1000, "client disconnected"


async def _send_loop(websocket: WebSocket, session: FluxSession) -> tuple[int, str]:
    while True:
        item = await session.outbox.get()
        if isinstance(item, Closed):
            await close_quietly(websocket, item.code, item.reason)
            return item.code, item.reason
        try:
            await websocket.send_text(json.dumps(item, separators=(",", ":")))
        except (WebSocketDisconnect, RuntimeError, OSError):
            return 1000, "client disconnected"


async def _receive_loop(websocket: WebSocket, session: FluxSession) -> str:
    while True:
        try:
            message = await asyncio.wait_for(websocket.receive(), timeout=IDLE_TIMEOUT_S)
        except TimeoutError:
            return "idle"
        if message["type"] == "websocket.disconnect":
            return "gone"
        data = message.get("bytes")
        if data is not None:
            if data:
                await session.feed(data)
            continue
        text = message.get("text") or ""
        try:
            control = json.loads(text)
        except ValueError:
            control = None
        kind = control.get("type") if isinstance(control, dict) else None
        if kind == "CloseStream":
            return "close"
        if kind in ("ForceEndTurn", "Configure"):
            await session.control(control)
        elif kind != "KeepAlive":
            session.warn("UNKNOWN_MESSAGE", f"Ignored a message the server does not know: {text[:100]!r}")
