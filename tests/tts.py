"""Helpers for the text-to-speech tests: texts, decoding what /v1/speak returns."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import httpx

# Natural prose, as TTS users send it. (Harvard sentences are a harsher test of the ASR than of the voice:
# tiny.en hears "the birch canoe slid" as "the birch can use lid" whoever speaks it.)
PASSAGE = (
    "Good morning everyone, and thank you for joining the weekly planning meeting. Today we will review the "
    "progress of the mobile application, discuss the budget for the next quarter, and agree on the schedule for "
    "the customer support training. The engineering team finished the new login screen last week, and the "
    "testing team found only a few small problems. We expect to release the update to all users by the end of "
    "the month."
)
SHORT = "Hello there. This is a short test."
# Long enough that synthesis takes a while, made of many sentences.
LONG = " ".join(
    f"Sentence number {n} is here to make the text longer, so that streaming can be seen at work."
    for n in ("one", "two", "three", "four", "five", "six", "seven", "eight")
)

RAW_DEMUXERS = {"linear16": "s16le", "mulaw": "mulaw", "alaw": "alaw"}


@dataclass
class Decoded:
    codec: str
    container: str
    sample_rate: int
    channels: int
    frames: int  # samples per channel

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def decode(
    data: bytes, encoding: str | None = None, container: str | None = None, sample_rate: int | None = None
) -> Decoded:
    """Decode TTS output with PyAV; headerless output (container=none, as the WebSocket sends too) needs its
    encoding and rate."""
    if container == "none":
        opened = av.open(
            io.BytesIO(data),
            format=RAW_DEMUXERS[encoding],
            options={"sample_rate": str(sample_rate), "ch_layout": "mono"},
        )
    else:
        opened = av.open(io.BytesIO(data))
    with opened as c:
        stream = c.streams.audio[0]
        frames = sum(f.samples for f in c.decode(stream))
        return Decoded(stream.codec_context.name, c.format.name, stream.rate, stream.codec_context.channels, frames)


def speak(
    server, text: str | None = SHORT, key: str | None = None, body=None, content_type="application/json", **params
) -> httpx.Response:
    content = body if body is not None else httpx.Request("POST", "/", json={"text": text}).content
    return httpx.post(
        f"{server.url}/v1/speak",
        params=params,
        content=content,
        headers={"Authorization": f"Token {key or server.key}", "Content-Type": content_type},
        timeout=60,
    )
