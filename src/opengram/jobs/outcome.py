"""What running one accepted job produced: the worker stores it with its request-log row, then delivers it.

The worker runs /v1/listen jobs itself; other endpoints (/v1/read, /v1/speak) give it a runner for their
path, so the queue knows nothing of what their work is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opengram.accounts.models import RequestLog
from opengram.jobs.models import Job


@dataclass
class JobOutcome:
    row: RequestLog  # the request's log row, written in the transaction that stores the result
    result: dict[str, Any]  # the JSON body to deliver; for audio, {"headers": …} of the file below
    code: int  # 200, or the error's status
    body_path: str | None = None  # a file delivered as the body instead of `result` (TTS audio)


Runner = Callable[[Job], Awaitable[JobOutcome]]


def job_row(job: Job, endpoint: str) -> RequestLog:
    """The log row of an accepted job's request (method `async`), dated when it was accepted."""
    return RequestLog(
        request_id=job.request_id,
        project_id=job.project_id,
        api_key_id=job.api_key_id,
        path=job.path or "/v1/listen",
        endpoint=endpoint,
        method="async",
        created=job.created,
        callback=job.callback,
    )


def read_input(job: Job) -> str:
    """The text an accepted /v1/read or /v1/speak request left on disk."""
    assert job.audio_path is not None  # where its text was kept
    with open(job.audio_path, encoding="utf-8") as f:
        return f.read()
