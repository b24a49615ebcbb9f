"""One channel of a live stream: its audio, Silero VAD and the cut of its timeline into spans, each of which
ends in one final `Results` (see `stream` for the whole schedule). Runs on the stream's ingest thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opengram.engines.asr import DecodeOptions
from opengram.engines.live_decode import Window
from opengram.engines.vad import FRAME, StreamingVad
from opengram.speech.options import ListenOptions

RATE = 16000
SPEECH_ON = 0.5  # Silero thresholds, with hysteresis (faster-whisper's defaults)
SPEECH_OFF = 0.35
ENDPOINT_FLOOR_MS = 400  # the shortest silence the VAD reliably tells from a pause between words
MAX_SEGMENT_S = 12.0  # a segment no hypothesis could commit in (commit.py) is cut at its quietest frame
SILENCE_FINAL_S = 1.0  # an empty final per second of silence
HYPOTHESIS_EVERY_S = 1.0  # an open segment is decoded again after each further second of audio ...
HYPOTHESIS_AFTER_S = 5.0  # ... once it is this long; with interim results, from its first second
PRE_PAD_S = 0.3  # audio kept before the first speech frame (VAD onset lag)
# Audio before a segment that its decode hears again, its words dropped. Off: with tiny.en, earlier audio
# (alone, or with its words forced as a prefix) measured worse than none (bench/RESULTS.md).
CONTEXT_S = 0.0
POST_PAD_S = 0.3
# After a commit (commit.py), the next decodes hear this much of the committed audio again, its words
# dropped, so a word the cut clipped is still heard whole.
COMMIT_CONTEXT_S = 0.5
MIN_SPEECH_S = 0.1  # speech shorter than this is a click, not a word: no decode


@dataclass(frozen=True)
class StreamConfig:
    interim: bool
    endpointing_ms: int | None  # None: endpointing=false (no speech_final)
    utterance_end_ms: int | None
    vad_events: bool

    @classmethod
    def of(cls, options: ListenOptions) -> StreamConfig:
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
    # A commit (commit.py): the span's words are known already, and its final message is made.
    message: dict[str, Any] | None = None
    placed: list[Any] = field(default_factory=list)
    language: str = "en"


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
    """The open segment is due another decode: its hypothesis (an interim, and maybe a commit)."""

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
        self.committed_at = -1  # where the open span began, if a commit began it
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
            elif now - self.interim_mark >= HYPOTHESIS_EVERY_S * RATE and (
                self.config.interim or now - self._audio_start() >= HYPOTHESIS_AFTER_S * RATE
            ):
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
        context = COMMIT_CONTEXT_S if a == self.committed_at else CONTEXT_S
        return max(self.audio.start, self.speechy.start * FRAME, a - int(context * RATE), 0)

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
        self._trim(end - int((max(CONTEXT_S, COMMIT_CONTEXT_S) + PRE_PAD_S) * RATE))
        return cut

    def commit(self, cut: Cut, generation: int, emit: Callable[[Any], None]) -> bool:
        """End the open span at `cut.end` with the words a hypothesis committed (commit.py), if nothing was
        cut since that hypothesis's snapshot (`generation`); the speech goes on in a new span. Emitted under
        the lock, so it keeps its place among the ingest thread's cuts. Called from the model thread."""
        with self.lock:
            if generation != self.generation or self.speech_start is None:
                return False
            if not self.span_start < cut.end <= self.received:
                return False
            assert cut.start == self.span_start
            self.span_start = self.committed_at = cut.end
            self.speech_start = max(self.speech_start, cut.end)
            self.interim_mark = max(self.interim_mark, cut.end)
            self.generation += 1
            self._trim(cut.end - int((max(CONTEXT_S, COMMIT_CONTEXT_S) + PRE_PAD_S) * RATE))
            emit(cut)
            return True

    def _trim(self, keep: int) -> None:
        self.audio.trim(keep)
        self.probs.trim(keep // FRAME - 1)
        self.speechy.trim(keep // FRAME - 1)

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
