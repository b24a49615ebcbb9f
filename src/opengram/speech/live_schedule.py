"""The shared decode schedule: rounds of final and interim decodes for every live stream of the server, batched
across streams, through the model scheduler (see `streaming` for the design)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from opengram.engines.live_decode import LiveDecoder, Outcome, Window
from opengram.engines.registry import ModelRegistry, ModelSpec
from opengram.engines.scheduler import Scheduler
from opengram.speech.live_segments import RATE, Cut
from opengram.speech.pipeline import postprocess
from opengram.speech.words import TimedWord

if TYPE_CHECKING:  # streams hand themselves to the schedule; only their type is needed here
    from opengram.speech.streaming import LiveStream

log = logging.getLogger("opengram.streaming")


class DecodeJob:
    """One decode for one stream; `prepare` and `finish` run on the model thread."""

    def __init__(self, stream: "LiveStream", channel: int, final: bool):
        self.stream = stream
        self.channel = channel
        self.final = final
        self.created = time.monotonic()
        self.window: Window | None = None

    def prepare(self) -> Window | None:
        return self.window

    def finish(self, outcome: Outcome | None) -> Any:
        return outcome


class FinalDecode(DecodeJob):
    def __init__(self, stream: "LiveStream", cut: Cut):
        super().__init__(stream, cut.channel, final=True)
        self.cut = cut
        self.placed: list[TimedWord] = []  # the words before text features, for a later merge (no_delay)
        self.language = "en"
        self.options = stream.options  # as they were when the segment was cut (a Configure applies to later ones)
        assert cut.audio is not None
        self.window = Window(cut.audio, cut.speech, stream.decode_options, final=True)

    def finish(self, outcome: Outcome | None) -> dict[str, Any]:
        cut = self.cut
        words: list[TimedWord] = []
        if outcome is not None:
            self.placed = self.stream.builder.placed(outcome, cut.audio_start, cut.speech, (cut.start, cut.end), cut.keep_from)
            self.language = outcome.transcript.language if outcome.transcript else "en"
            words = postprocess(self.placed, self.options, self.language) if self.placed else []
        speakers = self.stream.speakers(cut.channel)
        if speakers is not None and words:
            words = speakers.label(cut.audio, cut.speech, words, cut.audio_start / RATE)
        return self.stream.builder.results(
            cut.channel, cut.start, cut.end, words, is_final=True, speech_final=cut.speech_final,
            from_finalize=cut.from_finalize, language=self.language, options=self.options,
        )  # fmt: skip


class InterimDecode(DecodeJob):
    def __init__(self, stream: "LiveStream", channel: int):
        super().__init__(stream, channel, final=False)
        self.snapshot: tuple | None = None

    def prepare(self) -> Window | None:
        track = self.stream.track(self.channel)
        self.snapshot = track.interim_window(self.stream.decode_options) if track is not None else None
        return self.snapshot[0] if self.snapshot else None

    def finish(self, outcome: Outcome | None) -> tuple[int, dict[str, Any]] | None:
        if outcome is None or outcome.transcript is None or self.snapshot is None:
            return None
        window, start, end, audio_start, keep_from, generation = self.snapshot
        words = self.stream.builder.words(outcome, audio_start, list(window.speech), (start, end), keep_from)
        speakers = self.stream.speakers(self.channel)
        if speakers is not None and words:
            words = speakers.label(window.audio, window.speech, words, audio_start / RATE, final=False)
        message = self.stream.builder.results(
            self.channel, start, end, words, is_final=False, language=outcome.transcript.language
        )
        return generation, message


class LiveScheduler:
    """Decode rounds for every live stream of the server, through the shared model scheduler."""

    def __init__(self, scheduler: Scheduler, registry: ModelRegistry, *, max_batch: int = 4):
        self.scheduler = scheduler
        self.registry = registry
        self.max_batch = max_batch
        self._finals: dict[int, deque[FinalDecode]] = {}
        self._interims: dict[tuple[int, int], InterimDecode] = {}
        self._last_interim: dict[tuple[int, int], float] = {}
        self._decoders: dict[str, LiveDecoder] = {}
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self.stats = {"rounds": 0, "batched": 0, "finals": 0, "interims": 0, "short": 0, "final_fallbacks": 0, "interims_dropped": 0}

    def _ensure_started(self) -> None:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="live-scheduler")

    async def stop(self) -> None:
        log.info("live decode stats %s", self.stats)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def submit(self, job: FinalDecode) -> None:
        self._ensure_started()
        self._finals.setdefault(id(job.stream), deque()).append(job)
        self._wake.set()

    def want_interim(self, stream: "LiveStream", channel: int, job: DecodeJob | None = None) -> None:
        """An interim decode for the channel; `job` brings a stream's own kind (Flux's), replacing one that
        still waits."""
        self._ensure_started()
        key = (id(stream), channel)
        if job is not None:
            self._interims[key] = job
            self._wake.set()
        elif key not in self._interims:
            self._interims[key] = InterimDecode(stream, channel)
            self._wake.set()

    def forget(self, stream: "LiveStream") -> None:
        self._finals.pop(id(stream), None)
        for key in [k for k in self._interims if k[0] == id(stream)]:
            del self._interims[key]
        for key in [k for k in self._last_interim if k[0] == id(stream)]:
            del self._last_interim[key]

    def pending_finals(self, stream: "LiveStream") -> int:
        return len(self._finals.get(id(stream), ()))

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

    def _decoder(self, spec: ModelSpec) -> LiveDecoder:
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
        outcomes: list[Outcome | None] = [None] * len(jobs)
        for key, items in windows.items():
            decoded = self._decoder(specs[key]).decode([w for _, w in items])
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
