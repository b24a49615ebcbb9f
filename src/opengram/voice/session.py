"""One live text-to-speech socket (WSS /v1/speak, spec 5), protocol side, over a `realtime.Peer`.

`Metadata` first; then `Speak` appends text to a buffer, `Flush` synthesises the buffer (binary audio,
then `Flushed` with the flush's `sequence_id`, counted from 0), `Clear` drops the buffer, every queued
flush and the audio not yet sent (then `Cleared`), and `Close` flushes what is left, sends its audio and
closes with 1000 (the graceful reading of spec 12.6). Errors end the socket with spec 5.4's close codes.
The handshake (auth, parameters, admission) is the HTTP layer's (`api/speak_ws.py`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass

from opengram.engines.voices import Voice
from opengram.errors import DeepgramError
from opengram.realtime import Peer, PeerGone
from opengram.voice.options import SpeakOptions
from opengram.voice.service import SpeakService, Synthesis

MAX_MESSAGE_BYTES = 64 * 1024  # a Speak of 2000 characters is far smaller, however it is escaped
FLUSH_WINDOW_S = 60.0


class SessionClosed(Exception):
    """Ends the session with a close frame."""

    def __init__(self, code: int, reason: str = ""):
        self.code, self.reason = code, reason


@dataclass
class _Flush:
    sequence_id: int | None  # None for the implicit flush of Close
    text: str
    generation: int  # a Clear starts a new generation; older flushes are dropped


class SpeakSession:
    """One socket's text buffer, flush queue and synthesis; all of it runs on the event loop."""

    def __init__(
        self,
        peer: Peer,
        service: SpeakService,
        voice: Voice,
        options: SpeakOptions,
        request_id: str,
        *,
        idle_timeout_s: float,
        max_session_s: float,
        flush_limit: int,
    ):
        self.peer = peer
        self.service = service
        self.voice = voice
        self.options = options
        self.request_id = request_id
        self.idle_timeout_s = idle_timeout_s  # nothing from the client (and no audio pending): 1011 NET-0001
        self.max_session_s = max_session_s  # the whole session: 1011 NET-0003
        self.flush_limit = flush_limit  # Flushes per FLUSH_WINDOW_S before a Warning (0: no limit)
        self.buffer: list[str] = []
        self.buffered = 0  # characters in `buffer`
        self.queue: deque[_Flush] = deque()
        self.wake = asyncio.Event()
        self.generation = 0
        self.flushes = 0  # Flush messages accepted: the next sequence_id
        self.flush_times: deque[float] = deque()
        self.current: Synthesis | None = None
        self.closing = False
        self.characters = 0  # characters sent to synthesis (what is billed)
        self.seconds = 0.0  # audio made
        self._send_lock = asyncio.Lock()

    # Sending: audio comes from the producer, replies from the receiver; one frame at a time.

    async def send_json(self, message: dict) -> None:
        async with self._send_lock:
            await self.peer.send_text(json.dumps(message, separators=(",", ":")))

    async def send_audio(self, data: bytes, generation: int) -> None:
        async with self._send_lock:
            if generation == self.generation:  # a Clear that came in meanwhile drops it
                await self.peer.send_bytes(data)

    async def warn(self, code: str, description: str) -> None:
        # Both key sets: current SDKs read description/code, older ones warn_code/warn_msg (spec 5.3).
        await self.send_json(
            {"type": "Warning", "description": description, "code": code, "warn_code": code, "warn_msg": description}
        )

    async def run(self) -> tuple[int, str]:
        await self.send_json(
            {
                "type": "Metadata",
                "request_id": self.request_id,
                "model_name": self.voice.name,
                "model_version": self.voice.version,
                "model_uuid": self.voice.uuid,
                "additional_model_uuids": [],
            }
        )
        producer = asyncio.create_task(self._produce())
        receiver = asyncio.create_task(self._receive())
        try:
            # Both end normally only after Close (the receiver stops reading, the producer finishes the
            # queue); either one raising ends the session at once.
            done, pending = await asyncio.wait(
                {producer, receiver}, timeout=self.max_session_s, return_when=asyncio.FIRST_EXCEPTION
            )
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # SessionClosed, PeerGone, or a bug
            if pending:
                raise SessionClosed(1011, "NET-0003")
            raise SessionClosed(1000)
        except SessionClosed as closed:
            await self.close(closed.code, closed.reason)
            return closed.code, closed.reason
        except (PeerGone, OSError):
            return 1000, "client disconnected"
        finally:
            for task in (producer, receiver):
                task.cancel()
            await asyncio.gather(producer, receiver, return_exceptions=True)
            self.abort()

    def abort(self) -> None:
        if self.current is not None:
            self.current.abort()

    async def close(self, code: int, reason: str = "") -> None:
        async with self._send_lock:  # after any frame being sent
            await self.peer.close(code, reason)

    def _busy(self) -> bool:
        return bool(self.queue) or self.current is not None

    async def _receive(self) -> None:
        """Returns on Close; raises SessionClosed for a protocol error or silence, PeerGone when the client
        goes away."""
        idle_timeout = self.idle_timeout_s
        while True:
            try:
                received = await asyncio.wait_for(self.peer.receive(), timeout=idle_timeout)
            except TimeoutError:
                if self._busy():  # the client has nothing to say while its audio is still coming
                    continue
                raise SessionClosed(1011, "NET-0001") from None
            if isinstance(received, bytes):
                raise SessionClosed(1003, "MESSAGE-0000")
            text = received
            if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
                raise SessionClosed(1009, "BIG-0000")
            try:
                control = json.loads(text)
            except ValueError:
                control = None
            kind = control.get("type") if isinstance(control, dict) else None
            if kind == "Speak" and isinstance(control.get("text"), str):
                self._speak(control["text"])
            elif kind == "Flush":
                await self._flush()
            elif kind == "Clear":
                await self._clear()
            elif kind == "Close":
                self._enqueue(None)
                self.closing = True
                return
            elif kind == "KeepAlive":  # not in Deepgram's TTS protocol, but harmless: it only resets the timer
                continue
            else:
                raise SessionClosed(1008, "DATA-0000")

    def _speak(self, text: str) -> None:
        limit = self.service.max_characters
        # Per message, Deepgram's limit; per buffer, ten of them, so an unflushed buffer stays bounded.
        if len(text) > limit or self.buffered + len(text) > 10 * limit:
            raise SessionClosed(1009, "BIG-0001")
        self.buffer.append(text)
        self.buffered += len(text)

    async def _flush(self) -> None:
        limit = self.flush_limit
        now = time.monotonic()
        while self.flush_times and now - self.flush_times[0] > FLUSH_WINDOW_S:
            self.flush_times.popleft()
        if limit and len(self.flush_times) >= limit:
            await self.warn(
                "FLUSH_LIMIT_EXCEEDED",
                f"More than {limit} Flush messages in {FLUSH_WINDOW_S:.0f} seconds; this Flush was not processed "
                "and the text stays buffered.",
            )
            return
        self.flush_times.append(now)
        self._enqueue(self.flushes)
        self.flushes += 1

    def _enqueue(self, sequence_id: int | None) -> None:
        text = "".join(self.buffer)
        self.buffer.clear()
        self.buffered = 0
        self.queue.append(_Flush(sequence_id, text, self.generation))
        self.wake.set()

    async def _clear(self) -> None:
        self.generation += 1  # from here no audio of earlier text is sent
        self.buffer.clear()
        self.buffered = 0
        self.queue.clear()
        if self.current is not None:
            self.current.abort()
        await self.send_json({"type": "Cleared", "sequence_id": max(self.flushes - 1, 0)})

    async def _produce(self) -> None:
        """Synthesise queued flushes in order; returns once the Close flush is done."""
        while True:
            if not self.queue:
                self.wake.clear()
                await self.wake.wait()
                continue
            item = self.queue.popleft()
            if item.text.strip() and item.generation == self.generation:
                await self._synthesise(item)
            if item.generation == self.generation and item.sequence_id is not None:
                await self.send_json({"type": "Flushed", "sequence_id": item.sequence_id})
            if item.sequence_id is None:  # Close
                return

    async def _synthesise(self, item: _Flush) -> None:
        text = item.text
        self.characters += len(text)
        synthesis = self.service.synthesis(self.voice, self.options.format, text, self.options.speed)
        self.current = synthesis
        try:
            async for chunk in synthesis.chunks():
                if item.generation != self.generation:
                    break
                await self.send_audio(chunk, item.generation)
        except DeepgramError as error:  # a full scheduler queue: this text is lost, the socket lives on
            await self.warn(error.code, error.message)
        finally:
            synthesis.abort()
            self.seconds += synthesis.seconds
            self.current = None
