"""A Flux stream's audio: 16 kHz mono samples and Silero VAD per 32 ms frame, addressed by absolute position.

Written by the stream's ingest thread (`append`), read by the model thread when a decode starts
(`window`), trimmed on the event loop's word (`keep_from`). The VAD is the v1 streams' (`StreamingVad`,
one shared ONNX session) with the same hysteresis (`live_segments.SPEECH_ON`/`SPEECH_OFF`).
"""

from __future__ import annotations

import threading

import numpy as np

from opengram.engines.vad import FRAME, StreamingVad
from opengram.speech.live import segments as live_segments

RATE = live_segments.RATE


class _Buffer:
    """A growing array addressed by absolute index, trimmed from the front."""

    def __init__(self, dtype, size: int):
        self._data = np.zeros(size, dtype=dtype)
        self.start = 0
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


def regions(flags: np.ndarray, first_frame: int, a: int, b: int) -> list[tuple[float, float]]:
    """Speech runs of `flags` (frame `first_frame` onwards) within samples [a, b), as seconds from `a`."""
    out: list[tuple[float, float]] = []
    k = 0
    while k < flags.size:
        if flags[k]:
            j = k
            while j < flags.size and flags[j]:
                j += 1
            s, e = max(a, (first_frame + k) * FRAME), min(b, (first_frame + j) * FRAME)
            if e > s:
                out.append(((s - a) / RATE, (e - a) / RATE))
            k = j
        else:
            k += 1
    return out


class FluxAudio:
    def __init__(self):
        self.lock = threading.Lock()
        self.vad = StreamingVad()
        self.samples = _Buffer(np.float32, RATE * 8)
        self.speech = _Buffer(np.bool_, 256)  # per VAD frame, with hysteresis
        self.in_speech = False
        self._keep_from = 0

    @property
    def received(self) -> int:
        return self.samples.end

    @property
    def frames(self) -> int:
        return self.speech.end

    def append(self, x: np.ndarray) -> np.ndarray:
        """Ingest thread: more audio; returns the speech flags of the VAD frames it completed."""
        with self.lock:
            self.samples.append(x)
        probs = self.vad.feed(x)
        flags = np.zeros(probs.size, np.bool_)
        for i, p in enumerate(probs):
            self.in_speech = bool(p >= live_segments.SPEECH_ON or (self.in_speech and p >= live_segments.SPEECH_OFF))
            flags[i] = self.in_speech
        with self.lock:
            self.speech.append(flags)
            keep = self._keep_from
            self.samples.trim(keep)
            self.speech.trim(keep // FRAME)
        return flags

    def keep_from(self, sample: int) -> None:
        """Audio before `sample` will never be decoded again (event loop)."""
        self._keep_from = max(self._keep_from, sample)

    def window(self, a: int, b: int | None) -> tuple[np.ndarray, list[tuple[float, float]], int, int]:
        """Model thread: the audio of [a, b) (b None: all the VAD has scored), its speech regions in seconds
        from its start, and the start and end actually used."""
        with self.lock:
            a = max(a, self.samples.start)
            end = self.speech.end * FRAME if b is None else b
            end = min(end, self.samples.end)
            audio = self.samples.get(a, end)
            fa, fb = a // FRAME, (end + FRAME - 1) // FRAME
            flags = self.speech.get(fa, fb)
            first = max(fa, self.speech.start)
        return audio, regions(flags, first, a, end), a, end
