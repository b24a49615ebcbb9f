"""Sentiment with VADER (a rule-based lexicon model shipped inside its wheel).

VADER's compound score runs from -1 to 1 like Deepgram's `sentiment_score`, and Deepgram's documented
break point between neutral and positive or negative is one third, so the label follows from the score.
Each sentence is a segment; the average is the mean of the segment scores, as in Deepgram's examples.
"""

from __future__ import annotations

import threading

from opengram.text import wire
from opengram.text.document import Document

THRESHOLD = 1 / 3

_lock = threading.Lock()
_analyzer = None


def _vader():
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _analyzer = SentimentIntensityAnalyzer()
    return _analyzer


def label(score: float) -> str:
    if score >= THRESHOLD:
        return "positive"
    if score <= -THRESHOLD:
        return "negative"
    return "neutral"


def score(text: str) -> float:
    return round(_vader().polarity_scores(text)["compound"], 4) if text.strip() else 0.0


def sentiments(doc: Document) -> wire.Sentiments:
    segments = []
    for span in doc.sentences:
        text = doc.text_of(span)
        value = score(text)
        segments.append(
            wire.SentimentSegment(
                text=text, start_word=span.start, end_word=span.end - 1, sentiment=label(value), sentiment_score=value
            )
        )
    mean = round(sum(s.sentiment_score for s in segments) / len(segments), 4) if segments else 0.0
    average = wire.SentimentAverage(sentiment=label(mean), sentiment_score=mean)
    return wire.Sentiments(segments=segments, average=average)
