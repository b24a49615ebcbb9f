"""WSS /v1/listen: live transcription (spec section 3), HTTP side: the handshake and the socket.

The handshake is checked before the upgrade: bad credentials answer HTTP 401, bad parameters 400 (and
402/429 from admission), each with `dg-request-id` and `dg-error`. After the upgrade the session
(`speech.live.session`) runs the protocol over the socket: binary audio and JSON control messages in, JSON
messages out; errors end it with a close frame (1008 DATA-0000 for undecodable audio, 1011 NET-0001 after
~10 s with nothing from the client).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AsyncExitStack

from fastapi import APIRouter, WebSocket

from opengram.api.admission import Authenticate
from opengram.api.context import request_context
from opengram.api.deps import inference_principal
from opengram.api.handshake import SocketPeer, admit, close_quietly, deny, subprotocol
from opengram.api.services import services_of
from opengram.engines.registry import ModelSpec
from opengram.errors import InvalidCallback
from opengram.jobs.stream_callback import StreamCallback, valid_stream_callback
from opengram.speech.live.options import parse_stream_options
from opengram.speech.live.session import ListenSession, Shape
from opengram.speech.live.stream import LiveStream, StreamClosed
from opengram.speech.options import ListenOptions

router = APIRouter()
log = logging.getLogger("opengram.listen_ws")

Query = Callable[[list[tuple[str, str]]], list[tuple[str, str]]]


@router.websocket("/v1/listen")
async def listen_stream(websocket: WebSocket) -> None:
    await serve_stream(websocket)


async def serve_stream(
    websocket: WebSocket,
    *,
    authenticate: Authenticate = inference_principal,
    query: Query | None = None,
    shape: Shape | None = None,
) -> None:
    """One live stream. The legacy v2 stream differs only in how it authenticates, how it reads its `query`
    (the parameters it knows, its defaults), and the `shape` of what it sends."""
    context = request_context(websocket)
    rid = context.request_id
    services = services_of(websocket)
    settings = services.settings

    def check() -> tuple[ListenOptions, ModelSpec]:
        items = websocket.query_params.multi_items()
        options = parse_stream_options(query(items) if query else items)
        spec = services.listen.resolve(options)[0]
        if options.callback and not valid_stream_callback(options.callback, settings.fetch_allow_private):
            raise InvalidCallback()
        return options, spec

    async with AsyncExitStack() as stack:  # the admission: its end writes the request's row
        admitted_ = await admit(websocket, services, rid, "streaming", check, stack, authenticate)
        if admitted_ is None:
            return
        admitted, (options, spec) = admitted_
        record = admitted.record
        record.update(**options.log_fields())
        stream: LiveStream | None = None
        relay: StreamCallback | None = None
        if options.callback:
            record.row.callback = options.callback

            def lost() -> None:  # a WebSocket callback that drops ends the stream
                if stream is not None:
                    stream.outbox.put_nowait(StreamClosed(1011, "NET-0000"))

            relay = StreamCallback(
                options.callback, options.callback_method, admitted.caller.api_key_id, settings.callback_timeout_s, lost
            )
            try:  # before the upgrade, so an unreachable receiver is a clean HTTP error
                await relay.open()
            except Exception as exc:
                log.info("stream %s: callback %s unreachable (%r)", rid, options.callback, exc)
                record.failed(InvalidCallback())
                await deny(websocket, InvalidCallback(), rid)
                return
        try:
            await websocket.accept(subprotocol=subprotocol(websocket), headers=[(b"dg-request-id", rid.encode())])
            stream = LiveStream(
                options=options, spec=spec, request_id=rid, live=services.live, beam_size=settings.beam_size
            )
            session = ListenSession(
                SocketPeer(websocket),
                stream,
                idle_timeout=settings.stream_idle_timeout_s,
                relay=relay.send if relay is not None else None,
                shape=shape,
            )
            code, reason = await session.run()
            record.row.code, record.row.message = 200, (None if code == 1000 else reason or str(code))
        except Exception:
            log.exception("stream %s failed", rid)
            record.row.code, record.row.message = 500, "internal error"
            await close_quietly(websocket, 1011, "NET-0000")
        finally:
            if stream is not None:
                stream.abort()
                if stream.interims_dropped:
                    log.info("stream %s: %d interim results dropped for a slow reader", rid, stream.interims_dropped)
                if stream.interims_shed:
                    log.info("stream %s: %d hypotheses shed while its finals waited", rid, stream.interims_shed)
                record.update(duration=stream.duration, channels=len(stream.tracks), models=[spec.uuid])
                context.audio_seconds = round(stream.duration, 3)
            if relay is not None:
                await relay.close()
