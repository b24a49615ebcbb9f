"""Utterances and paragraphs: the shapes Deepgram groups words into."""

from __future__ import annotations

from dataclasses import dataclass, field

from opengram.speech.words import TimedWord

SENTENCE_END = (".", "?", "!")
PARAGRAPH_PAUSE_S = 1.5  # a pause this long between sentences starts a new paragraph
PARAGRAPH_MAX_SENTENCES = 6


@dataclass
class Utterance:
    channel: int
    words: list[TimedWord]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def speaker(self) -> int | None:
        return self.words[0].speaker


def utterances(words: list[TimedWord], channel: int, utt_split: float) -> list[Utterance]:
    """Words split wherever the silence between them reaches `utt_split` seconds, or the speaker changes."""
    out: list[Utterance] = []
    for w in words:
        if out and w.start - out[-1].end < utt_split and w.speaker == out[-1].speaker:
            out[-1].words.append(w)
        else:
            out.append(Utterance(channel, [w]))
    return out


@dataclass
class Sentence:
    words: list[TimedWord]

    @property
    def text(self) -> str:
        return " ".join(w.punctuated for w in self.words)


@dataclass
class Paragraph:
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def words(self) -> list[TimedWord]:
        return [w for s in self.sentences for w in s.words]

    @property
    def speaker(self) -> int | None:
        return self.sentences[0].words[0].speaker


def sentences(words: list[TimedWord]) -> list[Sentence]:
    out: list[Sentence] = []
    current: list[TimedWord] = []
    for _i, w in enumerate(words):
        # A new speaker starts a new sentence even when the model put no full stop.
        if current and w.speaker != current[-1].speaker:
            out.append(Sentence(current))
            current = []
        current.append(w)
        if w.punctuated.rstrip("\"')").endswith(SENTENCE_END) or "\n" in w.punctuated:
            out.append(Sentence(current))
            current = []
    if current:
        out.append(Sentence(current))
    return out


def paragraphs(words: list[TimedWord]) -> list[Paragraph]:
    """Sentences grouped; a new paragraph at a speaker change, a long pause, or a dictated new paragraph."""
    out: list[Paragraph] = []
    previous: Sentence | None = None
    for s in sentences(words):
        new = (
            previous is None
            or s.words[0].speaker != previous.words[0].speaker
            or s.words[0].start - previous.words[-1].end >= PARAGRAPH_PAUSE_S
            or previous.words[-1].punctuated.endswith("\n\n")
            or len(out[-1].sentences) >= PARAGRAPH_MAX_SENTENCES
        )
        if new:
            out.append(Paragraph())
        out[-1].sentences.append(s)
        previous = s
    return out
