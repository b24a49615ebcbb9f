"""One Flux stream (`/v2/listen`, model `flux-*`): audio and control messages in, Flux messages out.

Threads, as for a v1 stream (`speech.streaming`): an ingest thread decodes the audio and runs the VAD
(`FluxAudio`); the `TurnMachine` runs on the event loop, fed the VAD frames in order with the control
messages (ForceEndTurn, Configure and CloseStream take effect where they arrived in the audio); decodes
go through the server's shared `LiveScheduler`, batched with every other stream's, on the model thread.
Candidate ends are scheduled as finals (first in a round, and decoded again on the full window when a
short-window guard fails); interims are best effort.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np

from opengram.engines.live_decode import Window, WindowOutcome
from opengram.engines.registry import ModelSpec
from opengram.speech.decoding import decode_options
from opengram.speech.live import audio as live_audio
from opengram.speech.live import results as live_results
from opengram.speech.live import schedule as live_schedule
from opengram.speech.live.turns import evidence as evidence_
from opengram.speech.live.turns.audio import RATE, FluxAudio
from opengram.speech.live.turns.machine import Decoded, Request, TurnMachine
from opengram.speech.live.turns.options import FluxOptions, Invalid
from opengram.speech.postprocess import postprocess
from opengram.speech.shape import tag_language

log = logging.getLogger("opengram.flux")

INGEST_CREDITS = 256  # messages waiting for the ingest thread (back-pressure)
MAX_EVIDENCE_S = 28.0  # a window longer than one encoder window has no end-of-sentence reading
# A short-window decode that leaves this much of the VAD's speech without a word has dropped words (tiny.en
# on a short window sometimes skips a turn's first phrase, or a phrase mid-way): a candidate is decoded
# again on the full window, an interim is dropped.
UNCOVERED_S = 1.0
WORD_SLACK_S = 0.15  # a word covers the speech this close to it
# ... or that has far fewer words than the turn's previous decode had over the same audio (its alignment
# then stretches the words it kept over the speech it skipped, so coverage alone misses it).
FEWER_WORDS = 0.6
FEWER_MIN = 3


def uncovered(speech: list[tuple[float, float]], words) -> float:
    """Seconds of `speech` (regions) that no word, widened by WORD_SLACK_S, overlaps."""
    spans = sorted((w.start - WORD_SLACK_S, w.end + WORD_SLACK_S) for w in words)
    total = 0.0
    for a, b in speech:
        at = a
        for s, e in spans:
            if e <= at or s >= b:
                continue
            if s > at:
                total += s - at
            at = max(at, e)
            if at >= b:
                break
        total += max(0.0, b - at)
    return total


class Closed(Exception):
    """The stream must end: an `Error` message (None: none) and the close frame's code and reason."""

    def __init__(self, code: int, reason: str, error: dict[str, Any] | None = None):
        super().__init__(reason)
        self.code, self.reason, self.error = code, reason, error


_EOF = object()


class TurnDecode(live_schedule.DecodeJob):
    """One decode of a turn's audio for the machine (model thread: `prepare`, `finish`)."""

    def __init__(self, session: FluxSession, request: Request):
        super().__init__(session, 0, final=request.kind != "interim")  # type: ignore[arg-type]
        self.session = session
        self.request = request
        self.decode_options = session.decode_options  # a Configure applies to decodes asked for later
        self.options = session.listen
        self.span: tuple[int, int] = (request.start, request.start)
        self.speech: list[tuple[float, float]] = []
        self.skipped = False
        self.previous = session.machine.previous(request.start)

    def _fewer(self, start: int, words) -> bool:
        """Whether this decode kept far fewer words than one of the turn's recent decodes over the audio both
        covered."""
        for covered_to, mids in self.previous:
            before = sum(1 for m in mids if m * RATE < covered_to)
            now = sum(1 for w in words if start + (w.start + w.end) / 2 * RATE < covered_to)
            if before - now >= FEWER_MIN and now < FEWER_WORDS * before:
                return True
        return False

    def prepare(self) -> Window | None:
        self.started = time.monotonic()
        if self.session.machine.stale(self.request):
            self.skipped = True
            return None
        audio, speech, start, end = self.session.audio.window(self.request.start, self.request.end)
        self.span, self.speech = (start, end), speech
        if not speech:
            return None
        self.window = Window(audio, speech, self.decode_options, final=self.final, open_end=not self.final)
        return self.window

    def finish(self, outcome: WindowOutcome | None) -> Decoded | None:
        start, end = self.span
        if self.skipped:
            return None
        if self.final:
            self.session.timings.append((self.started - self.created, time.monotonic() - self.started))
        if outcome is None:
            return Decoded([], end) if not self.speech else None
        transcript = outcome.transcript
        if transcript is None:  # an interim that failed its guards
            return None
        self.session.stats[outcome.fallback or ("short" if outcome.short else "long")] += 1
        if outcome.short and (
            uncovered(self.speech, transcript.words) >= UNCOVERED_S or self._fewer(start, transcript.words)
        ):
            self.session.stats["dropped words"] += 1
            if not self.final:
                return None
            # one greedy pass on the full window (no temperature fallback): this is a second decode already
            transcript = self.session.engine().transcribe(
                self.window.audio, replace(self.decode_options, temperature=0.0)
            )
            self.window.encoded = None  # the evidence reads the full window the words came from
            outcome = WindowOutcome(transcript, short=False, fallback="uncovered")
        placed = self.session.builder.placed(outcome, start, self.speech, self.span, 0.0)
        language = transcript.language
        words = postprocess(placed, self.options, language) if placed else []
        if self.session.options.multi:
            words = tag_language(words, language)
        found = None
        if (
            self.final
            and transcript.text
            and self.window is not None
            and self.window.audio.size < MAX_EVIDENCE_S * RATE
        ):
            model = self.session.engine().model
            found = evidence_.of_text(model, language, self.window, transcript.text)
        return Decoded(words, end, found, language)


