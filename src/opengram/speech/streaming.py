"""Live transcription: Deepgram's streaming semantics over Silero-segmented Whisper decodes.

The decode schedule
-------------------
Whisper costs a fixed amount per call, so a stream is never re-decoded on every message. Each channel
(`Track`) runs Silero VAD on 32 ms frames as its audio arrives and cuts its timeline into *spans*; every
span ends in exactly one final `Results`:

- silence-only spans end every second with an empty final, with no model call at all (VAD gates the
  model: silence and noise never reach Whisper);
- a span with speech ends at an endpoint (the VAD hears `max(endpointing, ENDPOINT_FLOOR_MS)` of silence;
  `speech_final: true`), at `MAX_SEGMENT_S` of speech (cut at the quietest frame of its second half,
  `speech_final: false`), or on Finalize / CloseStream. It is decoded once, as a final.
- with `interim_results`, an open span with speech asks for an interim decode after each further second of
  audio. Interims are best effort: the stream's audio is read when the decode *starts*, not when it was
  asked for, only the newest request per channel is kept, and a span that was cut meanwhile drops it.

All streams share one `LiveScheduler`, which runs rounds of decodes through the server's `Scheduler`
(so REST and streaming share the model and its bound): finals first, one per stream per round, oldest
first; then interims, stalest first. The items of a round are decoded on short encoder windows
(`engines.live_decode`), batched across streams. Nothing here waits for a client: a slow reader only
fills its own outbound queue, whose interims are dropped first.

Threads: each stream has one ingest thread (audio decoding, resampling, VAD, segmentation); model work
runs on the scheduler's worker; messages are ordered and sent on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from opengram.engines.asr import DecodeOptions
from opengram.engines.live_decode import LiveDecoder, Outcome, Window
from opengram.engines.registry import ModelRegistry, ModelSpec
from opengram.engines.scheduler import Scheduler
from opengram.engines.vad import FRAME, StreamingVad
from opengram.speech import live_audio
from opengram.speech.live_diarize import OnlineSpeakers
from opengram.speech.options import ListenOptions
from opengram.speech.pipeline import confidence_of, decode_options, postprocess, text_of, wire_words
from opengram.speech.response import iso_now
from opengram.speech.search import search
from opengram.speech.words import TimedWord, from_engine, tighten

log = logging.getLogger("opengram.streaming")

RATE = 16000
SPEECH_ON = 0.5  # Silero thresholds, with hysteresis (faster-whisper's defaults)
SPEECH_OFF = 0.35
ENDPOINT_FLOOR_MS = 400  # the shortest silence the VAD reliably tells from a pause between words
MAX_SEGMENT_S = 12.0
SILENCE_FINAL_S = 1.0  # an empty final per second of silence
INTERIM_EVERY_S = 1.0
PRE_PAD_S = 0.3  # audio kept before the first speech frame (VAD onset lag)
# Audio before a segment that its decode hears again (its words are dropped): Whisper transcribes a short
# segment ("three", "ten of clubs") far better with the speech that led up to it, as a batch window has.
CONTEXT_S = 0.0
POST_PAD_S = 0.3
MIN_SPEECH_S = 0.1  # speech shorter than this is a click, not a word: no decode
OUTBOX_INTERIM_LIMIT = 64  # queued messages past which a slow client's interims are dropped
INGEST_CREDITS = 256  # messages a stream may have waiting for its ingest thread (back-pressure)


@dataclass(frozen=True)
class StreamConfig:
    interim: bool
    endpointing_ms: int | None  # None: endpointing=false (no speech_final)
    utterance_end_ms: int | None
    vad_events: bool

    @classmethod
    def of(cls, options: ListenOptions) -> "StreamConfig":
        endpointing = options.endpointing
        if endpointing is False:
            ms = None
        elif endpointing is True:
            ms = 10
        else:
            ms = int(endpointing)
        return cls(
            interim=options.interim_results,
            endpointing_ms=ms,
            utterance_end_ms=options.utterance_end_ms if options.interim_results else None,
            vad_events=options.vad_events,
        )

    @property
    def close_samples(self) -> int:
        ms = max(self.endpointing_ms if self.endpointing_ms is not None else 0, ENDPOINT_FLOOR_MS)
        return int(ms * RATE / 1000)


# --- events from a track (ingest thread) to its stream (event loop) ---


@dataclass
class Cut:
    """A span ends: one final Results for [start, end) (samples)."""

    channel: int
    start: int
    end: int
    audio: np.ndarray | None  # None: no speech in the span
    audio_start: int = 0  # sample where `audio` begins
    speech: list[tuple[float, float]] = field(default_factory=list)  # seconds from audio_start
    keep_from: float = 0.0  # seconds from audio_start: words before this belong to earlier spans (context)
    speech_final: bool = False
    from_finalize: bool = False


@dataclass
class SpeechStarted:
    channel: int
    at: int


@dataclass
class Progress:
    channel: int
    now: int
    open_speech: int | None  # where the open span's speech began, if any


@dataclass
class InterimDue:
    channel: int


class _Samples:
    """A growing float32 array addressed by absolute position, trimmed from the front."""

    def __init__(self, dtype=np.float32):
        self._data = np.zeros(RATE * 4, dtype=dtype)
        self.start = 0  # absolute index of _data[0]
        self.end = 0

    def append(self, x: np.ndarray) -> None:
        n = self.end - self.start
        if n + x.size > self._data.size:
            grown = np.zeros(max(self._data.size * 2, n + x.size), dtype=self._data.dtype)
            grown[:n] = self._data[:n]
            self._data = grown
        self._data[n : n + x.size] = x
        self.end += x.size

    def get(self, a: int, b: int) -> np.ndarray:
        a, b = max(a, self.start), min(b, self.end)
        return self._data[a - self.start : max(a, b) - self.start].copy()

    def trim(self, before: int) -> None:
        drop = min(max(0, before - self.start), self.end - self.start)
        if drop:
            n = self.end - self.start
            self._data[: n - drop] = self._data[drop:n]
            self.start += drop


class Track:
    """One channel's audio, VAD and segmentation. Mutated on the ingest thread; read by the model thread
    for interim snapshots, under `lock`."""

    def __init__(self, index: int, config: StreamConfig):
        self.index = index
        self.config = config
        self.lock = threading.Lock()
        self.vad = StreamingVad()
        self.audio = _Samples()
        self.probs = _Samples()  # per VAD frame
        self.speechy = _Samples(np.bool_)  # per VAD frame, with hysteresis
        self.received = 0  # samples
        self.span_start = 0
        self.generation = 0  # bumps at every cut
        self.speech_start: int | None = None  # first speech sample of the open span
        self.last_speech_end = 0
        self.in_speech = False
        self.interim_mark = 0  # audio position of the last interim request
        self.progress_mark = 0

    # ingest thread

    def append(self, samples: np.ndarray, emit: Callable[[Any], None]) -> None:
        with self.lock:
            self.audio.append(samples)
            self.received += samples.size
        probs = self.vad.feed(samples)
        for p in probs:
            with self.lock:
                self._frame(float(p), emit)

    def _frame(self, p: float, emit: Callable[[Any], None]) -> None:
        k = self.probs.end
        t0, t1 = k * FRAME, (k + 1) * FRAME
        if p >= SPEECH_ON or (self.in_speech and p >= SPEECH_OFF):
            if not self.in_speech:
                self.in_speech = True
                if self.speech_start is None:
                    self.speech_start = t0
                    self.interim_mark = t1
                    emit(SpeechStarted(self.index, t0))
            self.last_speech_end = t1
        else:
            self.in_speech = False
        self.probs.append(np.array([p], np.float32))
        self.speechy.append(np.array([self.in_speech]))
        now = t1
        if self.speech_start is not None:
            if not self.in_speech and now - self.last_speech_end >= self.config.close_samples:
                emit(self._cut(now, speech_final=self.config.endpointing_ms is not None))
            elif now - self._audio_start() >= MAX_SEGMENT_S * RATE:
                emit(self._cut(self._quietest(now), speech_final=False))
            elif self.config.interim and now - self.interim_mark >= INTERIM_EVERY_S * RATE:
                self.interim_mark = now
                emit(InterimDue(self.index))
        elif now - PRE_PAD_S * RATE - self.span_start >= SILENCE_FINAL_S * RATE:
            emit(self._cut(int(now - PRE_PAD_S * RATE), speech_final=False))
        if now - self.progress_mark >= 0.1 * RATE:
            self.progress_mark = now
            emit(Progress(self.index, now, self.speech_start))

    def _audio_start(self) -> int:
        assert self.speech_start is not None
        return max(self.span_start, int(self.speech_start - PRE_PAD_S * RATE))

    def _context_start(self, a: int) -> int:
        return max(self.audio.start, self.speechy.start * FRAME, a - int(CONTEXT_S * RATE), 0)

    def _quietest(self, now: int) -> int:
        """Where to cut an over-long segment: the quietest frame of its second half."""
        first = (self._audio_start() + now) // 2 // FRAME
        last = now // FRAME
        probs = self.probs.get(first, last)
        if probs.size < 3:
            return now
        smooth = np.convolve(probs, np.ones(3) / 3, mode="same")
        k = first + int(len(smooth) - 1 - np.argmin(smooth[::-1]))  # the latest of equals
        return k * FRAME + FRAME // 2

    def _regions(self, a: int, b: int) -> list[tuple[float, float]]:
        """Speech frames in [a, b) as (start, end) seconds from `a`."""
        fa, fb = a // FRAME, (b + FRAME - 1) // FRAME
        flags = self.speechy.get(fa, fb)
        regions: list[tuple[float, float]] = []
        k = 0
        while k < flags.size:
            if flags[k]:
                j = k
                while j < flags.size and flags[j]:
                    j += 1
                s, e = max(a, (fa + k) * FRAME), min(b, (fa + j) * FRAME)
                if e > s:
                    regions.append(((s - a) / RATE, (e - a) / RATE))
                k = j
            else:
                k += 1
        return regions

    def _cut(self, end: int, *, speech_final: bool, from_finalize: bool = False) -> Cut:
        """End the open span at `end` (samples); called with the lock held."""
        start = self.span_start
        cut = Cut(self.index, start, end, None, speech_final=speech_final, from_finalize=from_finalize)
        if self.speech_start is not None and self.speech_start < end:
            a = self._audio_start()
            b = min(end, int(self.last_speech_end + POST_PAD_S * RATE))
            if sum(e - s for s, e in self._regions(a, b)) >= MIN_SPEECH_S:
                c = self._context_start(a)
                cut.audio, cut.audio_start, cut.speech = self.audio.get(c, b), c, self._regions(c, b)
                cut.keep_from = (a - c) / RATE
        else:
            cut.speech_final = False  # no speech, no endpoint
        self.span_start = end
        self.generation += 1
        # Speech that goes on past the cut (a forced cut) starts the next span at once.
        if self.speech_start is not None and self.last_speech_end > end:
            self.speech_start = end
            self.interim_mark = end
        else:
            self.speech_start = None
        keep = end - int((CONTEXT_S + PRE_PAD_S) * RATE)
        self.audio.trim(keep)
        self.probs.trim(keep // FRAME - 1)
        self.speechy.trim(keep // FRAME - 1)
        return cut

    def flush(self, *, from_finalize: bool) -> Cut | None:
        """End the open span at the audio received so far (Finalize, CloseStream). A Finalize always
        answers, even with nothing new (a zero-length final), so a client waiting for it is never stuck."""
        with self.lock:
            end = max(self.received, self.span_start)
            if end == self.span_start and not from_finalize:
                return None
            return self._cut(end, speech_final=False, from_finalize=from_finalize)

    # model thread

    def interim_window(self, options: DecodeOptions) -> tuple[Window, int, int, int, float, int] | None:
        """The open span's speech so far: (window, span start, span end, audio start, keep from, generation)."""
        with self.lock:
            if self.speech_start is None:
                return None
            a = self._audio_start()
            b = self.received
            if sum(e - s for s, e in self._regions(a, b)) < MIN_SPEECH_S:
                return None
            c = self._context_start(a)
            window = Window(self.audio.get(c, b), self._regions(c, b), options, final=False, open_end=self.in_speech)
            return window, self.span_start, b, c, (a - c) / RATE, self.generation


