"""POST /v1/listen: pre-recorded transcription of an upload or a URL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from opengram.api.admission import Admitted, accept_job, admitted
from opengram.api.context import request_context
from opengram.api.services import Services, services
from opengram.config import Settings
from opengram.errors import BadJsonPayload, CorruptAudio, InvalidCallback, PayloadTooLarge
from opengram.jobs.accept import valid_callback
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
    url: str = payload["url"]
    return url


async def _read_source(request: Request, url: str | None, settings: Settings) -> sources.AudioSource:
    if url is not None:
        return await sources.fetch_url(url, settings)
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
async def listen(
    request: Request, admitted: Admitted = admitted("prerecorded"), services: Services = Depends(services)
) -> JSONResponse:
    return await transcribe_request(request, admitted, services, request.query_params.multi_items())


async def transcribe_request(
    request: Request,
    admitted: Admitted,
    services: Services,
    params: list[tuple[str, str]],
    *,
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> JSONResponse:
    """A pre-recorded request from `params` (the query pairs to honour); `shape` rewrites the v1 response for
    another API version (the legacy /v2/listen). Its row is admission's: a failure raised here is logged."""
    context, record = request_context(request), admitted.record
    rid = context.request_id
    source = None
    try:
        options = ListenOptions.parse(params)
        record.update(**options.log_fields())
        url = await _url_of(request)
        if options.callback:
            record.asynchronous(options.callback)
            if not valid_callback(options.callback, services.settings):
                raise InvalidCallback()
            source = None if url is not None else await _read_source(request, None, services.settings)
            return await accept_job(
                request,
                admitted,
                services,
                options.callback,
                options.callback_method,
                path=request.url.path,
                params=params,
                url=url,
                upload=source,
            )
        services.listen.scheduler.ensure_capacity()  # before receiving a body we could not process
        source = await _read_source(request, url, services.settings)
        done = await services.listen.transcribe(source, options, rid)
    finally:
        if source is not None:
            source.close()
    record.update(
        duration=done.duration,
        channels=done.response.metadata.channels,
        models=done.response.metadata.models,
        tokens_in=done.tokens_in,
        tokens_out=done.tokens_out,
    )
    context.audio_seconds = round(done.duration, 3)
    body = done.response.wire()
    return JSONResponse(shape(body) if shape else body)
