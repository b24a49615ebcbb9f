"""Accepting a `callback=` request: keep its audio durably, queue the job, and answer at once."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

from opengram.accounts.keys import Principal
from opengram.accounts.models import RequestLog
from opengram.accounts.usage import record_request
from opengram.jobs.models import DELIVERING, Job
from opengram.speech.options import ListenOptions
from opengram.speech.source import AudioSource

# Deepgram delivers callbacks to these ports only; a self-hosted operator who allows private
# addresses (OPENGRAM_FETCH_ALLOW_PRIVATE) may use any.
CALLBACK_PORTS = {80, 443, 8080, 8443}


def valid_callback(url: str, settings) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return settings.fetch_allow_private or port in CALLBACK_PORTS


def jobs_dir(settings) -> Path:
    path = Path(settings.data_dir) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def enqueue(
    state,
    caller: Principal,
    request_id: str,
    params: list[tuple[str, str]],
    options: ListenOptions,
    url: str | None,
    source: AudioSource | None,
    *,
    path: str = "/v1/listen",
) -> None:
    audio_path = None
    if source is not None:
        # On disk before we answer: the job must outlive this process.
        audio_path = str(jobs_dir(state.settings) / f"{request_id}.audio")
        with open(audio_path, "wb") as out:
            shutil.copyfileobj(source.file, out)
    job = Job(
        request_id=request_id,
        project_id=caller.project_id,
        api_key_id=caller.api_key_id,
        params=[list(p) for p in params],
        audio_path=audio_path,
        url=url,
        sha256=source.sha256 if source is not None else None,
        callback=options.callback,
        callback_method=options.callback_method,
        attempts=0,
        path=path,
    )
    async with state.sessions.begin() as session:
        session.add(job)
    state.jobs.wake.set()


async def deliver_later(state, row: RequestLog, job: Job) -> None:
    """A result made in the request (/v1/read's analysis, /v1/speak's audio) handed to the job worker: the
    job (status DELIVERING) and its request-log row are written in one transaction, so once made the
    result is delivered, with retries, whatever restarts."""
    job.status, job.attempts = DELIVERING, 0
    async with state.sessions.begin() as session:
        session.add(job)
        await record_request(session, row)
    state.jobs.wake.set()
