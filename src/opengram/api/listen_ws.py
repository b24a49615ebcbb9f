"""WSS /v1/listen: live transcription (spec section 3).

The handshake is checked before the upgrade: bad credentials answer HTTP 401, bad parameters 400 (and
402/429 from admission), each with `dg-request-id` and `dg-error`. After the upgrade the socket carries
binary audio and JSON control messages in, JSON messages out; errors end it with a close frame
(1008 DATA-0000 for undecodable audio, 1011 NET-0001 after ~10 s with nothing from the client).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from opengram.accounts.keys import Principal
from opengram.accounts.usage import open_row, record_request
from opengram.api.deps import inference_principal
from opengram.api.handshake import admit, close_quietly, deny, subprotocol
from opengram.errors import (
    InvalidCallback,
    InvalidQueryParameter,
)
from opengram.jobs.stream_callback import StreamCallback, valid_stream_callback
from opengram.speech.live.audio import CODED_FORMATS, RAW_CODECS
from opengram.speech.live.stream import LiveStream, StreamClosed
from opengram.speech.options import ListenOptions

router = APIRouter()
log = logging.getLogger("opengram.listen_ws")

FINISH_TIMEOUT_S = 120.0  # after CloseStream, the longest the last decodes may take before 1011
STREAM_ENCODINGS = set(RAW_CODECS) | set(CODED_FORMATS)
CALLBACK_METHODS = ("POST", "GET", "PUT", "DELETE")  # the streaming enum (REST allows POST and PUT)
# Features Deepgram offers on pre-recorded audio only; tolerated and ignored on a stream.
BATCH_ONLY = {
    "detect_language",
    "paragraphs",
    "utterances",
    "utt_split",
    "summarize",
    "topics",
    "intents",
    "sentiment",
    "measurements",
    "filler_words",
}


def parse_stream_options(items: list[tuple[str, str]]) -> ListenOptions:
    """`ListenOptions` with the streaming rules: streaming encodings, sample_rate with raw audio, the
    streaming callback methods, diarize_model v1/latest only; batch-only features are dropped."""
    method = next((v for k, v in reversed(items) if k == "callback_method"), None)
    if method is not None and method.upper() not in CALLBACK_METHODS:
        raise InvalidQueryParameter(f"invalid value for `callback_method`: {method!r}")
    kept = [(k, v) for k, v in items if k not in BATCH_ONLY and k != "callback_method"]
    options = ListenOptions.parse(kept)
    if method is not None:
        options = options.model_copy(update={"callback_method": method.upper()})
    if options.encoding is not None and options.encoding not in STREAM_ENCODINGS:
        raise InvalidQueryParameter(f"invalid value for `encoding`: {options.encoding!r}")
    if options.encoding in RAW_CODECS and not options.sample_rate:
        raise InvalidQueryParameter("`sample_rate` is required when `encoding` is set")
    if options.diarize_model is not None and options.diarize_model.lower() not in ("v1", "latest"):
        raise InvalidQueryParameter(f"invalid value for `diarize_model`: {options.diarize_model!r}")
    if isinstance(options.endpointing, int) and not isinstance(options.endpointing, bool) and options.endpointing < 0:
        raise InvalidQueryParameter(f"invalid value for `endpointing`: {options.endpointing!r}")
    if options.utterance_end_ms is not None and options.utterance_end_ms < 0:
        raise InvalidQueryParameter(f"invalid value for `utterance_end_ms`: {options.utterance_end_ms!r}")
    return options


Shape = Callable[[dict[str, Any]], dict[str, Any] | None]  # a message as another API version sends it, or None


@router.websocket("/v1/listen")
async def listen_stream(websocket: WebSocket) -> None:
    await serve_stream(websocket, path="/v1/listen")


async def serve_stream(
    websocket: WebSocket,
    *,
    path: str,
    authenticate: Callable[[WebSocket], Awaitable[Principal]] = inference_principal,
    query: Callable[[list[tuple[str, str]]], list[tuple[str, str]]] | None = None,
    shape: Shape | None = None,
) -> None:
    """One live stream, logged under `path`. The legacy v2 stream differs only in how it authenticates,
    how it reads its `query` (the parameters it knows, its defaults), and the `shape` of what it sends."""
    rid = websocket.scope["state"]["request_id"]
    state = websocket.app.state

    def check():
        items = websocket.query_params.multi_items()
        options = parse_stream_options(query(items) if query else items)
        spec = state.listen.resolve(options)[0]
        if options.callback and not valid_stream_callback(options.callback, state.settings.fetch_allow_private):
            raise InvalidCallback()
        return options, spec

    admitted_ = await admit(websocket, rid, "streaming", check, authenticate)
    if admitted_ is None:
        return
    caller, admission, (options, spec) = admitted_
    row = open_row(
        rid,
        caller,
        path=path,
        endpoint="listen",
        method="streaming",
        **options.log_fields(),
    )
    stream: LiveStream | None = None
    relay: StreamCallback | None = None
    if options.callback:
        row.callback = options.callback
        relay = StreamCallback(
            options.callback,
            options.callback_method,
            caller.api_key_id,
            state.settings.callback_timeout_s,
            on_lost=lambda: stream is not None and stream.outbox.put_nowait(StreamClosed(1011, "NET-0000")),
        )
        try:  # before the upgrade, so an unreachable receiver is a clean HTTP error
            await relay.open()
        except Exception as exc:
            log.info("stream %s: callback %s unreachable (%r)", rid, options.callback, exc)
            await deny(websocket, InvalidCallback(), rid)
            await admission.aclose()
            return
    try:
        await websocket.accept(subprotocol=subprotocol(websocket), headers=[(b"dg-request-id", rid.encode())])
        stream = LiveStream(
            options=options, spec=spec, request_id=rid, live=state.live, beam_size=state.settings.beam_size
        )
        code, reason = await _session(websocket, stream, state.settings.stream_idle_timeout_s, relay, shape)
        row.code, row.message = 200, (None if code == 1000 else reason or str(code))
    except Exception:
        log.exception("stream %s failed", rid)
        row.code, row.message = 500, "internal error"
        await close_quietly(websocket, 1011, "NET-0000")
    finally:
        if stream is not None:
            stream.abort()
            if stream.interims_dropped:
                log.info("stream %s: %d interim results dropped for a slow reader", rid, stream.interims_dropped)
            row.duration, row.channels, row.models = stream.duration, len(stream.tracks), [spec.uuid]
            websocket.scope["state"]["audio_seconds"] = round(stream.duration, 3)
        if relay is not None:
            await relay.close()
        async with state.sessions.begin() as session:
            await record_request(session, row)
        await admission.aclose()


async def _session(
    websocket: WebSocket,
    stream: LiveStream,
    idle_timeout: float,
    relay: StreamCallback | None = None,
    shape: Shape | None = None,
) -> tuple[int, str]:
    """Run one stream to its end; returns the close code and reason it ended with."""
    sender = asyncio.create_task(_send_loop(websocket, stream, relay, shape))
    receiver = asyncio.create_task(_receive_loop(websocket, stream, idle_timeout))
    done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    if sender in done:  # an error close (StreamClosed) or the client went away while we sent
        receiver.cancel()
        result = sender.result() if not sender.cancelled() and sender.exception() is None else (1011, "NET-0000")
        await asyncio.gather(receiver, return_exceptions=True)
        return result
    outcome = receiver.result() if receiver.exception() is None else ("error", None)
    kind = outcome[0]
    if kind == "close":  # CloseStream: everything received is transcribed and sent, then Metadata
        try:
            await asyncio.wait_for(stream.finish(), FINISH_TIMEOUT_S)
        except TimeoutError:
            log.error("stream %s: could not finish transcribing within %s s", stream.request_id, FINISH_TIMEOUT_S)
            stream.outbox.put_nowait(StreamClosed(1011, "NET-0000"))
            return await sender
        if stream.error is None:
            stream.outbox.put_nowait(stream.metadata())
            stream.outbox.put_nowait(StreamClosed(1000, ""))
        return await sender
    sender.cancel()
    await asyncio.gather(sender, return_exceptions=True)
    if kind == "idle":
        await close_quietly(websocket, 1011, "NET-0001")
        return 1011, "NET-0001"
    return 1000, "client disconnected"


async def _send_loop(
    websocket: WebSocket, stream: LiveStream, relay: StreamCallback | None, shape: Shape | None
) -> tuple[int, str]:
    while True:
        item = await stream.outbox.get()
        if isinstance(item, StreamClosed):
            await close_quietly(websocket, item.code, item.reason)
            return item.code, item.reason
        if shape is not None and (item := shape(item)) is None:
            continue
        if relay is not None:
            relay.send(item)
        try:
            await websocket.send_text(json.dumps(item, separators=(",", ":")))
        except (WebSocketDisconnect, RuntimeError, OSError):
            return 1000, "client disconnected"


async def _receive_loop(websocket: WebSocket, stream: LiveStream, idle_timeout: float) -> tuple[str, Any]:
    while True:
        try:
            message = await asyncio.wait_for(websocket.receive(), timeout=idle_timeout)
        except TimeoutError:
            return ("idle", None)
        if message["type"] == "websocket.disconnect":
            return ("gone", None)
        data = message.get("bytes")
        if data is not None:
            if not data:  # the legacy end of stream: an empty binary frame
                return ("close", None)
            await stream.feed(data)
            continue
        text = message.get("text") or ""
        try:
            control = json.loads(text)
        except ValueError:
            control = None
        kind = control.get("type") if isinstance(control, dict) else None
        if kind == "CloseStream":
            return ("close", None)
        if kind == "Finalize":
            channel = control.get("channel")
            await stream.control("finalize", channel if isinstance(channel, int) else None)
        elif kind == "Configure":
            stream.outbox.put_nowait(stream.configure(control))
        # KeepAlive (and anything unknown) only resets the idle timer.
