"""Drive a Flux stream through the official SDK's `listen.v2.connect` like a microphone: 80 ms messages of
16 kHz linear16, each sent when its last sample is due at the chosen pace; record every message as the SDK
parsed it with the wall time it arrived; check each one strictly against the SDK's types, and check the
turn state machine's rules (spec §1.5) on the whole recording."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from deepgram import DeepgramClient
from deepgram.listen.v2.types import (
    ListenV2ConfigureFailure,
    ListenV2ConfigureSuccess,
    ListenV2Connected,
    ListenV2FatalError,
    ListenV2TurnInfo,
    ListenV2Warning,
)
from websockets.exceptions import ConnectionClosed

from tests.wire import strictly

RATE = 16000
CHUNK_S = 0.08  # Deepgram's recommendation for Flux
TYPES = {
    "Connected": ListenV2Connected,
    "TurnInfo": ListenV2TurnInfo,
    "ConfigureSuccess": ListenV2ConfigureSuccess,
    "ConfigureFailure": ListenV2ConfigureFailure,
    "Warning": ListenV2Warning,
    "Error": ListenV2FatalError,
}


@dataclass
class Step:
    kind: str  # audio, sleep, force, configure, close, raw
    data: bytes = b""
    seconds: float = 0.0
    message: Any = None
    bytes_per_second: float = RATE * 2


def audio(data: bytes, bytes_per_second: float = RATE * 2) -> Step:
    """Audio to send paced: 16 kHz linear16 by default, or a container file at its own byte rate."""
    return Step("audio", data, bytes_per_second=bytes_per_second)


def silence(seconds: float) -> Step:
    return Step("audio", bytes(int(seconds * RATE) * 2))


def sleep(seconds: float) -> Step:
    return Step("sleep", seconds=seconds)


def configure(**fields: Any) -> Step:
    return Step("configure", message={"type": "Configure", **fields})


def raw(text: str) -> Step:
    return Step("raw", message=text)


FORCE, CLOSE = Step("force"), Step("close")


@dataclass
class Arrival:
    at: float  # wall seconds since the stream opened
    sent: float  # audio seconds sent by then
    body: dict

    @property
    def type(self) -> str:
        return self.body.get("type")


@dataclass
class Session:
    arrivals: list[Arrival] = field(default_factory=list)
    sent: float = 0.0  # audio seconds sent
    marks: list[tuple[str, float, float]] = field(default_factory=list)  # (step, wall, audio seconds) when sent
    close_code: int | None = None
    error: BaseException | None = None

    def of(self, type_: str) -> list[dict]:
        return [a.body for a in self.arrivals if a.type == type_]

    @property
    def turns(self) -> list[dict]:
        return self.of("TurnInfo")

    def events(self, *names: str) -> list[dict]:
        return [t for t in self.turns if t["event"] in names]

    def ends(self) -> list[dict]:
        return self.events("EndOfTurn")


def stream(client: DeepgramClient, steps: list[Step], pace: float = 1.0, **options: Any) -> Session:
    """Run `steps` on one Flux stream (a sender thread) and read every message until the server closes."""
    session = Session()
    options.setdefault("model", "flux-general-en")
    options.setdefault("encoding", "linear16")
    options.setdefault("sample_rate", 16000)
    with client.listen.v2.connect(**options) as sock:
        opened = time.monotonic()

        def send() -> None:
            try:
                for step in steps:
                    session.marks.append((step.kind, time.monotonic() - opened, session.sent))
                    if step.kind == "audio":
                        _send_paced(sock, step, session, opened, pace)
                    elif step.kind == "sleep":
                        time.sleep(step.seconds)
                    elif step.kind == "force":
                        sock.send_force_end_turn()
                    elif step.kind == "configure":
                        sock.send_configure(step.message)
                    elif step.kind == "close":
                        sock.send_close_stream()
                    elif step.kind == "raw":
                        sock._websocket.send(step.message)
            except Exception as exc:  # the server may close first
                session.error = exc

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        try:
            for message in sock:
                body = (
                    message.model_dump(exclude_unset=True, mode="json") if hasattr(message, "model_dump") else message
                )
                session.arrivals.append(Arrival(time.monotonic() - opened, session.sent, body))
        except ConnectionClosed:
            pass
        sender.join(timeout=30)
        session.close_code = sock._websocket.close_code
    return session


def _send_paced(sock, step: Step, session: Session, opened: float, pace: float) -> None:
    rate = step.bytes_per_second
    size = max(1, int(CHUNK_S * rate))
    for i in range(0, len(step.data), size):
        chunk = step.data[i : i + size]
        due = opened + (session.sent + len(chunk) / rate) / pace  # when its last sample is "spoken"
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock.send_media(chunk)
        session.sent += len(chunk) / rate


def validate(session: Session, *, eager: bool = False, multi: bool = False) -> None:
    """Every message strictly against its SDK type, and the state machine's rules on the whole recording."""
    assert session.arrivals, "no messages"
    for a in session.arrivals:
        assert a.type in TYPES, f"unknown message {a.body}"
        strictly(TYPES[a.type], a.body)
    check_turns([a.body for a in session.arrivals], eager=eager, multi=multi)


