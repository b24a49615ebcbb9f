"""POST /v1/read: text intelligence (summary, topics, intents, sentiment) on a text or a text URL."""

from __future__ import annotations

import asyncio
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
    client_error,
)
from opengram.jobs import accept
from opengram.jobs.models import Job
from opengram.jobs.outcome import JobOutcome, job_row, read_input
from opengram.speech.response import iso_now
from opengram.text import wire
from opengram.text.analyze import Features, analyze, is_english
from opengram.text.document import Document
from opengram.text.options import ReadOptions

router = APIRouter()
log = logging.getLogger("opengram.read")
READ_PATH = "/v1/read"

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


def warnings(options: ReadOptions) -> list[wire.FeatureWarning]:
    return [
        wire.FeatureWarning(
            parameter=name,
            type="unsupported_language",
            message=f"`{name}` is only available for English; it was skipped for language `{options.language}`.",
        )
        for name in options.intelligence().names()
    ]


def respond(text: str, options: ReadOptions, rid: str) -> tuple[wire.ReadResponse, int, int]:
    """The response and its token counts (in, out); CPU work, for the scheduler."""
    english = is_english(options.language)
    analysis = analyze(Document.from_text(text), options.intelligence() if english else Features())
    response = wire.ReadResponse(
        metadata=wire.ReadMetadata(
            request_id=rid,
            created=iso_now(),
            language=options.language,
            **analysis.info,
            warnings=None if english else warnings(options) or None,
        ),
        results=wire.ReadResults(
            summary=wire.ReadSummary(text=analysis.summary) if analysis.summary is not None else None,
            topics=analysis.topics,
            intents=analysis.intents,
            sentiments=analysis.sentiments,
        ),
    )
    return response, analysis.tokens_in, analysis.tokens_out


@router.post("/v1/read")
async def read(request: Request, caller: Principal = Depends(admitted("read"))) -> JSONResponse:
    rid = request_id(request)
    state = request.app.state
    row = open_row(rid, caller, path=READ_PATH, endpoint="read", method="sync")
    try:
        options = ReadOptions.parse(request.query_params.multi_items())
        row.features, row.tags, row.config = options.feature_names(), options.tag, options.config()
        if options.summarize is not False and not is_english(options.language):
            raise BadRequest("Summarization not supported for non-English languages")
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
        response, row.tokens_in, row.tokens_out = await state.text.run(respond, text, options, rid)
    except Exception as exc:
        error = exc if isinstance(exc, DeepgramError) else InternalError()
        row.code, row.message = error.status, error.message
        async with state.sessions.begin() as session:
            await record_request(session, row)
        raise
    row.code = 200
    async with state.sessions.begin() as session:
        await record_request(session, row)
    return JSONResponse(response.wire())


async def read_job(state, job: Job) -> JobOutcome:
    """`callback=`: the job worker analyses the accepted text; the response (or the error) is delivered."""
    row = job_row(job, "read")
    try:
        text = await asyncio.to_thread(read_input, job)
        options = ReadOptions.parse([tuple(p) for p in job.params])
        row.features, row.tags, row.config = options.feature_names(), options.tag, options.config()
        row.characters = len(text)
        done = await state.text.run(respond, text, options, job.request_id, admit=False)
        response, row.tokens_in, row.tokens_out = done
        result, row.code = response.wire(), 200
    except Exception as exc:
        error = client_error(exc, log, f"read {job.request_id}")
        result, row.code, row.message = error.body(job.request_id), error.status, error.message
    return JobOutcome(row, result, row.code)
