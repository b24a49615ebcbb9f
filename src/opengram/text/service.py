"""/v1/read's work: text intelligence on a text, on the text worker, for a request or an accepted job.

The HTTP route (`api/read.py`) reads the body and keeps the request log; everything about the analysis
(the English-only summary, the warnings for skipped features, the response, its token counts) is here, and
so is the runner the job worker calls for `callback=` requests.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from opengram.engines.scheduler import Scheduler
from opengram.errors import BadRequest, client_error
from opengram.jobs.models import Job
from opengram.jobs.outcome import JobOutcome, job_row, read_input
from opengram.text import wire
from opengram.text.analyze import Features, analyze, is_english
from opengram.text.document import Document
from opengram.text.options import ReadOptions

log = logging.getLogger("opengram.read")

READ_PATH = "/v1/read"


@dataclass(frozen=True)
class ReadResult:
    response: wire.ReadResponse
    tokens_in: int
    tokens_out: int


def warnings(options: ReadOptions) -> list[wire.FeatureWarning]:
    return [
        wire.FeatureWarning(
            parameter=name,
            type="unsupported_language",
            message=f"`{name}` is only available for English; it was skipped for language `{options.language}`.",
        )
        for name in options.intelligence().names()
    ]


def respond(text: str, options: ReadOptions, rid: str) -> ReadResult:
    """The response and its token counts; CPU work, for the scheduler."""
    english = is_english(options.language)
    analysis = analyze(Document.from_text(text), options.intelligence() if english else Features())
    response = wire.ReadResponse(
        metadata=wire.ReadMetadata(
            request_id=rid,
            created=wire.iso_now(),
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
    return ReadResult(response, analysis.tokens_in, analysis.tokens_out)


class TextService:
    """Text intelligence on its own worker (`OPENGRAM_TEXT_WORKERS`), so /v1/read never queues behind long
    transcriptions; listen's summaries, topics and entities run there too."""

    def __init__(self, scheduler: Scheduler):
        self.scheduler = scheduler

    def check(self, options: ReadOptions) -> None:
        """400 for what cannot be done whatever the text: summaries in another language than English."""
        if options.summarize is not False and not is_english(options.language):
            raise BadRequest("Summarization not supported for non-English languages")

    def ensure_capacity(self) -> None:
        """429 before the body is received, when the worker's queue is full."""
        self.scheduler.ensure_capacity()

    async def read(self, text: str, options: ReadOptions, request_id: str, *, background: bool = False) -> ReadResult:
        """`background`: an accepted job, which waits its turn instead of being refused."""
        return await self.scheduler.run(respond, text, options, request_id, admit=not background)


async def read_job(service: TextService, job: Job) -> JobOutcome:
    """`callback=`: the job worker analyses the accepted text; the response (or the error) is delivered."""
    row = job_row(job, "read")
    try:
        text = await asyncio.to_thread(read_input, job)
        options = ReadOptions.parse([tuple(p) for p in job.params])
        row.features, row.tags, row.config = options.feature_names(), options.tag, options.config()
        row.characters = len(text)
        done = await service.read(text, options, job.request_id, background=True)
        result, row.code, row.tokens_in, row.tokens_out = done.response.wire(), 200, done.tokens_in, done.tokens_out
    except Exception as exc:
        error = client_error(exc, log, f"read {job.request_id}")
        result, row.code, row.message = error.body(job.request_id), error.status, error.message
    return JobOutcome(row, result, row.code)