# --- results ---


def belongs(word: TimedWord, keep_from: float, speech) -> bool:
    """Whether a decoded word is the segment's own, not one of the context before `keep_from` heard again.

    Alignment stretches a word that follows a pause back into the pause, so the word's times alone would
    misplace it; what decides is where the speech it covers lies: after `keep_from` or before."""
    if keep_from <= 0:
        return True
    after = before = 0.0
    for a, b in speech:
        lo, hi = max(a, word.start), min(b, word.end)
        if hi > lo:
            after += max(0.0, hi - max(lo, keep_from))
            before += max(0.0, min(hi, keep_from) - lo)
    if after or before:
        return after >= before
    return (word.start + word.end) / 2 >= keep_from


def _round(x: float) -> float:
    return round(x, 3)


class ResultBuilder:
    """Deepgram `Results` messages for one stream."""

    def __init__(self, options: ListenOptions, spec: ModelSpec, request_id: str, channels: Callable[[], int]):
        self.options = options
        self.spec = spec
        self.request_id = request_id
        self.channels = channels
        self.metadata: dict[str, Any] = {
            "request_id": request_id,
            "model_info": {"name": spec.key, "version": spec.version, "arch": spec.arch},
            "model_uuid": spec.uuid,
        }
        extra = dict(e.partition(":")[::2] for e in options.extra)
        if extra:
            self.metadata["extra"] = extra

    def words(
        self, outcome: Outcome, audio_start: int, speech: list[tuple[float, float]], span: tuple[int, int], keep_from: float
    ) -> list[TimedWord]:
        transcript = outcome.transcript
        if transcript is None or not transcript.words:
            return []
        words = [w for w in tighten(from_engine(transcript.words), list(speech)) if belongs(w, keep_from, speech)]
        offset = audio_start / RATE
        lo, hi = span[0] / RATE, span[1] / RATE
        placed = []
        for w in words:
            start = min(max(w.start + offset, lo), hi)
            end = min(max(w.end + offset, start), hi)
            placed.append(replace(w, start=_round(start), end=_round(end)))
        return postprocess(placed, self.options, transcript.language)

    def results(
        self,
        channel: int,
        start: int,
        end: int,
        words: list[TimedWord],
        *,
        is_final: bool,
        speech_final: bool = False,
        from_finalize: bool = False,
    ) -> dict[str, Any]:
        punctuated = self.options.punctuated
        alternative = {
            "transcript": text_of(words, punctuated),
            "confidence": confidence_of(words),
            "words": [w.model_dump(exclude_none=True) for w in wire_words(words, self.options)],
        }
        body: dict[str, Any] = {"alternatives": [alternative]}
        if self.options.search:
            body["search"] = [
                {"query": q, "hits": [vars(h) for h in search(words, q)]} for q in self.options.search
            ]
        return {
            "type": "Results",
            "channel_index": [channel, self.channels()],
            "duration": _round((end - start) / RATE),
            "start": _round(start / RATE),
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": body,
            "metadata": self.metadata,
        }


