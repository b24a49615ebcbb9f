"""`ListenOptions` for a live stream: the parameters a stream takes, and the rules only streams have."""

from __future__ import annotations

from opengram.errors import InvalidQueryParameter
from opengram.speech.live.audio import CODED_FORMATS, RAW_CODECS
from opengram.speech.options import ListenOptions

STREAM_ENCODINGS = set(RAW_CODECS) | set(CODED_FORMATS)
CALLBACK_METHODS = ("POST", "GET", "PUT", "DELETE")  # the streaming enum (REST allows POST and PUT)
# Features Deepgram offers on pre-recorded audio only; tolerated and ignored on a stream.
BATCH_ONLY = {
    "detect_language", "paragraphs", "utterances", "utt_split", "summarize", "topics", "intents", "sentiment",
    "measurements", "filler_words",
}  # fmt: skip


def parse_stream_options(items: list[tuple[str, str]]) -> ListenOptions:
    """`ListenOptions` with the streaming rules: streaming encodings, sample_rate with raw audio, the
    streaming callback methods, diarize_model v1/latest only; batch-only features are dropped."""
    method = next((v for k, v in reversed(items) if k == "callback_method"), None)
    if method is not None and method.upper() not in CALLBACK_METHODS:
        raise InvalidQueryParameter(f"invalid value for `callback_method`: {method!r}")
    kept = [(k, v) for k, v in items if k not in BATCH_ONLY and k != "callback_method"]
    options = ListenOptions.parse(kept)
    if method is not None:
        options = options.model_copy(update={"callback_method": method.upper()})
    if options.encoding is not None and options.encoding not in STREAM_ENCODINGS:
        raise InvalidQueryParameter(f"invalid value for `encoding`: {options.encoding!r}")
    if options.encoding in RAW_CODECS and not options.sample_rate:
        raise InvalidQueryParameter("`sample_rate` is required when `encoding` is set")
    if options.diarize_model is not None and options.diarize_model.lower() not in ("v1", "latest"):
        raise InvalidQueryParameter(f"invalid value for `diarize_model`: {options.diarize_model!r}")
    if isinstance(options.endpointing, int) and not isinstance(options.endpointing, bool) and options.endpointing < 0:
        raise InvalidQueryParameter(f"invalid value for `endpointing`: {options.endpointing!r}")
    if options.utterance_end_ms is not None and options.utterance_end_ms < 0:
        raise InvalidQueryParameter(f"invalid value for `utterance_end_ms`: {options.utterance_end_ms!r}")
    return options
