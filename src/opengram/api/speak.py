"""POST /v1/speak: text to speech (spec 4).

The audio streams out chunked as it is synthesised, sentence by sentence, with Deepgram's `dg-*` headers.
The first sentence is made before the response starts, so failures up to then (a full queue, a broken
voice) still answer with a status and a JSON error body; after that an error can only cut the stream short.

With `callback=`, the answer is `{"request_id"}` at once, the text queued durably; the job worker
synthesises it and POSTs (or PUTs) the raw audio to the callback with the same headers, retried like
listen callbacks (`voice/callback.py`).
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse

from opengram.accounts.keys import Principal
from opengram.accounts.models import RequestLog
from opengram.accounts.usage import open_row, record_request
from opengram.api import text_body
from opengram.api.admission import admitted
from opengram.api.deps import request_id
from opengram.errors import (
    InvalidCallback,
    client_error,
)
from opengram.jobs import accept
from opengram.voice.callback import SPEAK_PATH
from opengram.voice.options import SpeakOptions
from opengram.voice.service import Synthesis, audio_headers

router = APIRouter()
log = logging.getLogger("opengram.speak")

MAX_BODY_BYTES = 2 * 1024 * 1024  # Deepgram's 2 MB


def _web_url(url: object) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)


async def read_text(request: Request) -> str:
    """The text to speak: a `text/plain` body, or JSON with exactly one of `text` or `url` (fetched)."""
    return await text_body.text_of(
        request,
        max_bytes=MAX_BODY_BYTES,
        too_large="Payload size exceeds limit of 2 MB.",
        default_type="",
        check_url=_web_url,
    )


@router.post("/v1/speak")
async def speak(request: Request, caller: Principal = Depends(admitted("tts"))):
    rid = request_id(request)
    state = request.app.state
    row = open_row(rid, caller, path=SPEAK_PATH, endpoint="speak", method="sync")
    synthesis: Synthesis | None = None
    try:
        options = SpeakOptions.parse(request.query_params.multi_items())
        row.model, row.tags, row.config = options.model or "", options.tag, options.config()
        voice = state.speak.resolve(options.model)
        row.model, row.models = voice.name, [voice.uuid]
        if options.callback:
            row.method, row.callback = "async", options.callback
            if not accept.valid_callback(options.callback, state.settings):
                raise InvalidCallback()
        text = state.speak.check_text(await read_text(request))
        row.characters = len(text)
        if options.callback:
            params = request.query_params.multi_items()
            await accept.enqueue(state, caller, rid, params, options, path=SPEAK_PATH, text=text)
            return JSONResponse({"request_id": rid})  # the request-log row comes with the audio
        synthesis = state.speak.synthesis(voice, options.format, text, options.speed)
        headers = audio_headers(voice, len(text))
        chunks = synthesis.chunks()
        first = await anext(chunks, b"")
    except Exception as exc:
        if synthesis is not None:
            synthesis.abort()
        error = client_error(exc, log, f"speak {rid}")
        row.code, row.message = error.status, error.message
        async with state.sessions.begin() as session:
            await record_request(session, row)
        if error is exc:
            raise
        raise error from exc
    return StreamingResponse(
        _stream(request, row, synthesis, first, chunks), media_type=options.format.content_type, headers=headers
    )


async def _stream(request: Request, row: RequestLog, synthesis: Synthesis, first: bytes, chunks) -> object:
    state = request.app.state
    row.code = 200
    try:
        if first:
            yield first
        async for chunk in chunks:
            yield chunk
    except Exception:  # headers are gone: all we can do is end the stream early, and say so in the log
        log.exception("speak %s failed while streaming", row.request_id)
        row.code, row.message = 500, "synthesis failed while streaming"
    finally:
        if not synthesis.finished:
            synthesis.abort()
            if row.code == 200:
                row.message = "client disconnected before the audio ended"
        row.duration = round(synthesis.seconds, 3)
        row.usd = state.speak.cost(row.model, row.characters) if row.code < 300 else 0.0
        request.scope["state"]["audio_seconds"] = row.duration
        # Shielded: a client that went away cancels this generator, and the row must still be written.
        await asyncio.shield(_record(state, row))


async def _record(state, row: RequestLog) -> None:
    async with state.sessions.begin() as session:
        await record_request(session, row)
