"""Reference turns from shared/audio for Flux: what a turn is in each recording, and which recordings tune the
end-of-turn model and which are held out to score it.

A turn is what one speaker says before the other may answer:

- a single-speaker recording with a reference transcript is one turn, its pauses inside it (JFK's
  1.1 s after "my fellow Americans", the preamble's commas, spacewalk's "um"s);
- OSR's Harvard sentences are ten turns: a list read aloud, each sentence complete, about a second apart;
- a conversation's turns are its speaker runs: consecutive utterances of one speaker (pyannote_sample and
  ami from `speaker_utterances`, with their texts; aepyx from its RTTM `speaker_turns`, without text, so
  it scores end-of-turn timing only). Each run is cut out with 0.15 s around it.

Split by recording, so nothing the bench scores was seen while tuning:

- TUNING: jfk_16k, preamble, OSR, spacewalk, LJ001-0001, 61-70968, cards_005, one_two_three, goforward,
  common_voice_en_22058267;
- HELD_OUT: pyannote_sample, ami, aepyx, mfa_acoustic_corpus, LJ001-0007, testing123, cards_001.

Re-encodings of the same speech (jfk.flac/mp3, preamble_8k_mulaw, one_two_three variants) are left out,
and so is stereo_diarization (the 61-70968 utterance again, one per channel).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import av
import numpy as np
from common import AUDIO_DIR  # bench/common.py

RATE = 16000
PAD_S = 0.15
OSR_GAP_S = 0.75  # pauses between OSR's sentences are 0.8-1.5 s, inside them under 0.65 s

TUNING = ("jfk_16k.wav", "preamble.wav", "OSR_us_000_0034_8k.wav", "spacewalk.wav", "LJ001-0001.wav",
          "61-70968-0000.flac", "cards_005.wav", "one_two_three.wav", "goforward.raw", "common_voice_en_22058267.mp3")  # fmt: skip
HELD_OUT = ("pyannote_sample.wav", "ami_ES2011a_headset_40s-46s.wav", "aepyx_8k.wav", "mfa_acoustic_corpus.wav",
            "LJ001-0007.wav", "testing123_8k_mulaw.wav", "cards_001.wav")  # fmt: skip


@dataclass
class Turn:
    source: str  # the recording
    index: int  # the turn's place in it
    audio: np.ndarray  # float32, 16 kHz mono
    text: str | None  # reference transcript (None: timing only)

    @property
    def name(self) -> str:
        return f"{self.source}#{self.index}"

    @property
    def seconds(self) -> float:
        return self.audio.size / RATE


@lru_cache
def manifest() -> dict[str, dict]:
    return {f["name"]: f for f in json.loads((AUDIO_DIR / "manifest.json").read_text())["files"]}


@lru_cache
def samples(name: str) -> np.ndarray:
    path = AUDIO_DIR / name
    if name.endswith(".raw"):
        return np.frombuffer(path.read_bytes(), "<i2").astype(np.float32) / 32768
    with av.open(str(path)) as src:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        parts = [f.to_ndarray().reshape(-1) for frame in src.decode(audio=0) for f in resampler.resample(frame)]
        parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.float32)


def _runs(items: list[dict]) -> list[tuple[float, float, str | None]]:
    """Consecutive items of one speaker as one turn: (start, end, text)."""
    out: list[list] = []
    for item in items:
        if out and out[-1][3] == item["speaker"]:
            out[-1][1] = item["end"]
            if item.get("text") is not None:
                out[-1][2] = f"{out[-1][2]} {item['text']}"
        else:
            out.append([item["start"], item["end"], item.get("text"), item["speaker"]])
    return [(a, b, t) for a, b, t, _ in out]


def _cut(x: np.ndarray, start: float, end: float) -> np.ndarray:
    return x[max(0, int((start - PAD_S) * RATE)) : int((end + PAD_S) * RATE)]


def _osr(name: str) -> list[Turn]:
    from opengram.speech.live.turns.audio import FluxAudio

    x = samples(name)
    flags = FluxAudio().append(x)
    runs, k = [], 0
    while k < flags.size:
        if flags[k]:
            j = k
            while j < flags.size and flags[j]:
                j += 1
            runs.append([k * 512, j * 512])
            k = j
        else:
            k += 1
    merged = [runs[0]]
    for a, b in runs[1:]:
        if a - merged[-1][1] < OSR_GAP_S * RATE:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    sentences = [s.strip() + "." for s in manifest()[name]["transcript"].split(".") if s.strip()]
    assert len(sentences) == len(merged), (len(sentences), len(merged))
    return [Turn(name, i, _cut(x, a / RATE, b / RATE), text) for i, ((a, b), text) in enumerate(zip(merged, sentences))]


def turns_of(name: str) -> list[Turn]:
    entry = manifest()[name]
    x = samples(name)
    if name.startswith("OSR_"):
        return _osr(name)
    if entry.get("speaker_utterances"):
        return [Turn(name, i, _cut(x, a, b), t) for i, (a, b, t) in enumerate(_runs(entry["speaker_utterances"]))]
    if entry.get("speaker_turns") and not entry.get("transcript"):
        return [Turn(name, i, _cut(x, a, b), None) for i, (a, b, _) in enumerate(_runs(entry["speaker_turns"]))]
    return [Turn(name, 0, x, entry["transcript"])]


def turns(split: tuple[str, ...]) -> list[Turn]:
    return [t for name in split for t in turns_of(name)]


@dataclass
class Conversation:
    audio: np.ndarray
    spans: list[tuple[Turn, float, float]]  # each turn's place in the stream: start and end, seconds


def conversation(items: list[Turn], gap_s: float, lead_s: float = 0.5) -> Conversation:
    """The turns one after another with `gap_s` of silence between them (the other side's reply)."""
    parts, spans, at = [np.zeros(int(lead_s * RATE), np.float32)], [], lead_s
    for turn in items:
        parts += [turn.audio, np.zeros(int(gap_s * RATE), np.float32)]
        spans.append((turn, at, at + turn.seconds))
        at += turn.seconds + gap_s
    return Conversation(np.concatenate(parts), spans)
