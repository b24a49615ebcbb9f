"""How many live streams this server takes, and the refusal past that: 429 at the handshake, never a slower
stream for everyone.

A stream is admitted while fewer than `limit` are open and the shared decode schedule keeps up (its oldest
waiting final is younger than `OPENGRAM_LIVE_BEHIND_S`, its oldest waiting hypothesis younger than
`STALE_AFTER_BEHIND` times that). The limit is a setting (`OPENGRAM_LIVE_CAPACITY`), or, when that is 0,
calibrated at start-up on this machine:

1. a few seconds of speech (our own TTS voice reading a fixed passage) are cut into `WINDOW_S` windows,
   the length of a typical hypothesis, and decoded in one batch of `BATCH` the way the live schedule
   decodes them (short encoder windows, alignment, guards), twice, keeping the faster;
2. a live stream costs about `DECODES_PER_S` such decodes per second of audio (a hypothesis every second
   while it speaks, its finals, silence costs nothing), so one stream needs `cost = DECODES_PER_S × t`
   seconds of model time per second, `t` being one window's share of the batch;
3. the limit is `UTILIZATION / cost`: the model thread is kept `1 - UTILIZATION` idle for bursts, finals
   and pre-recorded requests. `UTILIZATION` was set from `bench/streaming.py`, so that the calibrated
   limit is the N at which Deepgram's latency marks still hold (bench/RESULTS.md).

Until calibration ends (a few seconds after start), only the schedule's lag can refuse a stream.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from opengram.engines.asr import DecodeOptions
from opengram.engines.live_decode import LiveDecoder, Window
from opengram.errors import TooManyRequests
from opengram.speech.live.schedule import LiveScheduler

log = logging.getLogger("opengram.streaming")

STALE_AFTER_BEHIND = 2.5  # a hypothesis waiting this many times `behind_s`: interims are being shed
WINDOW_S = 4.0
BATCH = 4
DECODES_PER_S = 1.3
UTILIZATION = 0.6
RATE = 16000


class LiveCapacity:
    """The live streams this server takes (`admit`), and what it tells `/v1/status`."""

    def __init__(self, schedule: LiveScheduler, limit: int = 0, behind_s: float = 1.5):
        self.schedule = schedule
        self.behind_s = behind_s
        self.limit: int | None = limit or None  # None: not calibrated yet
        self.source = "setting" if limit else "calibrating"
        self.decode_s: float | None = None  # calibration: one window's model time
        self.open = 0
        self.refused = 0

    def overloaded(self) -> bool:
        finals, hypotheses = self.schedule.lag()
        return finals > self.behind_s or hypotheses > STALE_AFTER_BEHIND * self.behind_s

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one stream's place while it is open; 429 (Deepgram's body) when the server is full."""
        full = self.limit is not None and self.open >= self.limit
        if full or self.overloaded():
            self.refused += 1
            log.info(
                "live stream refused: %d open (capacity %s), schedule lag %s",
                self.open,
                self.limit,
                self.schedule.lag(),
            )
            raise TooManyRequests()
        self.open += 1
        try:
            yield
        finally:
            self.open -= 1

    def calibrate(self, decoder: LiveDecoder, speech: np.ndarray, options: DecodeOptions) -> None:
        """Measure this machine (blocking: on the model thread) and set the limit."""
        size = int(WINDOW_S * RATE)
        pieces = [speech[i * size // 2 : i * size // 2 + size] for i in range(BATCH)]
        pieces = [p for p in pieces if p.size == size] or [speech[:size]]
        best = math.inf
        for _ in range(2):
            windows = [Window(p, [(0.0, p.size / RATE)], options, final=False, open_end=True) for p in pieces]
            started = time.perf_counter()
            decoder.decode(windows)
            best = min(best, (time.perf_counter() - started) / len(windows))
        self.decode_s = best
        self.limit = max(1, int(UTILIZATION / (DECODES_PER_S * best)))
        self.source = "calibrated"
        log.info("live capacity %d streams (calibrated: %.0f ms per %g s window)", self.limit, best * 1000, WINDOW_S)

    def status(self) -> dict[str, Any]:
        finals, hypotheses = self.schedule.lag()
        return {
            "stream_capacity": self.limit,
            "stream_capacity_source": self.source,
            "calibrated_window_ms": round(self.decode_s * 1000, 1) if self.decode_s is not None else None,
            "decode_lag_ms": round(finals * 1000),
            "hypothesis_lag_ms": round(hypotheses * 1000),
            "streams_refused": self.refused,
        }
