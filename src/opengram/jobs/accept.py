"""Accepting a `callback=` request: keep its input (audio or text) durably, queue the job, answer at once."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

from opengram.accounts.keys import Principal
from opengram.jobs.models import Job
from opengram.speech.source import AudioSource
from opengram.text.options import IntelligenceOptions
from opengram.voice.options import SpeakOptions

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
    options: IntelligenceOptions | SpeakOptions,  # what carries the callback
    url: str | None = None,
    source: AudioSource | None = None,
    *,
    path: str = "/v1/listen",
    text: str | None = None,
) -> None:
    """Queue the job of `path`: its input is audio (`source`), a URL the worker fetches, or `text`
    (/v1/read, /v1/speak), and is on disk before we answer: the job must outlive this process."""
    input_path = None
    if source is not None:
        input_path = str(jobs_dir(state.settings) / f"{request_id}.audio")
        with open(input_path, "wb") as out:
            shutil.copyfileobj(source.file, out)
    elif text is not None:
        input_path = str(jobs_dir(state.settings) / f"{request_id}.text")
        Path(input_path).write_text(text, encoding="utf-8")
    job = Job(
        request_id=request_id,
        project_id=caller.project_id,
        api_key_id=caller.api_key_id,
        params=[list(p) for p in params],
        audio_path=input_path,
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
