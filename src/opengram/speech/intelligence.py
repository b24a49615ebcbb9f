"""Audio intelligence on /v1/listen: the text features run on the transcript and placed where Deepgram
puts them (spec section 2.3).

- `summarize=v2`: `results.summary` `{result, short}`, one summary of every channel's transcript;
  `summarize=true` (v1, deprecated): `alternatives[].summaries[]`.
- `topics`, `intents`, `sentiment`: `results.topics/intents/sentiments`, on the first channel's best
  transcript; their word indices point into its `words`.
- `sentiment` also labels every word (with its sentence's sentiment), paragraph sentence, paragraph and
  utterance.
- `detect_entities`: `alternatives[].entities[]`, by spaCy plus the redaction patterns (phone numbers,
  emails, cards, SSNs), which win where both find something.
The features know English only: a transcript in another language skips them with a metadata warning,
and `summarize=v2` with a non-English `language` is refused before any work, as Deepgram does.
"""

from __future__ import annotations

from opengram.errors import BadRequest
from opengram.speech import redaction
from opengram.speech import response as wire
from opengram.speech.options import ListenOptions
from opengram.speech.words import TimedWord, trailing_punct
from opengram.text import entities as ner
from opengram.text import sentiment as vader
from opengram.text import summarize as lexrank
from opengram.text import wire as text_wire
from opengram.text.analyze import MODEL_UUIDS, analyze, is_english
from opengram.text.document import Document

PATTERN_ENTITIES = ("phone_number", "email_address", "credit_card", "ssn")


def needs_text(options: ListenOptions) -> bool:
    """Whether the request needs the text models (so its post-processing runs off the event loop)."""
    return (
        options.summarize is not False
        or options.topics
        or options.intents
        or options.sentiment
        or options.detect_entities
        or redaction.needs_ner(redaction.entity_types(options.redact))
    )


def check(options: ListenOptions) -> None:
    if options.summarize == "v2" and not options.detect_language and not is_english(options.language):
        raise BadRequest("Summarization v2 not supported for non-English languages")


def _doc(words: list[TimedWord]) -> Document:
    return Document.from_words([w.punctuated for w in words])


def _value(words: list[TimedWord]) -> str:
    text = " ".join(w.punctuated for w in words)
    tail = trailing_punct(text)
    return text[: len(text) - len(tail)] if tail and len(tail) < len(text) else text


def entities(words: list[TimedWord]) -> list[text_wire.Entity]:
    spans = [s for entity in PATTERN_ENTITIES for s in redaction.spans_of(entity, words)]
    taken = {i for start, end, _ in spans for i in range(start, end)}
    for found in ner.find(_doc(words)):
        if not taken.intersection(range(found.start, found.end)):
            spans.append((found.start, found.end, found.label))
    out = []
    for start, end, label in sorted(spans):
        span = words[start:end]
        out.append(
            text_wire.Entity(
                label=label,
                value=_value(span),
                raw_value=" ".join(w.word for w in span),
                confidence=round(sum(w.confidence for w in span) / len(span), 4),
                start_word=start,
                end_word=end,
            )
        )
    return out


def _label_words(alternative: wire.ResultAlternative, sentiments: text_wire.Sentiments) -> None:
    for segment in sentiments.segments:
        for word in alternative.words[segment.start_word : segment.end_word + 1]:
            word.sentiment, word.sentiment_score = segment.sentiment, segment.sentiment_score


def _label_paragraphs(alternative: wire.ResultAlternative) -> None:
    if alternative.paragraphs is None:
        return
    for paragraph in alternative.paragraphs.paragraphs:
        for sentence in paragraph.sentences:
            sentence.sentiment_score = vader.score(sentence.text)
            sentence.sentiment = vader.label(sentence.sentiment_score)
        paragraph.sentiment_score = vader.score(" ".join(s.text for s in paragraph.sentences))
        paragraph.sentiment = vader.label(paragraph.sentiment_score)


def _warning(parameter: str, language: str) -> wire.MetadataWarning:
    return wire.MetadataWarning(
        parameter=parameter,
        type="unsupported_language",
        message=f"`{parameter}` is only available for English; it was skipped for language `{language}`.",
    )


def attach(
    response: wire.ListenResponse, words: list[list[list[TimedWord]]], languages: list[str], options: ListenOptions
) -> tuple[int, int]:
    """Add the features to `response`: `words[channel][alternative]` are the words its alternatives show,
    `languages[channel]` each channel's language. Returns the tokens (words) in and out."""
    warnings: list[wire.MetadataWarning] = []
    results, metadata = response.results, response.metadata
    features = options.intelligence()
    v1 = options.summarize in (True, "v1")
    tokens_in = tokens_out = 0
    if features.any():
        if not words or not is_english(languages[0]):
            language = languages[0] if languages else options.language
            warnings += [_warning(name, language) for name in features.names()]
        else:
            everything = _doc([w for channel in words for w in channel[0]]) if len(words) > 1 else None
            analysis = analyze(_doc(words[0][0]), features, summary_of=everything)
            for name, info in analysis.info.items():
                setattr(metadata, name, info)
            tokens_in, tokens_out = analysis.tokens_in, analysis.tokens_out
            if analysis.summary is not None:
                ok = bool(analysis.summary.strip())
                results.summary = text_wire.ListenSummary(result="success" if ok else "failure", short=analysis.summary)
            results.topics, results.intents, results.sentiments = analysis.topics, analysis.intents, analysis.sentiments
    v1_in = v1_out = 0
    by_position: dict[tuple[int, float, str], wire.Word] = {}
    for index, (channel, channel_words) in enumerate(zip(results.channels, words)):
        if not is_english(languages[index]):
            skipped = [name for name, on in (("summarize", v1), ("detect_entities", options.detect_entities)) if on]
            warnings += [_warning(name, languages[index]) for name in skipped]
            continue
        for alternative, alt_words in zip(channel.alternatives, channel_words):
            if v1:
                summary = lexrank.summarize(_doc(alt_words)) if alt_words else ""
                last = max(len(alt_words) - 1, 0)
                alternative.summaries = [text_wire.SummaryV1(summary=summary, start_word=0, end_word=last)]
                v1_in, v1_out = v1_in + len(alt_words), v1_out + len(summary.split())
            if options.sentiment:
                _label_words(alternative, vader.sentiments(_doc(alt_words)))
                _label_paragraphs(alternative)
            if options.detect_entities:
                alternative.entities = entities(alt_words)
        if channel.alternatives:
            by_position.update({(index, w.start, w.word): w for w in channel.alternatives[0].words})
    if v1:
        metadata.summary_info = text_wire.FeatureInfo(
            input_tokens=v1_in, output_tokens=v1_out, model_uuid=MODEL_UUIDS["summary"]
        )
    if options.sentiment and results.utterances:
        for utterance in results.utterances:
            if not is_english(languages[utterance.channel]):
                continue
            utterance.sentiment_score = vader.score(utterance.transcript)
            utterance.sentiment = vader.label(utterance.sentiment_score)
            for word in utterance.words:
                labelled = by_position.get((utterance.channel, word.start, word.word))
                if labelled is not None:
                    word.sentiment, word.sentiment_score = labelled.sentiment, labelled.sentiment_score
    if warnings:
        metadata.warnings = (metadata.warnings or []) + _unique(warnings)
    return tokens_in + v1_in, tokens_out + v1_out


def _unique(warnings: list[wire.MetadataWarning]) -> list[wire.MetadataWarning]:
    seen, out = set(), []
    for w in warnings:
        if (w.parameter, w.message) not in seen:
            seen.add((w.parameter, w.message))
            out.append(w)
    return out
