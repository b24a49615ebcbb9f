"""The text features, run together on one `Document` for /v1/read and /v1/listen alike.

Everything here is CPU work: callers run it through a `Scheduler`, never on the event loop.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from opengram.text import intents as intents_
from opengram.text import sentiment as sentiment_
from opengram.text import summarize as summarize_
from opengram.text import topics as topics_
from opengram.text import wire
from opengram.text.document import Document

# A stable id per feature's method, for `metadata.<feature>_info.model_uuid`.
MODEL_UUIDS = {
    feature: str(uuid.uuid5(uuid.NAMESPACE_URL, f"opengram:{feature}:{method}"))
    for feature, method in {
        "summary": "sumy-lexrank",
        "topics": "yake",
        "intents": "spacy-en_core_web_sm-rules",
        "sentiment": "vader",
    }.items()
}


def is_english(language: str | None) -> bool:
    code = (language or "en").lower().replace("_", "-")
    return code == "en" or code.startswith("en-")


@dataclass(frozen=True)
class Features:
    summarize: bool = False
    topics: bool = False
    custom_topics: tuple[str, ...] = ()
    topic_mode: str = "extended"
    intents: bool = False
    custom_intents: tuple[str, ...] = ()
    intent_mode: str = "extended"
    sentiment: bool = False

    def any(self) -> bool:
        return self.summarize or self.topics or self.intents or self.sentiment

    def names(self) -> list[str]:
        """The request parameters that are on, as warnings name them."""
        on = {"summarize": self.summarize, "topics": self.topics, "intents": self.intents, "sentiment": self.sentiment}
        return [name for name, value in on.items() if value]


@dataclass
class Analysis:
    summary: str | None = None
    topics: wire.Topics | None = None
    intents: wire.Intents | None = None
    sentiments: wire.Sentiments | None = None
    info: dict[str, wire.FeatureInfo] = field(default_factory=dict)  # "summary_info": ...

    @property
    def tokens_in(self) -> int:
        return sum(i.input_tokens for i in self.info.values())

    @property
    def tokens_out(self) -> int:
        return sum(i.output_tokens for i in self.info.values())


def _info(feature: str, tokens_in: int, tokens_out: int) -> wire.FeatureInfo:
    return wire.FeatureInfo(input_tokens=tokens_in, output_tokens=tokens_out, model_uuid=MODEL_UUIDS[feature])


def analyze(doc: Document, features: Features, *, summary_of: Document | None = None) -> Analysis:
    """Run the features asked for. `summary_of` summarises another document (a multichannel
    transcript's channels together) while segments stay on `doc`'s words."""
    out = Analysis()
    n = len(doc)
    if features.summarize:
        source = summary_of if summary_of is not None else doc
        out.summary = summarize_.summarize(source)
        out.info["summary_info"] = _info("summary", len(source), len(out.summary.split()))
    if features.sentiment:
        out.sentiments = sentiment_.sentiments(doc)
        out.info["sentiment_info"] = _info("sentiment", n, len(out.sentiments.segments))
    if features.topics:
        out.topics = topics_.topics(doc, list(features.custom_topics), features.topic_mode)
        out.info["topics_info"] = _info("topics", n, sum(len(s.topics) for s in out.topics.segments))
    if features.intents:
        out.intents = intents_.intents(doc, list(features.custom_intents), features.intent_mode)
        out.info["intents_info"] = _info("intents", n, sum(len(s.intents) for s in out.intents.segments))
    return out