def check_turns(messages: list[dict], *, eager: bool = False, multi: bool = False) -> None:
    """Spec §1.5's invariants over one stream's messages (the bench checks its recordings with this too)."""
    assert messages[0]["type"] == "Connected"
    rid = messages[0]["request_id"]
    assert [m["sequence_id"] for m in messages] == list(range(len(messages))), "sequence_id must count up by one"
    state, index, last_eager, window_end, window_start = "Idle", 0, None, 0.0, 0.0
    for m in messages[1:]:
        if m["type"] != "Error":
            assert m["request_id"] == rid
        if m["type"] != "TurnInfo":
            continue
        event, text = m["event"], m["transcript"]
        assert m["turn_index"] == index, f"turn_index {m['turn_index']} where {index} was due: {m}"
        assert m["audio_window_start"] <= m["audio_window_end"]
        assert m["audio_window_end"] >= window_end and m["audio_window_start"] >= window_start, "windows ran backwards"
        window_end, window_start = m["audio_window_end"], m["audio_window_start"]
        assert 0.0 <= m["end_of_turn_confidence"] <= 1.0
        assert ("trigger" in m) == (event == "EndOfTurn"), f"trigger on {event}"
        assert text == " ".join(w["word"] for w in m["words"]), "transcript is the words"
        assert all(w["start"] <= w["end"] for w in m["words"])
        if multi:
            assert "languages" in m and (m["languages"] or not text)
        else:
            assert "languages" not in m and "languages_hinted" not in m
        if not eager:
            assert event not in ("EagerEndOfTurn", "TurnResumed")
        if event == "Update":
            if state == "Idle":
                assert text == "" and m["words"] == [], "an Idle Update carries no words"
            if state == "Awaiting":
                assert text == last_eager, "an Update while awaiting keeps the eager transcript"
        elif event == "StartOfTurn":
            assert state == "Idle" and text, "StartOfTurn starts a turn and carries text"
            state = "Ongoing"
        elif event == "EagerEndOfTurn":
            assert state == "Ongoing" and text, "EagerEndOfTurn comes from Ongoing and carries text"
            state, last_eager = "Awaiting", text
        elif event == "TurnResumed":
            assert state == "Awaiting", "TurnResumed only follows an EagerEndOfTurn"
            state, last_eager = "Ongoing", None
        elif event == "EndOfTurn":
            assert state in ("Ongoing", "Awaiting") and text, "EndOfTurn ends an open turn"
            assert m["trigger"] in ("model", "manual", "timeout")
            if state == "Awaiting":
                assert text == last_eager, "EndOfTurn after EagerEndOfTurn has its transcript"
            elif eager and m["trigger"] == "model":
                raise AssertionError("a model EndOfTurn in eager mode comes after an EagerEndOfTurn")
            state, last_eager, index = "Idle", None, index + 1


def pcm(samples: np.ndarray) -> bytes:
    return np.clip(samples * 32768, -32768, 32767).astype("<i2").tobytes()
