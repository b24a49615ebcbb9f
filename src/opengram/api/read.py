"""POST /v1/read: text intelligence (summary, topics, intents, sentiment) on a text or a text URL."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from opengram.accounts.keys import Principal
from opengram.accounts.usage import open_row, record_request
from opengram.api import text_body
from opengram.api.admission import admitted
from opengram.api.deps import request_id
from opengram.errors import (
    BadRequest,
    DeepgramError,
    InternalError,
    InvalidCallback,
)
from opengram.jobs import accept
from opengram.text.options import ReadOptions
from opengram.text.service import READ_PATH

router = APIRouter()
log = logging.getLogger("opengram.read")

# About Deepgram's 150K-token input limit, in characters (as UTF-8 bytes) of text.
MAX_TEXT_BYTES = 1024 * 1024


async def text_of(request: Request) -> str:
    """The text to analyse: a JSON `{"text"}` or `{"url"}` (fetched), or a text/plain body (the default)."""
    return await text_body.text_of(
        request,
        max_bytes=MAX_TEXT_BYTES,
        too_large=f"Payload size exceeds limit of {MAX_TEXT_BYTES} bytes.",
        default_type="text/plain",
    )


@router.post("/v1/read")
async def read(request: Request, caller: Principal = Depends(admitted("read"))) -> JSONResponse:
    rid = request_id(request)
    state = request.app.state
    row = open_row(rid, caller, path=READ_PATH, endpoint="read", method="sync")
    try:
        options = ReadOptions.parse(request.query_params.multi_items())
        row.features, row.tags, row.config = options.feature_names(), options.tag, options.config()
        state.text.check(options)
        state.text.ensure_capacity()  # before receiving a body we could not process
        text = await text_of(request)
        row.characters = len(text)
        if not text.strip():
            raise BadRequest("Input text contains no characters.")
        if options.callback:
            row.method, row.callback = "async", options.callback
            if not accept.valid_callback(options.callback, state.settings):
                raise InvalidCallback()
            params = request.query_params.multi_items()
            await accept.enqueue(state, caller, rid, params, options, path=READ_PATH, text=text)
            return JSONResponse({"request_id": rid})  # the request-log row comes with the result
        done = await state.text.read(text, options, rid)
        row.tokens_in, row.tokens_out = done.tokens_in, done.tokens_out
    except Exception as exc:
        error = exc if isinstance(exc, DeepgramError) else InternalError()
        row.code, row.message = error.status, error.message
        async with state.sessions.begin() as session:
            await record_request(session, row)
        raise
    row.code = 200
    async with state.sessions.begin() as session:
        await record_request(session, row)
    return JSONResponse(done.response.wire())
