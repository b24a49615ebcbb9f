"""Drive a live stream through the official SDK's `listen.v1.connect` at a chosen pace, and record what
comes back: each message as the SDK parsed it, with the wall time and the audio sent when it arrived."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from deepgram import DeepgramClient
from deepgram.listen.v1.types import ListenV1Configure
from websockets.exceptions import ConnectionClosed

CHUNK_S = 0.05  # 50 ms messages, as Deepgram's own load test sends them


@dataclass
class Step:
    kind: str  # audio, finalize, keepalive, sleep, close, empty, configure
    data: bytes = b""
    bytes_per_second: float = 32000.0
    pace: float = 1.0  # 1.0 = real time, 4.0 = four times faster
    seconds: float = 0.0
    message: dict[str, Any] = field(default_factory=dict)  # a configure step's fields


def audio(data: bytes, bytes_per_second: float, pace: float = 1.0) -> Step:
    return Step("audio", data, bytes_per_second, pace)


def sleep(seconds: float) -> Step:
    return Step("sleep", seconds=seconds)


def configure(**fields: Any) -> Step:
    """Deepgram's mid-stream `Configure` (`keyterms`, `features`), sent with the SDK's `send_configure`."""
    return Step("configure", message=fields)


FINALIZE, KEEPALIVE, CLOSE, EMPTY = Step("finalize"), Step("keepalive"), Step("close"), Step("empty")


@dataclass
class Arrival:
    at: float  # seconds since the stream opened
    sent: float  # audio seconds sent by then
    message: Any  # as the SDK parsed it

    @property
    def body(self) -> dict:
        return self.message.model_dump(exclude_unset=True, mode="json")

    @property
    def type(self) -> str:
        return getattr(self.message, "type", None)


@dataclass
class Session:
    arrivals: list[Arrival] = field(default_factory=list)
    sent: bytearray = field(default_factory=bytearray)
    audio_sent: float = 0.0
    close_code: int | None = None
    close_reason: str | None = None
    marks: dict[str, float] = field(default_factory=dict)  # step name -> when it was sent
    error: BaseException | None = None
    ended: float = 0.0  # when the server closed the stream

    def of(self, type_: str) -> list[dict]:
        return [a.body for a in self.arrivals if a.type == type_]

    @property
    def results(self) -> list[dict]:
        return self.of("Results")

    @property
    def finals(self) -> list[dict]:
        return [r for r in self.results if r["is_final"]]

    def transcript(self, channel: int = 0) -> str:
        return " ".join(
            r["channel"]["alternatives"][0]["transcript"]
            for r in self.finals
            if r["channel_index"][0] == channel and r["channel"]["alternatives"][0]["transcript"]
        )


def stream(client: DeepgramClient, steps: list[Step], **options) -> Session:
    """Run `steps` on one stream (a sender thread) while reading every message until the server closes."""
    session = Session()
    options.setdefault("model", "nova-3")
    with client.listen.v1.connect(**options) as sock:
        opened = time.monotonic()

        def send() -> None:
            try:
                for step in steps:
                    session.marks[step.kind] = time.monotonic() - opened
                    if step.kind == "audio":
                        _send_paced(sock, step, session)
                    elif step.kind == "finalize":
                        sock.send_finalize()
                    elif step.kind == "keepalive":
                        sock.send_keep_alive()
                    elif step.kind == "sleep":
                        time.sleep(step.seconds)
                    elif step.kind == "close":
                        sock.send_close_stream()
                    elif step.kind == "empty":
                        sock.send_media(b"")
                    elif step.kind == "configure":
                        sock.send_configure(ListenV1Configure(**step.message))
            except Exception as exc:  # the server may close first (idle, bad audio): that is what some tests check
                session.error = exc

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        try:
            for message in sock:
                session.arrivals.append(Arrival(time.monotonic() - opened, session.audio_sent, message))
        except ConnectionClosed:  # a close other than 1000/1001 ends the SDK's iteration with an error
            pass
        session.ended = time.monotonic() - opened
        sender.join(timeout=30)
        connection = sock._websocket  # the SDK exposes no close code; its websockets connection does
        session.close_code = connection.close_code
        session.close_reason = connection.close_reason
    return session


def _send_paced(sock, step: Step, session: Session) -> None:
    size = max(1, int(step.bytes_per_second * CHUNK_S))
    start = time.monotonic()
    for i in range(0, len(step.data), size):
        chunk = step.data[i : i + size]
        sock.send_media(chunk)
        session.sent += chunk
        session.audio_sent += len(chunk) / step.bytes_per_second
        due = start + (i + len(chunk)) / step.bytes_per_second / step.pace
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
