"""Accepting a `callback=` request: keep its input (audio or text) durably and queue the job, before the
request is answered."""

from __future__ import annotations

import shutil
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


async def store(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Principal,
    request_id: str,
    params: list[tuple[str, str]],
    *,
    callback: str,
    callback_method: str,
    path: str,
    url: str | None = None,
    upload: Upload | None = None,
    text: str | None = None,
) -> None:
    """Store the job of `path`: its input is audio (`upload`), a URL the worker fetches, or `text` (/v1/read,
    /v1/speak), and is on disk before we answer: the job must outlive this process."""
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
        project_id=caller.project_id,
        api_key_id=caller.api_key_id,
        params=[list(p) for p in params],
        audio_path=input_path,
        url=url,
        sha256=upload.sha256 if upload is not None else None,
        callback=callback,
        callback_method=callback_method,
        attempts=0,
        path=path,
    )
    async with sessions.begin() as session:
        session.add(job)
