"""Timed words as the pieces of Deepgram's response (`response.py`): words, transcripts, confidences,
paragraphs and utterances (grouped by `structure.py`), languages, and the warnings of a request. Used by the
pre-recorded pipeline and by live results alike."""

from __future__ import annotations

import uuid

from opengram.engines.registry import MULTI
from opengram.speech import redaction, structure
from opengram.speech import response as wire
from opengram.speech.options import ListenOptions
from opengram.speech.words import TimedWord


def wire_words(words: list[TimedWord], options: ListenOptions) -> list[wire.Word]:
    return [
        wire.Word(
            word=w.word,
            start=w.start,
            end=w.end,
            confidence=w.confidence,
            punctuated_word=w.punctuated if options.punctuated else None,
            speaker=w.speaker,
            speaker_confidence=w.speaker_confidence,
            language=w.language,
        )
        for w in words
    ]


def languages_of(words: list[TimedWord]) -> list[str]:
    """`language=multi`'s `alternatives[].languages`: the words' languages, most words first."""
    counts: dict[str, int] = {}
    for w in words:
        if w.language:
            counts[w.language] = counts.get(w.language, 0) + 1
    return sorted(counts, key=lambda code: -counts[code])


def tag_language(words: list[TimedWord], language: str) -> list[TimedWord]:
    """With `language=multi`, each word says the language it was heard in (the transcript's, where the
    engine did not say)."""
    for w in words:
        w.language = w.language or language
    return words


def text_of(words: list[TimedWord], punctuated: bool) -> str:
    text = " ".join(w.punctuated if punctuated else w.word for w in words)
    return text.replace("\n ", "\n")


def confidence_of(words: list[TimedWord]) -> float:
    return round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0


def paragraphs_of(words: list[TimedWord]) -> wire.Paragraphs:
    paragraphs = structure.paragraphs(words)
    texts = []
    for p in paragraphs:
        text = " ".join(s.text for s in p.sentences)
        texts.append(f"Speaker {p.speaker}: {text}" if p.speaker is not None else text)
    return wire.Paragraphs(
        transcript="\n" + "\n\n".join(texts),
        paragraphs=[
            wire.Paragraph(
                sentences=[
                    wire.Sentence(text=s.text, start=s.words[0].start, end=s.words[-1].end) for s in p.sentences
                ],
                speaker=p.speaker,
                num_words=len(p.words),
                start=p.words[0].start,
                end=p.words[-1].end,
            )
            for p in paragraphs
        ],
    )


def alternative(words: list[TimedWord], options: ListenOptions) -> wire.ResultAlternative:
    return wire.ResultAlternative(
        transcript=text_of(words, options.punctuated),
        confidence=confidence_of(words),
        words=wire_words(words, options),
        paragraphs=paragraphs_of(words) if (options.paragraphs or options.smart_format) and words else None,
        languages=languages_of(words) if options.language == MULTI else None,
    )


def utterances_of(channels: list[list[TimedWord]], options: ListenOptions) -> list[wire.Utterance]:
    out = []
    for index, words in enumerate(channels):
        for u in structure.utterances(words, index, options.utt_split):
            out.append(
                wire.Utterance(
                    start=u.start,
                    end=u.end,
                    confidence=confidence_of(u.words),
                    channel=index,
                    transcript=text_of(u.words, options.punctuated),
                    words=wire_words(u.words, options),
                    speaker=u.speaker,
                    id=str(uuid.uuid4()),
                )
            )
    return out


def warnings_for(options: ListenOptions) -> list[wire.MetadataWarning]:
    out = []
    for entity in redaction.entity_types(options.redact):
        if entity in redaction.UNSUPPORTED_ENTITIES:
            out.append(
                wire.MetadataWarning(
                    parameter="redact",
                    type="unsupported_value",
                    message=f"Redaction of `{entity}` is not supported by this server; it was not redacted.",
                )
            )
    return out
