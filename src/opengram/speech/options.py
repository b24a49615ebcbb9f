"""`ListenOptions`: Deepgram's /v1/listen query parameters, parsed once for REST and WebSocket.

On the wire every value is a string and list parameters repeat their key (`tag=a&tag=b`). Values that
cannot be parsed are a 400 `INVALID_QUERY_PARAMETER` naming the parameter; unknown names are tolerated,
as SDKs pass extras through.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, ConfigDict, field_validator

from opengram.errors import BadRequest
from opengram.speech import redaction
from opengram.text.options import IntelligenceOptions, bool_or_text


def _integral(value: Any) -> Any:
    # SDKs stringify Python floats, so `sample_rate=16000.0` arrives for an int parameter.
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        if number.is_integer():
            return int(number)
    return value


Int = Annotated[int, BeforeValidator(_integral)]
# `endpointing` is milliseconds or `false`.
IntOrBool = Annotated[bool | int, BeforeValidator(lambda v: bool_or_text(_integral(v)))]

MAX_ALTERNATIVES = 5
MAX_KEYWORDS = 100
MAX_SEARCH = 25
MAX_KEYTERM_TOKENS = 500
ENCODINGS = {
    "linear16", "linear32", "flac", "mulaw", "alaw", "amr-nb", "amr-wb", "opus", "ogg-opus", "speex", "g729",
}  # fmt: skip

LIST_PARAMS = {
    "tag", "extra", "search", "replace", "keywords", "keyterm", "redact",
    "custom_topic", "custom_intent", "detect_language", "language_hint",
}  # fmt: skip


# Parameters that configure a request rather than turn a feature on.
_SETTINGS = {
    "model", "version", "language", "encoding", "sample_rate", "channels", "callback_method",
    "utt_split", "custom_topic_mode", "custom_intent_mode", "endpointing", "tag", "extra", "mip_opt_out",
}  # fmt: skip


class ListenOptions(IntelligenceOptions):
    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str | None = None
    version: str | None = None
    detect_language: list[str] = []
    punctuate: bool = False
    smart_format: bool = False
    profanity_filter: bool = False
    redact: list[str] = []
    diarize: bool = False
    diarize_model: str | None = None
    diarize_version: str | None = None
    multichannel: bool = False
    alternatives: Int = 1
    numerals: bool = False
    measurements: bool = False
    dictation: bool = False
    filler_words: bool = False
    paragraphs: bool = False
    utterances: bool = False
    utt_split: float = 0.8
    search: list[str] = []
    replace: list[str] = []
    keywords: list[str] = []
    keyterm: list[str] = []
    encoding: str | None = None
    sample_rate: Int | None = None
    channels: Int | None = None
    extra: list[str] = []
    detect_entities: bool = False
    mip_opt_out: bool = False
    ner: bool = False  # legacy (seed 003): spelled letters and digits written as one string
    # Streaming only.
    interim_results: bool = False
    endpointing: IntOrBool = 10
    utterance_end_ms: Int | None = None
    vad_events: bool = False
    no_delay: bool = False

    @field_validator("alternatives")
    @classmethod
    def _alternatives(cls, v: int) -> int:
        if not 1 <= v <= MAX_ALTERNATIVES:
            raise ValueError("out of range")
        return v

    @field_validator("utt_split")
    @classmethod
    def _utt_split(cls, v: float) -> float:
        if v < 0:
            raise ValueError("negative")
        return v

    @field_validator("sample_rate", "channels")
    @classmethod
    def _positive(cls, v: int | None) -> int | None:
        if v is not None and v <= 0:
            raise ValueError("must be positive")
        return v

    @field_validator("extra")
    @classmethod
    def _pairs(cls, v: list[str]) -> list[str]:
        if any(":" not in item or not item.partition(":")[0].strip() for item in v):
            raise ValueError("expected key:value")
        return v

    @field_validator("replace")
    @classmethod
    def _replace(cls, v: list[str]) -> list[str]:
        redaction.parse_replacements(v)  # `find` alone deletes; an empty `find` is an error
        return v

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, v: list[str]) -> list[str]:
        if len(v) > MAX_KEYWORDS:
            raise ValueError("too many")
        for item in v:
            _, _, boost = item.partition(":")
            if boost:
                float(boost)  # ValueError names the parameter
        return v

    @field_validator("search")
    @classmethod
    def _search(cls, v: list[str]) -> list[str]:
        if len(v) > MAX_SEARCH:
            raise ValueError("too many")
        return v

    @field_validator("redact")
    @classmethod
    def _redact(cls, v: list[str]) -> list[str]:
        redaction.entity_types(v)  # ValueError names an unknown entity
        return v

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str | None) -> str | None:
        if v is not None and v.lower() not in ENCODINGS:
            raise ValueError("unknown encoding")
        return v.lower() if v else v

    LIST_PARAMS: ClassVar[set[str]] = LIST_PARAMS

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> ListenOptions:
        options = super().parse(items)
        # Deepgram counts model tokens; words are a close, cheap stand-in.
        if sum(len(term.split()) for term in options.keyterm) > MAX_KEYTERM_TOKENS:
            raise BadRequest("Keyterm limit exceeded. The maximum number of tokens across all keyterms is 500.")
        return options

    @property
    def punctuated(self) -> bool:
        """Whether output carries punctuation and casing (several features imply it)."""
        return self.punctuate or self.smart_format or self.paragraphs or self.dictation or self.detect_entities

    def features(self) -> list[str]:
        """Names of the features a request turned on, for the request log."""
        fields = type(self).model_fields
        return [name for name, value in self if name not in _SETTINGS and value != fields[name].default]

    def summarizes(self) -> bool:
        return self.summarize == "v2"  # `true`/`v1` summaries are per alternative, made apart

    def log_fields(self) -> dict[str, Any]:
        """What a request-log row records of these options (REST, stream and job alike)."""
        return {"model": self.model, "features": self.features(), "tags": self.tag, "config": self.config()}
