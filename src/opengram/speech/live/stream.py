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

Files (all in `speech/live/`): `segments` (a channel's VAD and spans), `schedule` (the shared decode
rounds), `results` (Results messages), `audio` (incremental decoding), `diarize` (speakers as finals come),
`configure` (mid-stream Configure), and this one: the session of one socket (`LiveStream`): input,
the order of messages, UtteranceEnd, the no_delay hold, and the closing Metadata.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import queue
import threading
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from opengram.engines.registry import ModelSpec
from opengram.speech import formatting
from opengram.speech.decoding import decode_options
from opengram.speech.live import audio as live_audio
from opengram.speech.live import configure as live_configure
from opengram.speech.live.decodes import FinalDecode, InterimDecode
from opengram.speech.live.diarize import OnlineSpeakers
from opengram.speech.live.results import ResultBuilder, round_time
from opengram.speech.live.schedule import DecodeJob, LiveScheduler
from opengram.speech.live.segments import (
    RATE,
    Cut,
    InterimDue,
    Progress,
    SpeechStarted,
    StreamConfig,
    Track,
)
from opengram.speech.options import ListenOptions
from opengram.speech.postprocess import postprocess
from opengram.speech.response import iso_now
from opengram.speech.words import TimedWord

log = logging.getLogger("opengram.streaming")

ENTITY_WAIT_S = 3.0  # audio after a held final before it goes out alone (Deepgram: "up to ~3 s")
SHED_AFTER_S = 2.0  # a final waiting this long for the model: the stream's hypotheses are skipped until it is done
OUTBOX_INTERIM_LIMIT = 16  # queued messages (some seconds behind) past which a slow client's interims are dropped
INGEST_CREDITS = 256  # messages a stream may have waiting for its ingest thread (back-pressure)


