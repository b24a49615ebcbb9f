"""The query parameters of text intelligence: `IntelligenceOptions`, which /v1/read and /v1/listen share
(features, callbacks, tags), and `ReadOptions`, /v1/read's own (spec section 6.1).

On the wire every value is a string and list parameters repeat their key (`tag=a&tag=b`). Values that
cannot be parsed are a 400 `INVALID_QUERY_PARAMETER` naming the parameter; unknown names are tolerated,
as SDKs pass extras through.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator

from opengram.errors import InvalidQueryParameter
from opengram.text.analyze import Features


def bool_or_text(value: Any) -> Any:
    """`true`/`false` (any case) as booleans, other text as it is: for parameters that take either."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


BoolOrStr = Annotated[bool | str, BeforeValidator(bool_or_text)]

MAX_CUSTOM = 100  # custom_topic / custom_intent values each


class IntelligenceOptions(BaseModel):
    """The parameters /v1/listen and /v1/read share: text intelligence, callbacks and tags."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    language: str = "en"
    callback: str | None = None
    callback_method: str = "POST"
    tag: list[str] = []
    summarize: BoolOrStr = False
    topics: bool = False
    custom_topic: list[str] = []
    custom_topic_mode: str = "extended"
    intents: bool = False
    custom_intent: list[str] = []
    custom_intent_mode: str = "extended"
    sentiment: bool = False

    @field_validator("callback_method")
    @classmethod
    def _callback_method(cls, v: str) -> str:
        if v.upper() not in ("POST", "PUT"):
            raise ValueError("POST or PUT")
        return v.upper()

    @field_validator("custom_topic", "custom_intent")
    @classmethod
    def _custom(cls, v: list[str]) -> list[str]:
        if len(v) > MAX_CUSTOM or any(not item.strip() for item in v):  # Deepgram: up to 100 each
            raise ValueError("up to 100 non-empty values")
        return v

    @field_validator("custom_topic_mode", "custom_intent_mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in ("extended", "strict"):
            raise ValueError("extended or strict")
        return v

    @field_validator("summarize")
    @classmethod
    def _summarize(cls, v: bool | str) -> bool | str:
        if v not in (True, False, "v1", "v2"):
            raise ValueError("v2, true or false")
        return v

    @field_validator("tag")
    @classmethod
    def _tag(cls, v: list[str]) -> list[str]:
        if any(len(t) > 128 for t in v):
            raise ValueError("longer than 128 characters")
        return v

    LIST_PARAMS: ClassVar[set[str]] = {"custom_topic", "custom_intent", "tag"}  # keys that repeat

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> Self:
        raw: dict[str, Any] = {}
        for key, value in items:
            if key in cls.LIST_PARAMS:
                raw.setdefault(key, []).append(value)
            else:
                raw[key] = value  # a repeated scalar: the last one wins
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            name = str(exc.errors()[0]["loc"][0])
            raise InvalidQueryParameter(f"invalid value for `{name}`: {raw.get(name)!r}") from None

    def config(self) -> dict[str, Any]:
        """The options that differ from their defaults, as the request log's `config`."""
        return self.model_dump(exclude_defaults=True)

    def summarizes(self) -> bool:
        """Whether `summarize` asks for the text summary (on /v1/read, any value does)."""
        return self.summarize is not False

    def intelligence(self) -> Features:
        """The text intelligence these options ask for."""
        return Features(
            summarize=self.summarizes(),
            topics=self.topics,
            custom_topics=tuple(self.custom_topic),
            topic_mode=self.custom_topic_mode,
            intents=self.intents,
            custom_intents=tuple(self.custom_intent),
            intent_mode=self.custom_intent_mode,
            sentiment=self.sentiment,
        )


class ReadOptions(IntelligenceOptions):
    """/v1/read takes the intelligence parameters listen has (its summary is boolean; `v2`, in Deepgram's
    schema, means the same)."""

    def feature_names(self) -> list[str]:
        """For the request log."""
        names = self.intelligence().names()
        names += [n for n in ("custom_topic", "custom_intent") if getattr(self, n)]
        return names
