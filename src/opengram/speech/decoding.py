"""A request's `ListenOptions` as the engine's `DecodeOptions`: language (or detection), keyterms and keywords
as hotwords, the filler prompt. The one place where Deepgram's parameters meet the decoder's."""

from __future__ import annotations

from opengram.engines.asr import DecodeOptions
from opengram.engines.registry import MULTI, detection_candidates
from opengram.speech import formatting
from opengram.speech.options import ListenOptions


def decode_options(options: ListenOptions, beam_size: int) -> DecodeOptions:
    hints = list(options.keyterm) + [k.partition(":")[0] for k in options.keywords if _boost(k) > 0]
    detect, candidates = detection_candidates(options.detect_language)
    return DecodeOptions(
        language=None if detect or options.language == MULTI else options.language,
        language_candidates=tuple(candidates) if candidates else None,
        beam_size=beam_size,
        initial_prompt=formatting.FILLER_PROMPT if options.filler_words else None,
        hotwords=", ".join(hints) or None,
        switching=options.language == MULTI,
    )


def _boost(keyword: str) -> float:
    _, _, value = keyword.partition(":")
    return float(value) if value else 1.0
