"""Text to chunked, encoded audio: the TTS service behind REST and WebSocket /v1/speak.

A `Synthesis` makes one text's audio one sentence per scheduler job: synthesise the sentence, encode it,
hand the bytes back. So the first sentence leaves before the last is synthesised, model work never runs on
the event loop, and between two sentences of a long text the shared scheduler runs whatever else waits
(transcription included): TTS cannot hold the model workers for the length of a whole text. Stopping
between sentences is also how a WebSocket `Clear` drops audio not yet made.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator

import numpy as np

from opengram.engines.scheduler import Scheduler
from opengram.engines.tts import VoiceSpec
from opengram.engines.voices import Voice, VoiceRegistry
from opengram.errors import EmptyText, TextTooLong, TooManyRequests, TtsTooManyRequests
from opengram.voice.encoder import Encoder
from opengram.voice.formats import AudioFormat

log = logging.getLogger("opengram.voice")

# Piper splits text into sentences itself; a run longer than this without a sentence end is cut at the
# last clause mark or space first, so no single model call (and no wait for first audio) grows with it.
MAX_PIECE_CHARS = 400
_BREAKS = (re.compile(r"[.!?…]+[\"'”’)\]]*\s"), re.compile(r"[,;:–—]\s"), re.compile(r"\s"))
# Control characters break espeak (a NUL raises); `[[ ... ]]` is Piper's raw-phoneme syntax, which user text
# must not switch on by accident.
_UNSPEAKABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\[(?=\[)|\](?=\])")


def speakable(text: str) -> str:
    return _UNSPEAKABLE.sub(" ", text)


def pieces(text: str, limit: int = MAX_PIECE_CHARS) -> list[str]:
    out: list[str] = []
    text = text.strip()
    while len(text) > limit:
        window = text[: limit + 1]
        cut = 0
        for pattern in _BREAKS:
            ends = [m.end() for m in pattern.finditer(window)]
            if ends:
                cut = ends[-1]
                break
        cut = cut or limit
        out.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        out.append(text)
    return out


# Time to first audio grows with the first sentence. A long one is started at its first clause mark (where
# a pause belongs anyway) so that a shorter fragment goes out first; later sentences stay whole.
QUICK_START_CHARS = 60
_CLAUSE = re.compile(r"[,;:–—]\s")


def quick_start(parts: list[str]) -> list[str]:
    if not parts:
        return parts
    head = parts[0]
    end = _BREAKS[0].search(head + " ")
    sentence = head[: end.end()] if end else head
    if len(sentence) <= QUICK_START_CHARS:
        return parts
    cut = next((m.end() for m in _CLAUSE.finditer(sentence) if 12 <= m.end() <= len(sentence) - 12), None)
    if cut is None:
        return parts
    return [head[:cut].strip(), head[cut:].strip(), *parts[1:]]


def audio_headers(voice: Voice, characters: int) -> dict[str, str]:
    """Spec 4.2's headers of synthesised audio (`dg-request-id` is every response's)."""
    return {"dg-model-name": voice.name, "dg-model-uuid": voice.uuid, "dg-char-count": str(characters)}


class Synthesis:
    """One text's audio in one format. Iterate `chunks()` once; `abort()` stops it between sentences."""

    def __init__(self, service: SpeakService, spec: VoiceSpec, fmt: AudioFormat, text: str, speed: float):
        self._service = service
        self._spec = spec
        self.format = fmt
        self._pieces = quick_start(pieces(speakable(text)))
        self._speed = speed
        self._lock = threading.Lock()  # held by the running step; steps never overlap
        self._encoder: Encoder | None = None
        self._sentences: Iterator | None = None
        self.input_rate = 0
        self.samples = 0  # synthesised samples at `input_rate`
        self.finished = False
        self.aborted = False

    @property
    def seconds(self) -> float:
        return self.samples / self.input_rate if self.input_rate else 0.0

    async def chunks(self, *, background: bool = False) -> AsyncIterator[bytes]:
        """Encoded audio as each sentence is made. The first job is admitted against the scheduler's queue
        (429 when it is full); the rest of an accepted text waits its turn. `background` jobs always wait."""
        admit = not background
        scheduler = self._service.scheduler
        while not (self.finished or self.aborted):
            try:
                data = await scheduler.run(self._step, admit=admit)
            except TooManyRequests:
                raise TtsTooManyRequests() from None
            admit = False
            if data:
                yield data

    def _step(self) -> bytes:
        """In a worker thread: the next sentence, encoded (possibly b"" while an encoder buffers); at the
        end, the encoder's tail and trailer."""
        with self._lock:
            try:
                if self.aborted:
                    return b""
                if self._encoder is None:
                    engine = self._service.voices.engine(self._spec)
                    self.input_rate = engine.sample_rate
                    self._encoder = Encoder(self.format, engine.sample_rate)
                    self._sentences = (s for p in self._pieces for s in engine.sentences(p, self._speed))
                for samples in self._sentences:
                    if samples.size:
                        self.samples += samples.shape[0]
                        return self._encoder.encode(samples)
                self.finished = True
                return self._encoder.finish()
            finally:
                if self.aborted and self._encoder is not None:
                    self._encoder.close()

    def abort(self) -> None:
        """Make no more audio. Never blocks: a step that is running closes the encoder when it ends (and if
        the two miss each other, PyAV closes the container when it is freed)."""
        if self.finished:
            return
        self.aborted = True
        if self._lock.acquire(blocking=False):
            try:
                if self._encoder is not None:
                    self._encoder.close()
            finally:
                self._lock.release()


class SpeakService:
    def __init__(
        self,
        voices: VoiceRegistry,
        scheduler: Scheduler,
        *,
        max_characters: int = 2000,
    ):
        self.voices = voices
        self.scheduler = scheduler
        self.max_characters = max_characters

    def resolve(self, model: str | None) -> Voice:
        return self.voices.resolve(model)

    def check_text(self, text: str) -> str:
        """400 for text with nothing to say, 413 past the character limit (spec 4.4)."""
        if not text.strip():
            raise EmptyText()
        if len(text) > self.max_characters:
            raise TextTooLong(self.max_characters)
        return text

    def synthesis(self, voice: Voice, fmt: AudioFormat, text: str, speed: float = 1.0) -> Synthesis:
        return Synthesis(self, voice.spec, fmt, text, speed)

    def samples(self, text: str, rate: int) -> np.ndarray:
        """The default voice saying `text`, as mono float32 at `rate` (blocking): real speech for measuring
        the machine (the live capacity's calibration)."""
        voice = self.voices.resolve(None)
        engine = self.voices.engine(voice.spec)
        said = np.concatenate([s for s in engine.sentences(text) if s.size])
        times = np.arange(int(said.size * rate / engine.sample_rate)) / rate
        return np.interp(times, np.arange(said.size) / engine.sample_rate, said).astype(np.float32)

    def load(self) -> None:
        """Load every installed voice (blocking; the server runs it beside start-up, not before)."""
        for spec in self.voices.specs:
            try:
                self.voices.engine(spec)
            except Exception:
                log.exception("could not load voice %s", spec.key)