def _ends_in_number(words: list[TimedWord]) -> bool:
    last = words[-1].word
    return last in formatting.NUMBER_WORDS or any(c.isdigit() for c in last)


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
    placed: list[TimedWord] = field(default_factory=list)
    language: str = "en"


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
        self._beam_size = beam_size
        self.decode_options = self._decode_options(options)
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
        self.interims_dropped = 0  # for a client that reads too slowly
        self.interims_shed = 0  # hypotheses not asked for while the stream's finals waited for the model
        self._held: dict[int, _Slot] = {}  # a final waiting for the rest of a number (no_delay=false)
        self.interim = self.config.interim
        # The decodes' own state (decodes.DecodingStream): hypotheses to compare, the last commit per channel.
        self.hypotheses: dict[int, tuple[int, list[TimedWord] | None]] = {}
        self.commits: dict[int, tuple[int, list[TimedWord]]] = {}
        # Entities are only formatted (so only worth waiting for) with smart_format or numerals; diarized
        # words carry speakers that a merge would lose.
        self._holds = self._holds_entities(options)
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

    def _decode_options(self, options: ListenOptions):
        stream_options = options.model_copy(update={"filler_words": False, "detect_language": []})
        return replace(decode_options(stream_options, self._beam_size), initial_prompt=None)

    def _holds_entities(self, options: ListenOptions) -> bool:
        return (options.smart_format or options.numerals) and not options.no_delay and not self._diarize

    # --- event loop side: input ---

    def configure(self, message: dict[str, Any]) -> dict[str, Any]:
        """Deepgram's mid-stream `Configure`: applied to every segment cut from now on (a segment already
        cut keeps the options it was cut under). Returns the ConfigureSuccess or ConfigureFailure."""
        try:
            options, report = live_configure.configured(self.options, message)
        except live_configure.ConfigureRefused as refused:
            return {
                "type": "ConfigureFailure",
                "request_id": self.request_id,
                "code": refused.code,
                "description": refused.description,
            }
        self.options = options
        self.decode_options = self._decode_options(options)
        self.builder.options = options
        self._holds = self._holds_entities(options)
        return {"type": "ConfigureSuccess", "request_id": self.request_id, **report}

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
            self._release_held()

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
                            self.emit(cut)
                continue
            return item
        return None  # and again on every later call

    def emit(self, event: Any) -> None:
        """An event for the event loop, from the ingest or the model thread, in the order emitted."""
        self._loop.call_soon_threadsafe(self._on_event, event)

    def _sink(self, channels: list[np.ndarray]) -> None:
        if not self.options.multichannel and len(channels) > 1:
            channels = [np.mean(channels, axis=0, dtype=np.float32)]
        if not self.tracks:
            self.tracks = [Track(i, self.config) for i in range(len(channels))]
        for track, samples in zip(self.tracks, channels):
            if samples.size:
                track.append(samples, self.emit)

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
                        self.emit(cut)
        except live_audio.UndecodableAudio as exc:
            log.info("stream %s: undecodable audio (%s)", self.request_id, exc)
            self.emit(StreamClosed(1008, "DATA-0000"))
        except Exception:
            log.exception("stream %s: ingest failed", self.request_id)
            self.emit(StreamClosed(1011, "NET-0000"))
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
            if event.message is not None:  # words a hypothesis committed (commit.py): the final is made
                slot.message, slot.placed, slot.language = event.message, event.placed, event.language
                self._pump(event.channel)
            elif event.audio is None:
                slot.message = self.builder.results(
                    event.channel,
                    event.start,
                    event.end,
                    [],
                    is_final=True,
                    speech_final=event.speech_final,
                    from_finalize=event.from_finalize,
                )
                self._pump(event.channel)
            else:
                self.live.submit(FinalDecode(self, event))
        elif isinstance(event, SpeechStarted):
            if self.config.vad_events:
                self._send(
                    {
                        "type": "SpeechStarted",
                        "channel": [event.channel, max(1, len(self.tracks))],
                        "timestamp": round_time(event.at / RATE),
                    }
                )
        elif isinstance(event, InterimDue):
            if self.live.behind(self) > SHED_AFTER_S:
                self.interims_shed += 1  # behind real time: finals first, interims (and commits) wait
            elif not self._closing:  # a hypothesis: the interim (if asked for), and maybe a commit
                self.live.want_interim(InterimDecode(self, event.channel))
        elif isinstance(event, Progress):
            self._audio_now[event.channel] = event.now
            self._open_speech[event.channel] = event.open_speech
            held = self._held.get(event.channel)
            # No more of it came within the wait; a later segment already cut (its decode still to come) is
            # waited for, so a busy model never splits a number that was said in time.
            if (
                held is not None
                and event.now - held.cut.end >= ENTITY_WAIT_S * RATE
                and not self._slots.get(event.channel)
            ):
                self._send_final(event.channel, self._held.pop(event.channel).message)  # no more of it came
            self._check_utterance_end(event.channel)

    def delivered(self, job: DecodeJob, result: Any) -> None:
        """A decode came back (event loop)."""
        if self.error is not None:
            return
        if isinstance(job, FinalDecode):
            if result is None:  # the round failed: an empty final keeps the channel's order moving
                result = job.finish(None)
            for slot in self._slots.get(job.channel, ()):
                if slot.cut is job.cut:
                    slot.message, slot.placed, slot.language = result, job.placed, job.language
            self._pump(job.channel)
        elif result is not None and result[1] is not None:
            generation, message = result
            track = self.track(job.channel)
            if track is None or track.generation != generation or self._slots.get(job.channel):
                return  # the span was cut since: its final replaces this interim
            if job.channel in self._held:
                return  # it would start after a final the client has not seen yet
            if self.outbox.qsize() > OUTBOX_INTERIM_LIMIT:
                self.interims_dropped += 1
                return  # a slow reader: drop interims rather than queue them
            self._send(message)

    def _pump(self, channel: int) -> None:
        slots = self._slots.get(channel)
        while slots and slots[0].message is not None:
            slot = self._hold_entity(channel, slots.popleft())
            if slot is not None:
                self._send_final(channel, slot.message)
        self._check_utterance_end(channel)
        if not any(self._slots.values()):
            self._drained.set()

    def _send_final(self, channel: int, message: dict[str, Any]) -> None:
        words = message["channel"]["alternatives"][0]["words"]
        if words:
            self._utterance_end_before(channel, words[0]["start"])
            self._last_word_end[channel] = words[-1]["end"]
            self._utterance_sent[channel] = False
        self._send(message)

    def _hold_entity(self, channel: int, slot: _Slot) -> _Slot | None:
        """Deepgram's smart formatting waits for an entity to finish unless `no_delay`: a final whose speech
        ends in a number ("my number is five five five" ... "one two three four") is held and merged with
        the next one, so the whole number is formatted at once. The next final usually comes within about a
        second (an empty final per second of silence); after ENTITY_WAIT_S of audio a held final goes out
        alone. Finalize and CloseStream never wait."""
        held = self._held.pop(channel, None)
        if held is not None:
            slot = self._merge(held, slot)
        if (
            self._holds
            and not self._closing
            and not slot.cut.from_finalize
            and slot.placed
            and _ends_in_number(slot.placed)
        ):
            self._held[channel] = slot
            return None
        return slot

    def _merge(self, held: _Slot, slot: _Slot) -> _Slot:
        cut = replace(slot.cut, start=held.cut.start)
        placed = held.placed + slot.placed
        words = postprocess(placed, self.options, held.language) if placed else []
        message = self.builder.results(
            cut.channel,
            cut.start,
            cut.end,
            words,
            is_final=True,
            speech_final=cut.speech_final,
            from_finalize=cut.from_finalize,
            language=held.language,
        )
        # Only the newest segment's words count for holding again: an empty final means the speaker stopped.
        return _Slot(cut, message, placed if slot.placed else [], held.language)

    def _release_held(self) -> None:
        for channel in list(self._held):
            self._send_final(channel, self._held.pop(channel).message)

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
        if (
            ms is None
            or last is None
            or self._utterance_sent.get(channel)
            or self._slots.get(channel)
            or channel in self._held
        ):
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