# --- the shared decode schedule ---


class _Job:
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


class _FinalJob(_Job):
    def __init__(self, stream: "LiveStream", cut: Cut):
        super().__init__(stream, cut.channel, final=True)
        self.cut = cut
        assert cut.audio is not None
        self.window = Window(cut.audio, cut.speech, stream.decode_options, final=True)

    def finish(self, outcome: Outcome | None) -> dict[str, Any]:
        cut = self.cut
        words = [] if outcome is None else self.stream.builder.words(outcome, cut.audio_start, cut.speech, (cut.start, cut.end), cut.keep_from)
        speakers = self.stream.speakers(cut.channel)
        if speakers is not None and words:
            words = speakers.label(cut.audio, cut.speech, words, cut.audio_start / RATE)
        return self.stream.builder.results(
            cut.channel, cut.start, cut.end, words, is_final=True, speech_final=cut.speech_final, from_finalize=cut.from_finalize
        )


class _InterimJob(_Job):
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
        return generation, self.stream.builder.results(self.channel, start, end, words, is_final=False)


class LiveScheduler:
    """Decode rounds for every live stream of the server, through the shared model scheduler."""

    def __init__(self, scheduler: Scheduler, registry: ModelRegistry, *, max_batch: int = 4):
        self.scheduler = scheduler
        self.registry = registry
        self.max_batch = max_batch
        self._finals: dict[int, deque[_FinalJob]] = {}
        self._interims: dict[tuple[int, int], _InterimJob] = {}
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

    def submit(self, job: _FinalJob) -> None:
        self._ensure_started()
        self._finals.setdefault(id(job.stream), deque()).append(job)
        self._wake.set()

    def want_interim(self, stream: "LiveStream", channel: int) -> None:
        self._ensure_started()
        key = (id(stream), channel)
        if key not in self._interims:
            self._interims[key] = _InterimJob(stream, channel)
            self._wake.set()

    def forget(self, stream: "LiveStream") -> None:
        self._finals.pop(id(stream), None)
        for key in [k for k in self._interims if k[0] == id(stream)]:
            del self._interims[key]
        for key in [k for k in self._last_interim if k[0] == id(stream)]:
            del self._last_interim[key]

    def pending_finals(self, stream: "LiveStream") -> int:
        return len(self._finals.get(id(stream), ()))

    def _pick(self) -> list[_Job]:
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

    def _work(self, jobs: list[_Job]) -> list[Any]:
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