class FluxSession:
    """The transcription side of one Flux WebSocket: `feed`/`control` in, messages on `outbox`."""

    def __init__(
        self,
        *,
        options: FluxOptions,
        spec: ModelSpec,
        request_id: str,
        live: live_schedule.LiveScheduler,
        beam_size: int = 1,
    ):
        self.options = options
        self.spec = spec
        self.request_id = request_id
        self.live = live
        self._beam_size = beam_size
        self._set_options(options)
        self.builder = live_results.ResultBuilder(self.listen, spec, request_id, lambda: 1)
        self.machine = TurnMachine(options.thresholds)
        self.audio = FluxAudio()
        self.outbox: asyncio.Queue[dict[str, Any] | Closed] = asyncio.Queue()
        self.sequence = 0
        self.bytes = 0
        self.stats: Counter[str] = Counter()  # how its decodes went (model thread), logged at the end
        self.timings: list[tuple[float, float]] = []  # candidates: (seconds queued, seconds decoding)
        self.error: Closed | None = None
        self._loop = asyncio.get_running_loop()
        self._inbox: queue.Queue = queue.Queue()
        self._credits = asyncio.Semaphore(INGEST_CREDITS)
        self._ingest_done = asyncio.Event()
        self._closing_decode: asyncio.Future | None = None
        self._closed = False
        self._eof = False
        self._thread = threading.Thread(target=self._ingest, name=f"flux-{request_id[:8]}", daemon=True)
        self._thread.start()

    def _set_options(self, options: FluxOptions) -> None:
        self.options = options
        self.listen = options.listen_options()
        plain = self.listen.model_copy(update={"filler_words": False})
        self.decode_options = replace(decode_options(plain, self._beam_size), initial_prompt=None)

    def engine(self):
        return self.live.registry.engine(self.spec)

    @property
    def duration(self) -> float:
        return self.audio.received / RATE

    # --- event loop: input ---

    def connected(self) -> None:
        self._send({"type": "Connected", "request_id": self.request_id})

    async def feed(self, data: bytes) -> None:
        self.bytes += len(data)
        await self._credits.acquire()
        self._inbox.put(data)

    async def control(self, message: dict[str, Any]) -> None:
        """ForceEndTurn or Configure, in order with the audio."""
        await self._credits.acquire()
        self._inbox.put(("control", message))

    async def finish(self) -> None:
        """CloseStream: process everything received, decode what no decode covered, send the last Updates."""
        self._inbox.put(_EOF)
        await self._ingest_done.wait()
        if self.error is not None:
            return
        if self.machine.close() is not None:
            self._closing_decode = self._loop.create_future()
            self._drain()
            await self._closing_decode
        self.machine.flush()
        self._drain()

    def warn(self, code: str, description: str) -> None:
        """A non-fatal `Warning` (an unknown message type, say)."""
        if self.error is None:
            self._send({"type": "Warning", "request_id": self.request_id, "code": code, "description": description})

    def abort(self) -> None:
        if self.stats:
            waits, runs = sorted(t[0] for t in self.timings), sorted(t[1] for t in self.timings)

            def median(v: list[float]) -> int | None:
                return round(v[len(v) // 2] * 1000) if v else None

            log.info("flux %s decodes: %s; candidates queued p50 %s ms, decoding p50 %s ms", self.request_id,
                     dict(self.stats), median(waits), median(runs))  # fmt: skip
        self._closed = True
        self._inbox.put(_EOF)
        self.live.forget(self)  # type: ignore[arg-type]

    # --- ingest thread ---

    def _take(self) -> bytes | None:
        while not self._eof:
            item = self._inbox.get()
            if item is _EOF:
                self._eof = True
                return None
            self._loop.call_soon_threadsafe(self._credits.release)
            if isinstance(item, tuple):
                self._loop.call_soon_threadsafe(self._on_control, item[1])
                continue
            return item
        return None

    def _sink(self, channels: list[np.ndarray]) -> None:
        mono = channels[0] if len(channels) == 1 else np.mean(channels, axis=0, dtype=np.float32)
        if mono.size:
            flags = self.audio.append(mono)
            if flags.size:
                self._loop.call_soon_threadsafe(self._on_frames, flags)

    def _ingest(self) -> None:
        options = self.options
        try:
            if options.encoding in live_audio.RAW_CODECS:
                decoder = live_audio.RawDecoder(options.encoding, options.sample_rate or 16000, 1)
                while (data := self._take()) is not None:
                    self._sink(decoder.decode(data))
                tail = decoder.flush()
                if tail and tail[0].size:
                    self._sink(tail)
            else:
                live_audio.decode_any(self._take, self._sink, encoding=options.encoding, multichannel=False)
        except live_audio.UndecodableAudio as exc:
            log.info("flux %s: undecodable audio (%s)", self.request_id, exc)
            error = {"type": "Error", "code": "DATA-0000",
                     "description": "The audio could not be decoded; check `encoding` and `sample_rate`."}  # fmt: skip
            self._loop.call_soon_threadsafe(self.fail, Closed(1008, "DATA-0000", error))
        except Exception:
            log.exception("flux %s: ingest failed", self.request_id)
            self._loop.call_soon_threadsafe(self.fail, internal_error())
        finally:
            while not self._eof:
                self._take()
            self._loop.call_soon_threadsafe(self._ingest_done.set)

    # --- event loop: the machine ---

    def _on_frames(self, flags: np.ndarray) -> None:
        if self.error is not None or self._closed:
            return
        self.machine.frames(flags.tolist())
        self._drain()

    def _on_control(self, message: dict[str, Any]) -> None:
        if self.error is not None or self._closed:
            return
        kind = message.get("type")
        if kind == "ForceEndTurn":
            self.machine.force_end()
        elif kind == "Configure":
            self._configure(message)
        self._drain()

    def _configure(self, message: dict[str, Any]) -> None:
        try:
            options = self.options.configured(message)
        except Invalid as refused:
            self._send({"type": "ConfigureFailure", "request_id": self.request_id, "code": refused.code,
                        "description": refused.description})  # fmt: skip
            return
        self._set_options(options)
        self.builder.options = self.listen
        self._send({"type": "ConfigureSuccess", "request_id": self.request_id, **options.report()})
        self.machine.configure(options.thresholds)

    def _submit(self, request: Request) -> None:
        job = TurnDecode(self, request)
        if request.kind == "interim" and not request.urgent:
            self.live.want_interim(job, replace=True)
        else:
            self.live.submit(job)  # type: ignore[arg-type]

    def delivered(self, job: live_schedule.DecodeJob, result: Any) -> None:
        """A decode came back (event loop; called by the LiveScheduler)."""
        if self.error is not None or self._closed or not isinstance(job, TurnDecode):
            return
        self.machine.decoded(job.request, result)
        if job.request.kind == "closing" and self._closing_decode is not None and not self._closing_decode.done():
            self._closing_decode.set_result(None)
        self._drain()

    def _drain(self) -> None:
        machine = self.machine
        self.audio.keep_from(machine.keep_from)
        requests, machine.requests = machine.requests, []
        for request in requests:
            self._submit(request)
        out, machine.out = machine.out, []
        for body in out:
            if body["type"] == "TurnInfo":
                body = {
                    "type": "TurnInfo",
                    "request_id": self.request_id,
                    **{k: v for k, v in body.items() if k != "type"},
                }
                if self.options.multi:
                    if self.options.language_hints:
                        body["languages_hinted"] = list(self.options.language_hints)
                else:
                    del body["languages"]
            else:
                body = {**body, "request_id": self.request_id}
            self._send(body)
        if machine.requests or machine.out:
            self._drain()

    def _send(self, body: dict[str, Any]) -> None:
        ordered = {"type": body["type"], "sequence_id": self.sequence, **{k: v for k, v in body.items() if k != "type"}}
        self.sequence += 1
        self.outbox.put_nowait(ordered)

    def fail(self, closed: Closed) -> None:
        if self.error is not None:
            return
        self.error = closed
        if closed.error is not None:
            self._send(closed.error)
        self.outbox.put_nowait(closed)
        if self._closing_decode is not None and not self._closing_decode.done():
            self._closing_decode.set_result(None)


def internal_error() -> Closed:
    return Closed(1011, "INTERNAL_SERVER_ERROR", {"type": "Error", "code": "INTERNAL_SERVER_ERROR",
                                                  "description": "Transcription backend failed."})  # fmt: skip
