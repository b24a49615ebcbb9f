"""Deepgram `Results` messages from decoded live segments: words placed in stream time, text features."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from opengram.engines.live_decode import WindowOutcome
from opengram.engines.registry import MULTI, ModelSpec
from opengram.speech import intelligence
from opengram.speech.live.commit import unheard
from opengram.speech.live.segments import RATE
from opengram.speech.options import ListenOptions
from opengram.speech.postprocess import postprocess
from opengram.speech.search import search
from opengram.speech.shape import confidence_of, languages_of, tag_language, text_of, wire_words
from opengram.speech.words import TimedWord, from_engine, tighten


def belongs(word: TimedWord, keep_from: float, speech) -> bool:
    """Whether a decoded word is the segment's own, not one of the context before `keep_from` heard again.

    Alignment stretches a word that follows a pause back into the pause, so the word's times alone would
    misplace it; what decides is where the speech it covers lies: after `keep_from` or before."""
    if keep_from <= 0:
        return True
    after = before = 0.0
    for a, b in speech:
        lo, hi = max(a, word.start), min(b, word.end)
        if hi > lo:
            after += max(0.0, hi - max(lo, keep_from))
            before += max(0.0, min(hi, keep_from) - lo)
    if after or before:
        return after >= before
    return (word.start + word.end) / 2 >= keep_from


def round_time(x: float) -> float:
    return round(x, 3)


class ResultBuilder:
    """Deepgram `Results` messages for one stream."""

    def __init__(self, options: ListenOptions, spec: ModelSpec, request_id: str, channels: Callable[[], int]):
        self.options = options
        self.spec = spec
        self.request_id = request_id
        self.channels = channels
        self.metadata: dict[str, Any] = {
            "request_id": request_id,
            "model_info": {"name": spec.key, "version": spec.version, "arch": spec.arch},
            "model_uuid": spec.uuid,
        }
        extra = dict(e.partition(":")[::2] for e in options.extra)
        if extra:
            self.metadata["extra"] = extra

    def placed(
        self,
        outcome: WindowOutcome,
        audio_start: int,
        speech: list[tuple[float, float]],
        span: tuple[int, int],
        keep_from: float,
        committed: list[TimedWord] | None = None,
    ) -> list[TimedWord]:
        """The decoded words in stream time, as the model wrote them (before Deepgram's text features).
        `committed`: the words of the commit this span follows, when its audio begins before that commit's
        boundary (`commit.unheard` then drops what it hears again)."""
        transcript = outcome.transcript
        if transcript is None or not transcript.words:
            return []
        offset = audio_start / RATE
        words = tighten(from_engine(transcript.words), list(speech))
        if committed is not None:
            moved = [replace(w, start=w.start + offset, end=w.end + offset) for w in words]
            kept = unheard(moved, span[0] / RATE, committed)
            words = [replace(w, start=w.start - offset, end=w.end - offset) for w in kept]
        else:
            words = [w for w in words if belongs(w, keep_from, speech)]
        lo, hi = span[0] / RATE, span[1] / RATE
        placed = []
        for w in words:
            start = min(max(w.start + offset, lo), hi)
            end = min(max(w.end + offset, start), hi)
            placed.append(replace(w, start=round_time(start), end=round_time(end)))
        return placed

    def words_of(self, placed: list[TimedWord], language: str) -> list[TimedWord]:
        """Placed words with the stream's text features."""
        return postprocess(placed, self.options, language) if placed else []

    def results(
        self,
        channel: int,
        start: int,
        end: int,
        words: list[TimedWord],
        *,
        is_final: bool,
        speech_final: bool = False,
        from_finalize: bool = False,
        language: str | None = None,
        options: ListenOptions | None = None,
    ) -> dict[str, Any]:
        """`language`: what the segment was decoded as; with `language=multi` its words say so. `options`:
        those the segment was cut under, when a Configure has changed the stream's since."""
        options = options or self.options
        punctuated = options.punctuated
        multi = options.language == MULTI
        if multi and language:
            words = tag_language(words, language)
        alternative: dict[str, Any] = {
            "transcript": text_of(words, punctuated),
            "confidence": confidence_of(words),
            "words": [w.model_dump(exclude_none=True) for w in wire_words(words, options)],
        }
        if multi:
            alternative["languages"] = languages_of(words)
        body: dict[str, Any] = {"alternatives": [alternative]}
        if options.search:
            body["search"] = [{"query": q, "hits": [vars(h) for h in search(words, q)]} for q in options.search]
        message = {
            "type": "Results",
            "channel_index": [channel, self.channels()],
            "duration": round_time((end - start) / RATE),
            "start": round_time(start / RATE),
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": body,
            "metadata": self.metadata,
        }
        if is_final and options.detect_entities:  # on finals only, [] when there are none
            message["entities"] = [e.model_dump() for e in intelligence.entities(words)] if words else []
        return message
