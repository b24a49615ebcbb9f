"""Asynchronous /v1/speak (`callback=`): the job worker synthesises the text and delivers the audio.

Deepgram leaves the callback body for audio undocumented; here it is the audio itself (as the synchronous
response would carry it) with the same `Content-Type` and `dg-*` headers plus `dg-token`, so a receiver can
save the body as a file. Failed synthesis delivers the JSON error body instead, with its status in
`dg-error-status`.

The request is durable from the moment it is answered: its text waits on disk with a queued job (see
`jobs.accept.store`). The worker runs `speak_job`, keeps the audio on disk, writes the request-log row
with the result (priced by its characters), and delivers it with listen's retries; a restart at any point
resumes the job.
"""

from __future__ import annotations

import asyncio
import json
import logging

from opengram.config import Settings
from opengram.errors import client_error
from opengram.jobs.accept import jobs_dir
from opengram.jobs.models import Job
from opengram.jobs.outcome import JobOutcome, job_row, read_input
from opengram.voice.options import SpeakOptions
from opengram.voice.service import SpeakService, Synthesis, audio_headers

log = logging.getLogger("opengram.speak")

SPEAK_PATH = "/v1/speak"


async def speak_job(service: SpeakService, settings: Settings, job: Job) -> JobOutcome:
    """Synthesise an accepted request's text; the audio (or the error's JSON) is the body to deliver."""
    row = job_row(job, "speak")
    synthesis: Synthesis | None = None
    try:
        text = await asyncio.to_thread(read_input, job)
        options = SpeakOptions.parse([tuple(p) for p in job.params])
        row.model, row.tags, row.config, row.characters = options.model or "", options.tag, options.config(), len(text)
        voice = service.resolve(options.model)
        row.model, row.models = voice.name, [voice.uuid]
        synthesis = service.synthesis(voice, options.format, text, options.speed)
        audio = b"".join([chunk async for chunk in synthesis.chunks(background=True)])
        headers = {**audio_headers(voice, len(text)), "content-type": synthesis.format.content_type}
        row.code = 200
    except Exception as exc:
        error = client_error(exc, log, f"speak callback {job.request_id}")
        row.code, row.message = error.status, error.message
        body = error.body(job.request_id)
        is_json = isinstance(body, dict)
        audio = json.dumps(body).encode() if is_json else str(body).encode()
        headers = {
            "dg-error-status": str(error.status),
            "content-type": "application/json" if is_json else "text/plain",
        }
    finally:
        if synthesis is not None:
            synthesis.abort()
            row.duration = round(synthesis.seconds, 3)
    path = jobs_dir(settings) / f"{job.request_id}.audio"
    await asyncio.to_thread(path.write_bytes, audio)
    return JobOutcome(row, {"headers": {**headers, "dg-request-id": job.request_id}}, row.code, str(path))
