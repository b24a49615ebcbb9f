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
from collections.abc import AsyncGenerator, AsyncIterator
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from opengram.accounts.usage import RequestRecord
from opengram.api import text_body
from opengram.api.admission import Admitted, accept_job, admitted
from opengram.api.context import RequestContext, request_context
from opengram.api.services import Services, services
from opengram.config import Settings
from opengram.errors import InvalidCallback, client_error
from opengram.jobs.accept import valid_callback
from opengram.voice.callback import SPEAK_PATH
from opengram.voice.options import SpeakOptions
from opengram.voice.service import Synthesis, audio_headers

router = APIRouter()
log = logging.getLogger("opengram.speak")

MAX_BODY_BYTES = 2 * 1024 * 1024  # Deepgram's 2 MB


def _web_url(url: object) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)


async def read_text(request: Request, settings: Settings) -> str:
    """The text to speak: a `text/plain` body, or JSON with exactly one of `text` or `url` (fetched)."""
    return await text_body.text_of(
        request,
        settings,
        max_bytes=MAX_BODY_BYTES,
        too_large="Payload size exceeds limit of 2 MB.",
        default_type="",
        check_url=_web_url,
    )


@router.post("/v1/speak")
async def speak(
    request: Request, admitted: Admitted = admitted("tts"), services: Services = Depends(services)
) -> Response:
    context, record = request_context(request), admitted.record
    rid = context.request_id
    synthesis: Synthesis | None = None
    try:
        options = SpeakOptions.parse(request.query_params.multi_items())
        record.update(model=options.model or "", tags=options.tag, config=options.config())
        voice = services.speak.resolve(options.model)
        record.update(model=voice.name, models=[voice.uuid])
        if options.callback:
            record.asynchronous(options.callback)
            if not valid_callback(options.callback, services.settings):
                raise InvalidCallback()
        text = services.speak.check_text(await read_text(request, services.settings))
        record.update(characters=len(text))
        if options.callback:
            return await accept_job(  # the request's row comes with the audio
                request, admitted, services, options.callback, options.callback_method, path=SPEAK_PATH, text=text
            )
        synthesis = services.speak.synthesis(voice, options.format, text, options.speed)
        headers = audio_headers(voice, len(text))
        chunks = synthesis.chunks()
        first = await anext(chunks, b"")
    except Exception as exc:
        if synthesis is not None:
            synthesis.abort()
        error = client_error(exc, log, f"speak {rid}")
        if error is exc:
            raise
        raise error from exc
    body = _stream(context, record, synthesis, first, chunks)
    record.defer(body.aclose)  # the row is written as the audio ends
    return StreamingResponse(body, media_type=options.format.content_type, headers=headers)


async def _stream(
    context: RequestContext, record: RequestRecord, synthesis: Synthesis, first: bytes, chunks: AsyncIterator[bytes]
) -> AsyncGenerator[bytes]:
    row = record.row
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
        context.audio_seconds = row.duration
        # Shielded: a client that went away cancels this generator, and the row must still be written.
        await asyncio.shield(record.close())
