"""Deepgram's text features on timed words (fillers, dictation, numerals, smart format, redaction, replace,
profanity), in the order Deepgram applies them; model-agnostic, for pre-recorded and live audio alike."""

from __future__ import annotations

from opengram.speech import formatting, redaction
from opengram.speech.options import ListenOptions
from opengram.speech.words import TimedWord


def postprocess(words: list[TimedWord], options: ListenOptions, language: str = "en") -> list[TimedWord]:
    """Deepgram's text features, in the order Deepgram applies them.

    Number and filler handling know English only; other languages keep the model's own writing.
    """
    if not language.lower().startswith("en"):
        return redaction.apply_replacements(words, redaction.parse_replacements(options.replace))
    if not options.filler_words:
        words = formatting.drop_fillers(words)
    if options.dictation:
        words = formatting.dictation(words)
    types = redaction.entity_types(options.redact)
    if types or options.numerals or options.smart_format:
        words = formatting.written_numbers(words)  # entities are found in digits
        if "email_address" in types:
            words = formatting.smart_format(words) if options.smart_format else formatting.emails_and_urls(words)
        words = redaction.redact(words, types)
    if options.ner:  # before digits become words, so "c 4" joins as "C4"
        words = formatting.alphanumerics(words)
    if options.smart_format:
        words = formatting.smart_format(words)
    elif not options.numerals:
        words = formatting.spoken_numbers(words)
    if options.measurements:
        words = formatting.measurements(words)
    if options.replace:
        words = redaction.apply_replacements(words, redaction.parse_replacements(options.replace))
    if options.profanity_filter:
        words = formatting.profanity_filter(words)
    return words


def postprocess_runs(words: list[TimedWord], options: ListenOptions, language: str) -> list[TimedWord]:
    """`postprocess` on each run of words in one language (several with `language=multi`), so English
    number writing never touches the Spanish part."""
    out: list[TimedWord] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and words[j].language == words[i].language:
            j += 1
        out += postprocess(words[i:j], options, words[i].language or language)
        i = j
    return out
