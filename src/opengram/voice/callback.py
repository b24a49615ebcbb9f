"""Asynchronous /v1/speak (`callback=`): synthesise in the background, then hand the audio to the job worker.

Deepgram leaves the callback body for audio undocumented; here it is the audio itself (as the synchronous
response would carry it) with the same `Content-Type` and `dg-*` headers plus `dg-token`, so a receiver can
save the body as a file. Failed synthesis delivers the JSON error body instead, with its status in
`dg-error-status`.

Once synthesised, the audio is kept on disk and a job row (status DELIVERING, with the headers as its
result) is written in the same transaction as the request-log row, so delivery is retried by the durable
job worker with listen's settings and survives a restart. The synthesis itself (a few seconds at most)
is not durable: a restart during it loses the request, as with /v1/read.
"""

from __future__ import annotations

import asyncio
import json
import logging

from opengram.accounts.models import RequestLog
from opengram.errors import DeepgramError, InternalError
from opengram.jobs.accept import deliver_later, jobs_dir
from opengram.jobs.models import Job
from opengram.voice.options import SpeakOptions
from opengram.voice.service import Synthesis

log = logging.getLogger("opengram.speak")

SPEAK_PATH = "/v1/speak"  # jobs of this path deliver the file at `audio_path` with `result["headers"]`


class SpeakCallbacks:
    def __init__(self, state, settings):
        self.state = state  # the app's state: sessions, speak service, job worker
        self.settings = settings
        self._tasks: set[asyncio.Task] = set()

    def start(
        self,
        row: RequestLog,
        synthesis: Synthesis,
        options: SpeakOptions,
        headers: dict[str, str],
        api_key_id: str | None,
        params: list[tuple[str, str]],
    ) -> None:
        task = asyncio.create_task(
            self._run(row, synthesis, options, headers, api_key_id, params), name=f"speak-callback-{row.request_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        row: RequestLog,
        synthesis: Synthesis,
        options: SpeakOptions,
        headers: dict[str, str],
        api_key_id: str | None,
        params: list[tuple[str, str]],
    ) -> None:
        audio = bytearray()
        headers = {**headers, "dg-request-id": row.request_id, "content-type": synthesis.format.content_type}
        try:
            async for chunk in synthesis.chunks(background=True):
                audio += chunk
            row.code = 200
        except Exception as exc:
            error = exc if isinstance(exc, DeepgramError) else InternalError()
            if not isinstance(exc, DeepgramError):
                log.exception("speak callback %s failed", row.request_id)
            row.code, row.message = error.status, error.message
            body = error.body(row.request_id)
            is_json = isinstance(body, dict)
            audio = bytearray(json.dumps(body).encode() if is_json else str(body).encode())
            headers = {
                "dg-request-id": row.request_id,
                "dg-error-status": str(error.status),
                "content-type": "application/json" if is_json else "text/plain",
            }
        finally:
            synthesis.abort()
        row.duration = round(synthesis.seconds, 3)
        row.usd = self.state.speak.cost(row.model, row.characters) if row.code < 300 else 0.0
        path = jobs_dir(self.settings) / f"{row.request_id}.audio"
        await asyncio.to_thread(path.write_bytes, bytes(audio))
        job = Job(
            request_id=row.request_id,
            project_id=row.project_id,
            api_key_id=api_key_id,
            params=[list(p) for p in params],
            audio_path=str(path),
            callback=options.callback,
            callback_method=options.callback_method,
            result={"headers": headers},
            result_code=row.code,
            path=SPEAK_PATH,
        )
        await deliver_later(self.state, row, job)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
