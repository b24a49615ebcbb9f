"""POST /v1/listen: pre-recorded transcription of an upload or a URL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from opengram.accounts.keys import Principal
from opengram.accounts.usage import open_row, record_request
from opengram.api.admission import admitted
from opengram.api.deps import request_id
from opengram.errors import BadJsonPayload, CorruptAudio, DeepgramError, InternalError, InvalidCallback, PayloadTooLarge
from opengram.jobs import accept
from opengram.speech import source as sources
from opengram.speech.options import ListenOptions

router = APIRouter()

MAX_JSON_BYTES = 64 * 1024


async def _url_of(request: Request) -> str | None:
    """The `url` of a JSON body, None for an audio body, 400 for JSON we cannot use."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return None
    body = await request.body()
    try:
        payload = json.loads(body) if len(body) <= MAX_JSON_BYTES else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("url"), str):
        raise BadJsonPayload()
    return payload["url"]


async def _read_source(request: Request, url: str | None) -> sources.AudioSource:
    settings = request.app.state.settings
    if url is not None:
        return await sources.fetch(
            url,
            max_bytes=settings.max_upload_bytes,
            timeout_s=settings.fetch_timeout_s,
            max_redirects=settings.fetch_max_redirects,
            allow_private=settings.fetch_allow_private,
        )
    # Anything else is audio, whatever it is labelled: the official SDK always says octet-stream.
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"Payload size exceeds limit of {settings.max_upload_bytes} bytes.")
    audio = await sources.upload(request.stream(), settings.max_upload_bytes)
    if audio.size == 0:
        audio.close()
        raise CorruptAudio()
    return audio


@router.post("/v1/listen")
async def listen(request: Request, caller: Principal = Depends(admitted("prerecorded"))) -> JSONResponse:
    return await transcribe_request(request, caller, request.query_params.multi_items(), path="/v1/listen")


async def transcribe_request(
    request: Request,
    caller: Principal,
    params: list[tuple[str, str]],
    *,
    path: str,
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> JSONResponse:
    """A pre-recorded request from `params` (the query pairs to honour), logged under `path`; `shape`
    rewrites the v1 response for another API version (the legacy /v2/listen)."""
    rid = request_id(request)
    state = request.app.state
    row = open_row(rid, caller, path=path, endpoint="listen", method="sync")
    source = None
    try:
        options = ListenOptions.parse(params)
        for name, value in options.log_fields().items():
            setattr(row, name, value)
        url = await _url_of(request)
        if options.callback:
            row.method, row.callback = "async", options.callback
            if not accept.valid_callback(options.callback, state.settings):
                raise InvalidCallback()
            source = None if url is not None else await _read_source(request, None)
            await accept.enqueue(state, caller, rid, params, options, url, source, path=path)
            return JSONResponse({"request_id": rid})  # the request-log row comes with the job's result
        state.listen.scheduler.ensure_capacity()  # before receiving a body we could not process
        source = await _read_source(request, url)
        done = await state.listen.transcribe(source, options, rid)
    except Exception as exc:
        error = exc if isinstance(exc, DeepgramError) else InternalError()
        row.code, row.message = error.status, error.message
        async with state.sessions.begin() as session:
            await record_request(session, row)
        raise
    finally:
        if source is not None:
            source.close()
    row.code = 200
    row.duration, row.channels = done.duration, done.response.metadata.channels
    request.scope["state"]["audio_seconds"] = round(done.duration, 3)
    row.models = done.response.metadata.models
    row.tokens_in, row.tokens_out = done.tokens_in, done.tokens_out
    async with state.sessions.begin() as session:
        await record_request(session, row)
    body = done.response.wire()
    return JSONResponse(shape(body) if shape else body)
