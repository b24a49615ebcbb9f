"""The word as post-processing sees it: Deepgram's fields, built from any engine's timed words."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from opengram.engines import asr

# Punctuation at a word's edges; apostrophes inside words ("didn't") stay.
_EDGE_PUNCT = re.compile(r"^[^\w'$%@#&+]+|[^\w'%]+$|^'+|'+$")


def plain_word(text: str) -> str:
    """Deepgram's `word`: lower case, no surrounding punctuation."""
    return _EDGE_PUNCT.sub("", text.strip()).lower()


@dataclass
class TimedWord:
    word: str  # bare, lower case
    punctuated: str  # with punctuation and casing
    start: float
    end: float
    confidence: float
    speaker: int | None = None
    speaker_confidence: float | None = None
    language: str | None = None  # with language=multi

    def with_text(self, punctuated: str, **changes) -> TimedWord:
        return replace(self, word=plain_word(punctuated), punctuated=punctuated, **changes)


def from_engine(words: list[asr.Word]) -> list[TimedWord]:
    """Whisper's words, with pieces that carry no leading space ("-line", ".") joined to the word before."""
    merged: list[asr.Word] = []
    for w in words:
        if merged and not w.text.startswith(" "):
            prev = merged[-1]
            merged[-1] = asr.Word(
                prev.text + w.text,
                prev.start,
                max(prev.end, w.end),
                min(prev.probability, w.probability),
                prev.language,
            )
        else:
            merged.append(w)
    out = []
    for w in merged:
        shown = w.text.strip()
        bare = plain_word(shown)
        if bare:  # punctuation with nothing spoken is dropped
            out.append(
                TimedWord(bare, shown, w.start, max(w.end, w.start), round(w.probability, 4), language=w.language)
            )
    return out


def split_span(word: TimedWord, texts: list[str]) -> list[TimedWord]:
    """One word becomes several (a replacement, a number spelled out): its time is shared out by length."""
    if len(texts) == 1:
        return [word.with_text(texts[0])]
    weights = [max(len(plain_word(t)), 1) for t in texts]
    total = sum(weights)
    out, at = [], word.start
    for text, weight in zip(texts, weights):
        end = at + (word.end - word.start) * weight / total
        out.append(word.with_text(text, start=round(at, 3), end=round(end, 3)))
        at = end
    out[-1].end = word.end
    return out


def join_span(words: list[TimedWord], punctuated: str) -> TimedWord:
    """Several words become one (a number, an email, a redaction): it spans them all."""
    first = words[0]
    return replace(
        first,
        word=plain_word(punctuated) or punctuated.lower(),
        punctuated=punctuated,
        end=words[-1].end,
        confidence=round(min(w.confidence for w in words), 4),
    )


def trailing_punct(text: str) -> str:
    m = re.search(r"[^\w%]+$", text)
    return m.group() if m else ""


def leading_punct(text: str) -> str:
    m = re.match(r"^[^\w$#@&+]+", text)
    return m.group() if m else ""


def tighten(words: list[TimedWord], regions: list[tuple[float, float]]) -> list[TimedWord]:
    """Clip word times to the speech a voice-activity detector heard.

    Whisper's word timestamps stretch across the pauses around words; Deepgram's end where the voice
    does, and utterance splitting and diarization depend on it.
    """
    if not regions:
        return words
    out = []
    for w in words:
        inside = [(a, b) for a, b in regions if a < w.end and b > w.start]
        if inside:
            start, end = max(w.start, inside[0][0]), min(w.end, inside[-1][1])
            if end > start:
                w = replace(w, start=round(start, 3), end=round(end, 3))
        out.append(w)
    return out
