"""Deepgram's pre-recorded response, field for field (spec section 2.3). Pure wire shapes, no logic."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from opengram.engines.registry import ModelSpec
from opengram.text.wire import Entity, FeatureInfo, Intents, ListenSummary, Sentiments, SummaryV1, Topics
from opengram.text.wire import iso_now as iso_now  # Deepgram's one timestamp form, /v1/read's too


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Word(_Wire):
    word: str
    start: float
    end: float
    confidence: float
    punctuated_word: str | None = None
    speaker: int | None = None
    speaker_confidence: float | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None
    language: str | None = None  # language=multi


class Sentence(_Wire):
    text: str
    start: float
    end: float
    sentiment: str | None = None
    sentiment_score: float | None = None


class Paragraph(_Wire):
    sentences: list[Sentence]
    speaker: int | None = None
    num_words: int
    start: float
    end: float
    sentiment: str | None = None
    sentiment_score: float | None = None


class Paragraphs(_Wire):
    transcript: str
    paragraphs: list[Paragraph]


class ResultAlternative(_Wire):
    transcript: str
    confidence: float
    words: list[Word]
    paragraphs: Paragraphs | None = None
    entities: list[Entity] | None = None
    summaries: list[SummaryV1] | None = None
    languages: list[str] | None = None  # language=multi, most words first


class SearchHit(_Wire):
    confidence: float
    start: float
    end: float
    snippet: str


class SearchResult(_Wire):
    query: str
    hits: list[SearchHit]


class ResultChannel(_Wire):
    search: list[SearchResult] | None = None
    alternatives: list[ResultAlternative]
    detected_language: str | None = None
    language_confidence: float | None = None


class Utterance(_Wire):
    start: float
    end: float
    confidence: float
    channel: int
    transcript: str
    words: list[Word]
    speaker: int | None = None
    id: str
    sentiment: str | None = None
    sentiment_score: float | None = None


class Results(_Wire):
    channels: list[ResultChannel]
    utterances: list[Utterance] | None = None
    summary: ListenSummary | None = None
    topics: Topics | None = None
    intents: Intents | None = None
    sentiments: Sentiments | None = None


class ModelInfo(_Wire):
    name: str
    version: str
    arch: str


class MetadataWarning(_Wire):
    parameter: str
    type: str
    message: str


class ListenMetadata(_Wire):
    transaction_key: str = "deprecated"
    request_id: str
    sha256: str
    created: str
    duration: float
    channels: int
    models: list[str]
    model_info: dict[str, ModelInfo]
    summary_info: FeatureInfo | None = None
    sentiment_info: FeatureInfo | None = None
    topics_info: FeatureInfo | None = None
    intents_info: FeatureInfo | None = None
    tags: list[str] | None = None
    extra: dict[str, str] | None = None
    warnings: list[MetadataWarning] | None = None


class ListenResponse(_Wire):
    metadata: ListenMetadata
    results: Results

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def model_info(specs: list[ModelSpec]) -> dict[str, ModelInfo]:
    return {s.uuid: ModelInfo(name=s.key, version=s.version, arch=s.arch) for s in specs}
