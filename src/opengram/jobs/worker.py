"""The job worker: claims due jobs from the table, runs each with the runner of the endpoint that accepted it
(the runners live beside their services: `speech/callback.py`, `text/service.py`, `voice/callback.py`), writes
the result with its request-log row, and delivers it with retries. It knows nothing of what the work is.

Claims are leases, not locks: a job whose process died is taken again once its lease runs out, so an
accepted job survives a restart. With PostgreSQL several processes may share the table; each claim is
a conditional UPDATE that only one of them wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opengram.accounts.billing import Pricing
from opengram.accounts.usage import record_request
from opengram.config import Settings
from opengram.jobs import accept
from opengram.jobs.accept import Accepted
from opengram.jobs.delivery import deliver
from opengram.jobs.models import DELIVERING, DONE, FAILED, QUEUED, RUNNING, Job
from opengram.jobs.outcome import Runner
from opengram.store.orm import utcnow

log = logging.getLogger("opengram.jobs")


class JobWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        pricing: Pricing,
        runners: Mapping[str, Runner],
        default: Runner,
    ):
        self.sessions = sessions
        self.settings = settings
        self.pricing = pricing  # what a finished job's request cost, in its request-log row
        self.runners = runners  # the path that accepted a job -> its runner
        self.default = default  # for other paths (/v1/listen, /v2/listen, and rows from before paths were kept)
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client = httpx.AsyncClient(timeout=settings.callback_timeout_s, follow_redirects=False)

    async def enqueue(self, accepted: Accepted) -> None:
        """Keep an accepted request's job (`accept.store`) and wake the worker for it."""
        await accept.store(self.sessions, self.settings, accepted)
        self.wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="job-worker")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                job = await self._claim()
                if job is not None:
                    await self._work(job)
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job worker error")
            self.wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.settings.job_poll_s)

    async def _claim(self) -> Job | None:
        now = utcnow()
        # Due, and nobody holds it: a running job whose worker died is free again when its lease ends.
        claimable = (
            Job.status.in_((QUEUED, RUNNING, DELIVERING))
            & (Job.due <= now)
            & (Job.lease_until.is_(None) | (Job.lease_until < now))
        )
        async with self.sessions.begin() as session:
            candidates = list(await session.scalars(select(Job.request_id).where(claimable).order_by(Job.due).limit(5)))
            for rid in candidates:
                lease = utcnow() + timedelta(seconds=self.settings.job_lease_s)
                claimed = await session.execute(
                    update(Job).where(Job.request_id == rid, claimable).values(lease_until=lease)
                )
                if cast(CursorResult[Any], claimed).rowcount == 1:
                    job = await _stored(session, rid)
                    if job.status == QUEUED:
                        job.status = RUNNING
                    return job
        return None

    async def _heartbeat(self, request_id: str) -> None:
        """Keep extending a running job's lease, so only a dead worker loses it."""
        while True:
            await asyncio.sleep(self.settings.job_lease_s / 3)
            async with self.sessions.begin() as session:
                await session.execute(
                    update(Job)
                    .where(Job.request_id == request_id)
                    .values(lease_until=utcnow() + timedelta(seconds=self.settings.job_lease_s))
                )

    async def _work(self, job: Job) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(job.request_id))
        try:
            if job.status == RUNNING:
                await self._run(job)
            if job.status == DELIVERING:
                await self._deliver(job)
        finally:
            heartbeat.cancel()

    async def _run(self, job: Job) -> None:
        runner = self.runners.get(job.path or "", self.default)
        outcome = await runner(job)
        # The result and its request-log row are written in one transaction.
        async with self.sessions.begin() as session:
            stored = await _stored(session, job.request_id)
            stored.result, stored.result_code, stored.status, stored.due = (
                outcome.result,
                outcome.code,
                DELIVERING,
                utcnow(),
            )
            stored.audio_path = outcome.body_path
            await record_request(session, outcome.row, self.pricing)
        if job.audio_path and job.audio_path != outcome.body_path:  # the input, done with
            Path(job.audio_path).unlink(missing_ok=True)
        job.result, job.result_code, job.status, job.audio_path = (
            outcome.result,
            outcome.code,
            DELIVERING,
            outcome.body_path,
        )

    async def _deliver(self, job: Job) -> None:
        assert job.result is not None  # stored with the job's status DELIVERING
        body: dict[str, Any] | bytes = job.result
        headers = None
        if job.audio_path:  # a file is the body (TTS audio), and `result` its headers
            body = await asyncio.to_thread(Path(job.audio_path).read_bytes)
            headers = job.result["headers"]
        status = await deliver(self._client, job.callback, job.callback_method, body, job.api_key_id, headers)
        attempts = job.attempts + 1
        async with self.sessions.begin() as session:
            stored = await _stored(session, job.request_id)
            stored.attempts, stored.callback_code = attempts, status
            stored.lease_until = None
            if 200 <= status < 300:
                stored.status, stored.completed = DONE, utcnow()
            elif attempts >= self.settings.callback_attempts:
                stored.status, stored.completed = FAILED, utcnow()
                log.warning("callback for %s failed %d times; giving up", job.request_id, attempts)
            else:
                delay = min(
                    self.settings.callback_backoff_s * 2 ** (attempts - 1), self.settings.callback_backoff_max_s
                )
                stored.due = utcnow() + timedelta(seconds=delay)
            ended = stored.status in (DONE, FAILED)
        if ended and job.audio_path:  # a body file, kept until delivered or given up
            Path(job.audio_path).unlink(missing_ok=True)


async def _stored(session: AsyncSession, request_id: str) -> Job:
    """A job known to be in the table (claimed by this worker)."""
    job = await session.get(Job, request_id)
    assert job is not None
    return job
