"""The shared decode schedule: rounds of final and interim decodes for every live stream of the server, batched
across streams, through the model scheduler (see `stream` for the design)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any, Protocol

from opengram.engines.live_decode import LiveDecoder, Window, WindowOutcome
from opengram.engines.registry import ModelRegistry, ModelSpec
from opengram.engines.scheduler import Scheduler

log = logging.getLogger("opengram.streaming")


class ScheduledStream(Protocol):
    """What the schedule needs of a stream: the model it decodes on, and where each decode's result goes."""

    spec: ModelSpec

    def delivered(self, job: DecodeJob, result: Any) -> None:
        """A decode came back (on the event loop); `result` is what its `finish` returned, None if it failed."""


class DecodeJob:
    """One decode for one stream; `prepare` and `finish` run on the model thread. The stream's own kinds
    (finals and interims) are in `decodes.py`; the schedule only orders and batches them."""

    def __init__(self, stream: ScheduledStream, channel: int, final: bool):
        self.stream = stream
        self.channel = channel
        self.final = final
        self.created = time.monotonic()
        self.window: Window | None = None

    def prepare(self) -> Window | None:
        return self.window

    def finish(self, outcome: WindowOutcome | None) -> Any:
        return outcome


class LiveScheduler:
    """Decode rounds for every live stream of the server, through the shared model scheduler."""

    def __init__(self, scheduler: Scheduler, registry: ModelRegistry, *, max_batch: int = 4):
        self.scheduler = scheduler
        self.registry = registry
        self.max_batch = max_batch
        self._finals: dict[int, deque[DecodeJob]] = {}
        self._interims: dict[tuple[int, int], DecodeJob] = {}
        self._last_interim: dict[tuple[int, int], float] = {}
        self._decoders: dict[str, LiveDecoder] = {}
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self.stats = {
            "rounds": 0,
            "batched": 0,
            "finals": 0,
            "interims": 0,
            "short": 0,
            "final_fallbacks": 0,
            "interims_dropped": 0,
        }

    def _ensure_started(self) -> asyncio.Event:
        """Start the rounds if they are not running; returns what wakes them."""
        if self._wake is None or self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="live-scheduler")
        return self._wake

    async def stop(self) -> None:
        log.info("live decode stats %s", self.stats)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def submit(self, job: DecodeJob) -> None:
        """A final: decoded in its stream's order, before any interim."""
        wake = self._ensure_started()
        self._finals.setdefault(id(job.stream), deque()).append(job)
        wake.set()

    def want_interim(self, job: DecodeJob, *, replace: bool = False) -> None:
        """An interim, unless one of its stream's channel is already waiting (which then stands for it); with
        `replace`, the new one takes the waiting one's place (Flux's candidates: only the newest matters)."""
        wake = self._ensure_started()
        key = (id(job.stream), job.channel)
        if replace or key not in self._interims:
            self._interims[key] = job
            wake.set()

    def forget(self, stream: ScheduledStream) -> None:
        self._finals.pop(id(stream), None)
        for key in [k for k in self._interims if k[0] == id(stream)]:
            del self._interims[key]
        for key in [k for k in self._last_interim if k[0] == id(stream)]:
            del self._last_interim[key]

    def pending_finals(self, stream: ScheduledStream) -> int:
        return len(self._finals.get(id(stream), ()))

    def lag(self) -> tuple[float, float]:
        """How long the oldest waiting final, and the oldest waiting hypothesis, have waited (seconds)."""
        now = time.monotonic()
        finals = max((now - q[0].created for q in self._finals.values() if q), default=0.0)
        interims = max((now - job.created for job in self._interims.values()), default=0.0)
        return finals, interims

    def behind(self, stream: ScheduledStream) -> float:
        """How long the stream's oldest final has waited for the model (seconds)."""
        queue_ = self._finals.get(id(stream))
        return time.monotonic() - queue_[0].created if queue_ else 0.0

    def _pick(self) -> list[DecodeJob]:
        heads = sorted((q[0] for q in self._finals.values() if q), key=lambda j: j.created)
        if heads:
            chosen = heads[: self.max_batch]
            for job in chosen:
                queue_ = self._finals[id(job.stream)]
                queue_.popleft()
                if not queue_:
                    del self._finals[id(job.stream)]
            return list(chosen)
        if self._interims:
            keys = sorted(self._interims, key=lambda k: self._last_interim.get(k, 0.0))[: self.max_batch]
            return [self._interims.pop(k) for k in keys]
        return []

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                jobs = self._pick()
                if not jobs:
                    break
                for job in jobs:
                    if not job.final:
                        self._last_interim[(id(job.stream), job.channel)] = time.monotonic()
                try:
                    results = await self.scheduler.run(self._work, jobs, admit=False)
                except Exception:  # one bad round must not end every stream's transcription
                    log.exception("live decode round failed")
                    results = [None] * len(jobs)
                self.stats["rounds"] += 1
                self.stats["batched"] += int(len(jobs) > 1)
                for job, result in zip(jobs, results):
                    job.stream.delivered(job, result)

    def decoder(self, spec: ModelSpec) -> LiveDecoder:
        decoder = self._decoders.get(spec.key)
        if decoder is None:
            decoder = self._decoders[spec.key] = LiveDecoder(self.registry.engine(spec))
        return decoder

    def _work(self, jobs: list[DecodeJob]) -> list[Any]:
        """One round, on the model thread."""
        windows: dict[str, list[tuple[int, Window]]] = {}
        specs: dict[str, ModelSpec] = {}
        for i, job in enumerate(jobs):
            try:
                window = job.prepare()
            except Exception:
                log.exception("live window failed")
                window = None
            if window is not None:
                windows.setdefault(job.stream.spec.key, []).append((i, window))
                specs[job.stream.spec.key] = job.stream.spec
        outcomes: list[WindowOutcome | None] = [None] * len(jobs)
        for key, items in windows.items():
            decoded = self.decoder(specs[key]).decode([w for _, w in items])
            for (i, _), outcome in zip(items, decoded):
                outcomes[i] = outcome
        results = []
        for job, outcome in zip(jobs, outcomes):
            if outcome is not None:
                self.stats["finals" if job.final else "interims"] += 1
                self.stats["short"] += int(outcome.short)
                if job.final:
                    self.stats["final_fallbacks"] += int(not outcome.short)
                else:
                    self.stats["interims_dropped"] += int(outcome.transcript is None)
            try:
                results.append(job.finish(outcome))
            except Exception:
                log.exception("live result failed")
                results.append(job.finish(None) if job.final else None)
        return results