# --- one stream ---


class StreamClosed(Exception):
    """The stream must end: `code` and `reason` for the close frame."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


_EOF = object()


@dataclass
class _Slot:
    """A final in its place in a channel's order of messages; `message` is None until decoded."""

    cut: Cut
    message: dict[str, Any] | None = None


class LiveStream:
    """The transcription side of one WebSocket: audio in (`feed`, `control`), messages out (`outbox`)."""

    def __init__(
        self,
        *,
        options: ListenOptions,
        spec: ModelSpec,
        request_id: str,
        live: LiveScheduler,
        beam_size: int = 1,
    ):
        self.options = options
        self.spec = spec
        self.request_id = request_id
        self.live = live
        self.config = StreamConfig.of(options)
        self.decode_options = replace(
            decode_options(options.model_copy(update={"filler_words": False, "detect_language": []}), beam_size),
            initial_prompt=None,
        )
        self.created = iso_now()
        self.sha256 = hashlib.sha256()
        self.bytes = 0
        self.tracks: list[Track] = []
        self._diarize = options.diarize or options.diarize_model is not None
        self._speakers: dict[int, OnlineSpeakers] = {}
        self.builder = ResultBuilder(options, spec, request_id, lambda: max(1, len(self.tracks)))
        self.outbox: asyncio.Queue[dict[str, Any] | object] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._inbox: queue.Queue = queue.Queue()
        self._credits = asyncio.Semaphore(INGEST_CREDITS)
        self._slots: dict[int, deque[_Slot]] = {}
        self._last_word_end: dict[int, float | None] = {}
        self._utterance_sent: dict[int, bool] = {}
        self._open_speech: dict[int, int | None] = {}
        self._audio_now: dict[int, int] = {}
        self._ingest_done = asyncio.Event()
        self._drained = asyncio.Event()
        self.error: StreamClosed | None = None
        self._closing = False
        self._eof = False
        self._thread = threading.Thread(target=self._ingest, name=f"stream-{request_id[:8]}", daemon=True)
        self._thread.start()

    # --- event loop side: input ---

    async def feed(self, data: bytes) -> None:
        """Audio from the client. Waits (back-pressure) while the ingest thread is behind."""
        self.sha256.update(data)
        self.bytes += len(data)
        await self._credits.acquire()
        self._inbox.put(data)

    async def control(self, kind: str, channel: int | None = None) -> None:
        await self._credits.acquire()
        self._inbox.put(("finalize", channel))

    async def finish(self) -> None:
        """CloseStream or the empty frame: decode everything received, then return (Metadata follows)."""
        self._closing = True
        self._inbox.put(_EOF)
        await self._ingest_done.wait()
        if self.error is None:
            await self._wait_drained()

    def abort(self) -> None:
        """The client went away: stop work for this stream."""
        self._closing = True
        self._inbox.put(_EOF)
        self.live.forget(self)

    async def _wait_drained(self) -> None:
        while any(self._slots.get(t.index) for t in self.tracks):
            self._drained.clear()
            await self._drained.wait()

    @property
    def duration(self) -> float:
        return max((t.received for t in self.tracks), default=0) / RATE

    def speakers(self, channel: int) -> OnlineSpeakers | None:
        """The channel's speakers when `diarize` is on (model thread)."""
        if not self._diarize:
            return None
        return self._speakers.setdefault(channel, OnlineSpeakers())

    def track(self, channel: int) -> Track | None:
        return self.tracks[channel] if channel < len(self.tracks) else None

    def metadata(self) -> dict[str, Any]:
        info = {self.spec.uuid: {"name": self.spec.key, "version": self.spec.version, "arch": self.spec.arch}}
        out: dict[str, Any] = {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self.request_id,
            "sha256": self.sha256.hexdigest(),
            "created": self.created,
            "duration": round(self.duration, 6),
            "channels": len(self.tracks),
            "models": [self.spec.uuid],
            "model_info": info,
        }
        if "extra" in self.builder.metadata:
            out["extra"] = self.builder.metadata["extra"]
        return out

    # --- ingest thread ---

    def _take(self) -> bytes | None:
        while not self._eof:
            item = self._inbox.get()
            if item is _EOF:
                self._eof = True
                return None
            self._loop.call_soon_threadsafe(self._credits.release)
            if isinstance(item, tuple):
                _, channel = item
                for track in self.tracks:
                    if channel is None or track.index == channel:
                        cut = track.flush(from_finalize=True)
                        if cut is not None:
                            self._emit(cut)
                continue
            return item
        return None  # and again on every later call

    def _emit(self, event: Any) -> None:
        self._loop.call_soon_threadsafe(self._on_event, event)

    def _sink(self, channels: list[np.ndarray]) -> None:
        if not self.options.multichannel and len(channels) > 1:
            channels = [np.mean(channels, axis=0, dtype=np.float32)]
        if not self.tracks:
            self.tracks = [Track(i, self.config) for i in range(len(channels))]
        for track, samples in zip(self.tracks, channels):
            if samples.size:
                track.append(samples, self._emit)

    def _ingest(self) -> None:
        options = self.options
        try:
            if options.encoding in live_audio.RAW_CODECS:
                decoder = live_audio.RawDecoder(options.encoding, options.sample_rate or 16000, options.channels or 1)
                while (data := self._take()) is not None:
                    self._sink(decoder.decode(data))
                tail = decoder.flush()
                if tail and tail[0].size:
                    self._sink(tail)
            else:
                live_audio.decode_any(self._take, self._sink, encoding=options.encoding, multichannel=True)
            if self._closing:
                for track in self.tracks:
                    cut = track.flush(from_finalize=False)
                    if cut is not None:
                        self._emit(cut)
        except live_audio.UndecodableAudio as exc:
            log.info("stream %s: undecodable audio (%s)", self.request_id, exc)
            self._emit(StreamClosed(1008, "DATA-0000"))
        except Exception:
            log.exception("stream %s: ingest failed", self.request_id)
            self._emit(StreamClosed(1011, "NET-0000"))
        finally:
            while not self._eof:  # keep taking (and releasing credits) until the socket side is done
                self._take()
            self._loop.call_soon_threadsafe(self._ingest_done.set)

    # --- event loop side: events and ordering ---

    def _on_event(self, event: Any) -> None:
        if isinstance(event, StreamClosed):
            if self.error is None:
                self.error = event
                self.outbox.put_nowait(event)
            return
        if self.error is not None:
            return
        if isinstance(event, Cut):
            slot = _Slot(event)
            self._slots.setdefault(event.channel, deque()).append(slot)
            if event.audio is None:
                slot.message = self.builder.results(
                    event.channel, event.start, event.end, [], is_final=True,
                    speech_final=event.speech_final, from_finalize=event.from_finalize,
                )  # fmt: skip
                self._pump(event.channel)
            else:
                self.live.submit(_FinalJob(self, event))
        elif isinstance(event, SpeechStarted):
            if self.config.vad_events:
                self._send({"type": "SpeechStarted", "channel": [event.channel, max(1, len(self.tracks))], "timestamp": _round(event.at / RATE)})
        elif isinstance(event, InterimDue):
            if self.config.interim and not self._closing:
                self.live.want_interim(self, event.channel)
        elif isinstance(event, Progress):
            self._audio_now[event.channel] = event.now
            self._open_speech[event.channel] = event.open_speech
            self._check_utterance_end(event.channel)

    def delivered(self, job: _Job, result: Any) -> None:
        """A decode came back (event loop)."""
        if self.error is not None:
            return
        if isinstance(job, _FinalJob):
            if result is None:  # the round failed: an empty final keeps the channel's order moving
                result = job.finish(None)
            for slot in self._slots.get(job.channel, ()):
                if slot.cut is job.cut:
                    slot.message = result
            self._pump(job.channel)
        elif result is not None:
            generation, message = result
            track = self.track(job.channel)
            if track is None or track.generation != generation or self._slots.get(job.channel):
                return  # the span was cut since: its final replaces this interim
            if self.outbox.qsize() > OUTBOX_INTERIM_LIMIT:
                return  # a slow reader: drop interims rather than queue them
            self._send(message)

    def _pump(self, channel: int) -> None:
        slots = self._slots.get(channel)
        while slots and slots[0].message is not None:
            slot = slots.popleft()
            message = slot.message
            words = message["channel"]["alternatives"][0]["words"]
            if words:
                self._utterance_end_before(channel, words[0]["start"])
                self._last_word_end[channel] = words[-1]["end"]
                self._utterance_sent[channel] = False
            self._send(message)
        self._check_utterance_end(channel)
        if not any(self._slots.values()):
            self._drained.set()

    def _utterance_end_before(self, channel: int, next_word_start: float) -> None:
        ms = self.config.utterance_end_ms
        last = self._last_word_end.get(channel)
        if ms is None or last is None or self._utterance_sent.get(channel):
            return
        if next_word_start - last >= ms / 1000:
            self._send_utterance_end(channel, last)

    def _check_utterance_end(self, channel: int) -> None:
        ms = self.config.utterance_end_ms
        last = self._last_word_end.get(channel)
        if ms is None or last is None or self._utterance_sent.get(channel) or self._slots.get(channel):
            return
        now = self._audio_now.get(channel, 0) / RATE
        speech = self._open_speech.get(channel)
        if now - last >= ms / 1000 and (speech is None or speech / RATE - last >= ms / 1000):
            self._send_utterance_end(channel, last)

    def _send_utterance_end(self, channel: int, last: float) -> None:
        self._utterance_sent[channel] = True
        self._send({"type": "UtteranceEnd", "channel": [channel, max(1, len(self.tracks))], "last_word_end": last})

    def _send(self, message: dict[str, Any]) -> None:
        self.outbox.put_nowait(message)
