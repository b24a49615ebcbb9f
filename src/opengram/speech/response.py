"""Deepgram's pre-recorded response, field for field (spec section 2.3), and its assembly from a transcript."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict

from opengram.engines import asr
from opengram.engines.registry import ModelSpec


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Word(_Wire):
    word: str
    start: float
    end: float
    confidence: float
    punctuated_word: str | None = None


class ResultAlternative(_Wire):
    transcript: str
    confidence: float
    words: list[Word]


class ResultChannel(_Wire):
    alternatives: list[ResultAlternative]


class Results(_Wire):
    channels: list[ResultChannel]


class ModelInfo(_Wire):
    name: str
    version: str
    arch: str


class ListenMetadata(_Wire):
    transaction_key: str = "deprecated"
    request_id: str
    sha256: str
    created: str
    duration: float
    channels: int
    models: list[str]
    model_info: dict[str, ModelInfo]
    tags: list[str] | None = None


class ListenResponse(_Wire):
    metadata: ListenMetadata
    results: Results

    def wire(self) -> dict:
        return self.model_dump(exclude_none=True)


def iso_now() -> str:
    """Deepgram's timestamp form: ISO-8601 UTC with milliseconds and `Z`."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Punctuation at a word's edges; apostrophes inside words ("didn't") stay.
_EDGE_PUNCT = re.compile(r"^[^\w']+|[^\w']+$|^'+|'+$")


def plain_word(text: str) -> str:
    """Deepgram's `word`: lower case, no surrounding punctuation."""
    return _EDGE_PUNCT.sub("", text.strip()).lower()


def _spoken_words(words: list[asr.Word]) -> list[asr.Word]:
    """Whisper's words, with pieces that carry no leading space ("-line", ".") joined to the word before."""
    merged: list[asr.Word] = []
    for w in words:
        if merged and not w.text.startswith(" "):
            prev = merged[-1]
            merged[-1] = asr.Word(prev.text + w.text, prev.start, max(prev.end, w.end), min(prev.probability, w.probability))
        else:
            merged.append(w)
    return merged


def alternative(transcript: asr.Transcript, *, punctuated: bool) -> ResultAlternative:
    words: list[Word] = []
    for w in _spoken_words(transcript.words):
        shown = w.text.strip()
        bare = plain_word(shown)
        if not bare:
            continue  # punctuation with nothing spoken
        words.append(
            Word(
                word=bare,
                start=w.start,
                end=max(w.end, w.start),
                confidence=round(w.probability, 4),
                punctuated_word=shown if punctuated else None,
            )
        )
    text = " ".join((w.punctuated_word or w.word) for w in words)
    confidence = round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0
    return ResultAlternative(transcript=text, confidence=confidence, words=words)


def metadata(
    *,
    request_id: str,
    sha256: str,
    duration: float,
    channels: int,
    spec: ModelSpec,
    tags: list[str] | None = None,
) -> ListenMetadata:
    return ListenMetadata(
        request_id=request_id,
        sha256=sha256,
        created=iso_now(),
        duration=round(duration, 6),
        channels=channels,
        models=[spec.uuid],
        model_info={spec.uuid: ModelInfo(name=spec.key, version=spec.version, arch=spec.arch)},
        tags=tags or None,
    )
