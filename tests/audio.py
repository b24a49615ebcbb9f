"""The shared recordings, their references, and word error rate as the tests score it."""

from __future__ import annotations

import io
import json
import re
from functools import lru_cache
from pathlib import Path

import av
import jiwer
import numpy as np
from num2words import num2words

AUDIO_DIR = Path(__file__).resolve().parents[2] / "shared" / "audio"
if not AUDIO_DIR.is_dir():  # a checkout with shared/ inside it
    AUDIO_DIR = Path(__file__).resolve().parents[1] / "shared" / "audio"


@lru_cache
def manifest() -> dict[str, dict]:
    return {f["name"]: f for f in json.loads((AUDIO_DIR / "manifest.json").read_text())["files"]}


def path(name: str) -> Path:
    return AUDIO_DIR / name


def read(name: str) -> bytes:
    return path(name).read_bytes()


def reference(name: str) -> str:
    return manifest()[name]["transcript"]


def _numbers_to_words(text: str) -> str:
    return re.sub(r"\d+(?:\.\d+)?", lambda m: " " + num2words(m.group()) + " ", text)


def normalize(text: str) -> str:
    """Lower case, numbers spelled out, punctuation and hyphens gone: digits and words score alike."""
    text = _numbers_to_words(text.lower().replace(",", ""))
    text = re.sub(r"[-–]", " ", text).replace(" and ", " ")
    text = re.sub(r"[^a-z' ]", " ", text)
    return " ".join(text.split())


def wer(ref: str, hyp: str) -> float:
    return jiwer.wer(normalize(ref), normalize(hyp) or "<empty>")


def transcoded(name: str, container: str, codec: str, rate: int | None = None) -> bytes:
    """Re-encode a shared recording with PyAV, for the formats the shared set lacks (ogg, opus, webm, m4a)."""
    src = av.open(str(path(name)))
    out_buf = io.BytesIO()
    out = av.open(out_buf, mode="w", format=container)
    in_stream = src.streams.audio[0]
    rate = rate or in_stream.rate
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "mono"
    resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
    for frame in src.decode(in_stream):
        for f in resampler.resample(frame):
            for packet in stream.encode(f):
                out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    src.close()
    return out_buf.getvalue()


def pcm16(name: str, rate: int = 16000) -> bytes:
    """Headerless little-endian 16-bit mono PCM of a shared recording."""
    src = av.open(str(path(name)))
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    chunks = [f.to_ndarray() for frame in src.decode(audio=0) for f in resampler.resample(frame)]
    src.close()
    return np.concatenate(chunks, axis=1).astype("<i2").tobytes()
