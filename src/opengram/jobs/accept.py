"""Accepting a `callback=` request: keep its input (audio or text) durably and queue the job, before the
request is answered."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opengram.accounts.keys import Principal
from opengram.config import Settings
from opengram.jobs.models import Job

# Deepgram delivers callbacks to these ports only; a self-hosted operator who allows private
# addresses (OPENGRAM_FETCH_ALLOW_PRIVATE) may use any.
CALLBACK_PORTS = {80, 443, 8080, 8443}


class Upload(Protocol):
    """An uploaded body (`speech.source.AudioSource`): its file, and the checksum it was read with."""

    file: BinaryIO
    sha256: str


def valid_callback(url: str, settings: Settings) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return settings.fetch_allow_private or port in CALLBACK_PORTS


def jobs_dir(settings: Settings) -> Path:
    path = Path(settings.data_dir) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Accepted:
    """A `callback=` request accepted for later: who asked, what to run (the path that accepted it and its
    query, parsed again by the runner), where to deliver, and its input: audio (`upload`), a URL the runner
    fetches, or `text` (/v1/read, /v1/speak)."""

    caller: Principal
    request_id: str
    params: list[tuple[str, str]]
    path: str
    callback: str
    callback_method: str
    url: str | None = None
    upload: Upload | None = None
    text: str | None = None


async def store(sessions: async_sessionmaker[AsyncSession], settings: Settings, accepted: Accepted) -> None:
    """Store the job with its input on disk before the request is answered: the job must outlive this
    process."""
    request_id, upload, text = accepted.request_id, accepted.upload, accepted.text
    input_path = None
    if upload is not None:
        input_path = str(jobs_dir(settings) / f"{request_id}.audio")
        with open(input_path, "wb") as out:
            shutil.copyfileobj(upload.file, out)
    elif text is not None:
        input_path = str(jobs_dir(settings) / f"{request_id}.text")
        Path(input_path).write_text(text, encoding="utf-8")
    job = Job(
        request_id=request_id,
        project_id=accepted.caller.project_id,
        api_key_id=accepted.caller.api_key_id,
        params=[list(p) for p in accepted.params],
        audio_path=input_path,
        url=accepted.url,
        sha256=upload.sha256 if upload is not None else None,
        callback=accepted.callback,
        callback_method=accepted.callback_method,
        attempts=0,
        path=accepted.path,
    )
    async with sessions.begin() as session:
        session.add(job)
