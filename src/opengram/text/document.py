"""The unit every text feature works on: words and the sentences they form.

Deepgram places intelligence results by word index (`start_word`, `end_word`), so a `Document` is a list
of words (whitespace-separated, punctuation attached, as shown to the user) and sentence spans over
them. `/v1/read` builds one from the submitted text; `/v1/listen` from the transcript's words, so the
indices line up with `alternatives[].words`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property

import nupunkt

# Unpunctuated speech can run on with no full stop; past this many words a sentence is cut, so every
# segment stays a readable size.
MAX_SENTENCE_WORDS = 60


@dataclass(frozen=True)
class Span:
    start: int  # first word
    end: int  # one past the last word


@dataclass(frozen=True)
class Document:
    words: tuple[str, ...]
    sentences: tuple[Span, ...]

    @classmethod
    def from_text(cls, text: str) -> Document:
        matches = list(re.finditer(r"\S+", text))
        return cls._build(text, [m.group() for m in matches], [m.start() for m in matches])

    @classmethod
    def from_words(cls, words: list[str]) -> Document:
        starts, at = [], 0
        for w in words:
            starts.append(at)
            at += len(w) + 1
        return cls._build(" ".join(words), list(words), starts)

    @classmethod
    def _build(cls, text: str, words: list[str], starts: list[int]) -> Document:
        spans: list[Span] = []
        for lo, hi in nupunkt.sent_spans(text) if words else ():
            first, last = bisect.bisect_left(starts, lo), bisect.bisect_left(starts, hi)
            if last > first:
                spans.append(Span(first, last))
        return cls(tuple(words), tuple(_cover(spans, len(words))))

    def __len__(self) -> int:
        return len(self.words)

    @cached_property
    def text(self) -> str:
        return " ".join(self.words)

    def text_of(self, span: Span) -> str:
        return " ".join(self.words[span.start : span.end])

    @cached_property
    def char_starts(self) -> list[int]:
        """Where each word starts in `text`, to place a character offset (from spaCy) on a word."""
        out, at = [], 0
        for w in self.words:
            out.append(at)
            at += len(w) + 1
        return out

    def word_at(self, char: int) -> int:
        return max(bisect.bisect_right(self.char_starts, char) - 1, 0)

    def segments(self, min_words: int) -> list[Span]:
        """Consecutive sentences joined until each group has at least `min_words` words."""
        out: list[Span] = []
        for s in self.sentences:
            if out and out[-1].end - out[-1].start < min_words:
                out[-1] = Span(out[-1].start, s.end)
            else:
                out.append(s)
        return out


def _cover(spans: list[Span], n: int) -> list[Span]:
    """Sentences that cover every word once, in order, none longer than MAX_SENTENCE_WORDS."""
    bounds = sorted({0, n, *(s.start for s in spans)})
    out: list[Span] = []
    for lo, hi in zip(bounds, bounds[1:]):
        for cut in range(lo, hi, MAX_SENTENCE_WORDS):
            out.append(Span(cut, min(cut + MAX_SENTENCE_WORDS, hi)))
    return out


class SumyTokenizer:
    """sumy's tokenizer interface without NLTK's punkt data (which is downloaded, so never here):
    nupunkt splits sentences and NLTK's rule-based tokenizer splits words."""

    language = "english"

    def __init__(self):
        from nltk.tokenize import NLTKWordTokenizer  # rule-based, needs no NLTK data; slow to import

        self._words = NLTKWordTokenizer()

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        sentences: list[str] = nupunkt.sent_tokenize(paragraph)
        return tuple(s.strip() for s in sentences if s.strip())

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(w for w in self._words.tokenize(sentence) if any(c.isalnum() for c in w))
