"""Asynchronous /v1/listen and /v2/listen (`callback=`): the job worker's runner for transcription jobs.

The request was answered at once (`{"request_id"}`) and its audio (or URL) kept with a queued job (see
`jobs.accept`). The worker calls `listen_job`, writes the request-log row with the result, and delivers it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from opengram.config import Settings
from opengram.errors import client_error
from opengram.jobs.models import Job
from opengram.jobs.outcome import JobOutcome, job_row
from opengram.speech import legacy
from opengram.speech import source as sources
from opengram.speech.options import ListenOptions
from opengram.speech.pipeline import ListenService

log = logging.getLogger("opengram.jobs")

V2_LISTEN_PATH = "/v2/listen"  # its jobs deliver the legacy shape


async def listen_job(service: ListenService, settings: Settings, job: Job) -> JobOutcome:
    """Transcribe an accepted request's audio; the response (or the error) is the body to deliver."""
    row = job_row(job, "listen")
    source = None
    try:
        options = ListenOptions.parse([tuple(p) for p in job.params])
        for name, value in options.log_fields().items():
            setattr(row, name, value)
        if job.url:
            source = await sources.fetch_url(job.url, settings)
        else:
            assert job.audio_path is not None and job.sha256 is not None  # an upload's job keeps both
            upload = open(job.audio_path, "rb")  # noqa: SIM115 (the AudioSource owns it, closed below)
            source = sources.AudioSource(upload, job.sha256, Path(job.audio_path).stat().st_size)
        done = await service.transcribe(source, options, job.request_id, background=True)
        row.code, row.duration, row.channels = 200, done.duration, done.response.metadata.channels
        row.models = done.response.metadata.models
        row.tokens_in, row.tokens_out = done.tokens_in, done.tokens_out
        result, code = done.response.wire(), 200
        if job.path == V2_LISTEN_PATH:
            result = legacy.v2_response(result)
    except Exception as exc:  # the job's own failure: reported to the callback, never retried
        error = client_error(exc, log, f"job {job.request_id}")
        row.code, row.message = error.status, error.message
        result, code = error.body(job.request_id), error.status
    finally:
        if source is not None:
            source.close()
    return JobOutcome(row, result, code)
