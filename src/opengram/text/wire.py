"""Deepgram's intelligence objects, shared by /v1/read and /v1/listen (spec sections 2.3 and 6.2)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


def iso_now() -> str:
    """Deepgram's timestamp form: ISO-8601 UTC with milliseconds and `Z`."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Topic(_Wire):
    topic: str
    confidence_score: float


class Intent(_Wire):
    intent: str
    confidence_score: float


class TopicSegment(_Wire):
    text: str
    start_word: int
    end_word: int  # the last word's index (inclusive), as Deepgram counts segments
    topics: list[Topic]


class IntentSegment(_Wire):
    text: str
    start_word: int
    end_word: int
    intents: list[Intent]


class SentimentSegment(_Wire):
    text: str
    start_word: int
    end_word: int
    sentiment: str
    sentiment_score: float


class SentimentAverage(_Wire):
    sentiment: str
    sentiment_score: float


class Topics(_Wire):
    segments: list[TopicSegment]


class Intents(_Wire):
    segments: list[IntentSegment]


class Sentiments(_Wire):
    segments: list[SentimentSegment]
    average: SentimentAverage


class FeatureInfo(_Wire):
    """`metadata.<feature>_info`; tokens are counted as words."""

    input_tokens: int
    output_tokens: int
    model_uuid: str


class Entity(_Wire):
    label: str
    value: str
    raw_value: str
    confidence: float
    start_word: int
    end_word: int  # one past the last word (Deepgram's entities count this way, unlike segments)


class ListenSummary(_Wire):
    """`results.summary` of `summarize=v2`."""

    result: str
    short: str


class SummaryV1(_Wire):
    """`alternatives[].summaries[]` of the deprecated `summarize=true` on /v1/listen."""

    summary: str
    start_word: int
    end_word: int


class ReadSummary(_Wire):
    text: str


class FeatureWarning(_Wire):
    parameter: str
    type: str
    message: str


class ReadMetadata(_Wire):
    request_id: str
    created: str
    language: str
    summary_info: FeatureInfo | None = None
    sentiment_info: FeatureInfo | None = None
    topics_info: FeatureInfo | None = None
    intents_info: FeatureInfo | None = None
    warnings: list[FeatureWarning] | None = None


class ReadResults(_Wire):
    summary: ReadSummary | None = None
    topics: Topics | None = None
    intents: Intents | None = None
    sentiments: Sentiments | None = None


class ReadResponse(_Wire):
    metadata: ReadMetadata
    results: ReadResults

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
