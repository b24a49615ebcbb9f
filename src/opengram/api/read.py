"""POST /v1/read: text intelligence (summary, topics, intents, sentiment) on a text or a text URL."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from opengram.api import text_body
from opengram.api.admission import Admitted, accept_job, admitted
from opengram.api.context import request_id
from opengram.api.services import Services, services
from opengram.config import Settings
from opengram.errors import BadRequest, InvalidCallback
from opengram.jobs.accept import valid_callback
from opengram.text.options import ReadOptions
from opengram.text.service import READ_PATH

router = APIRouter()

# About Deepgram's 150K-token input limit, in characters (as UTF-8 bytes) of text.
MAX_TEXT_BYTES = 1024 * 1024


async def text_of(request: Request, settings: Settings) -> str:
    """The text to analyse: a JSON `{"text"}` or `{"url"}` (fetched), or a text/plain body (the default)."""
    return await text_body.text_of(
        request,
        settings,
        max_bytes=MAX_TEXT_BYTES,
        too_large=f"Payload size exceeds limit of {MAX_TEXT_BYTES} bytes.",
        default_type="text/plain",
    )


@router.post("/v1/read")
async def read(
    request: Request, admitted: Admitted = admitted("read"), services: Services = Depends(services)
) -> JSONResponse:
    record = admitted.record
    rid = request_id(request)
    options = ReadOptions.parse(request.query_params.multi_items())
    record.update(features=options.feature_names(), tags=options.tag, config=options.config())
    services.text.check(options)
    services.text.ensure_capacity()  # before receiving a body we could not process
    text = await text_of(request, services.settings)
    record.update(characters=len(text))
    if not text.strip():
        raise BadRequest("Input text contains no characters.")
    if options.callback:
        record.asynchronous(options.callback)
        if not valid_callback(options.callback, services.settings):
            raise InvalidCallback()
        return await accept_job(
            request, admitted, services, options.callback, options.callback_method, path=READ_PATH, text=text
        )
    done = await services.text.read(text, options, rid)
    record.update(tokens_in=done.tokens_in, tokens_out=done.tokens_out)
    return JSONResponse(done.response.wire())
