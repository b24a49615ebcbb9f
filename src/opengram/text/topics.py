"""Topics with YAKE, an unsupervised keyphrase extractor (statistics of the text itself, no model).

YAKE scores candidate phrases over the whole text (lower is better); the best become topics, and each
segment (a few sentences, as Deepgram groups them) lists the topics it mentions. Confidence is
exp(-3 x score): about 0.94 for YAKE's typical best scores near 0.02, falling to 0.4 near 0.3, and
phrases under MIN_CONFIDENCE are dropped. A segment's topics share no word. Segments without a topic
are left out, as in Deepgram's output.
Words that carry no topic in conversation (greetings, fillers, ordinals) are added to YAKE's stopwords.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from opengram.text import custom, wire
from opengram.text.document import Document

SEGMENT_WORDS = 25
PER_SEGMENT = 3
MIN_CONFIDENCE = 0.4
CONVERSATIONAL = {
    "hello", "hi", "hey", "bye", "goodbye", "good", "morning", "afternoon", "evening", "thanks", "thank",
    "okay", "ok", "yeah", "yes", "yep", "no", "um", "uh", "oh", "well", "right", "sure", "please", "everyone",
    "everybody", "guys", "today", "tomorrow", "yesterday", "first", "second", "third", "finally", "lot",
    "thing", "things", "stuff", "kind", "sort", "gonna", "wanna", "like", "just", "really", "actually",
}  # fmt: skip


def _extractor(n_words: int):
    import yake

    stop = set(yake.KeywordExtractor(lan="en").stopword_set) | CONVERSATIONAL
    # Longer texts have room for more topics.
    return yake.KeywordExtractor(lan="en", n=2, dedup_lim=0.7, top=max(10, n_words // 8), stopwords=stop)


def _label(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


def keyphrases(text: str, n_words: int) -> list[tuple[str, float]]:
    """(phrase, confidence), best first."""
    out = []
    for phrase, score in _extractor(n_words).extract_keywords(text):
        confidence = round(math.exp(-3 * float(score)), 4)
        if confidence >= MIN_CONFIDENCE and any(c.isalpha() for c in phrase):
            out.append((phrase, confidence))
    return out


def _pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)")


def topics(doc: Document, custom_topics: Sequence[str] = (), mode: str = "extended") -> wire.Topics:
    detected = keyphrases(doc.text, len(doc)) if mode == "extended" and len(doc) else []
    candidates = [(p, c, set(custom.stems(p)), _pattern(p)) for p, c in detected]
    segments = []
    for span in doc.segments(SEGMENT_WORDS):
        text = doc.text_of(span)
        lowered = text.lower()
        found: dict[str, float] = {}
        seen: set[str] = set()
        for phrase, confidence, phrase_stems, pattern in candidates:
            if len(found) >= PER_SEGMENT:
                break
            # A segment's topics share no word: "quarterly planning" makes "planning meeting" redundant.
            if not phrase_stems & seen and pattern.search(lowered):
                found.setdefault(_label(phrase), confidence)
                seen |= phrase_stems
        custom.add_matches(found, list(custom_topics), text)
        if found:
            segments.append(
                wire.TopicSegment(
                    text=text,
                    start_word=span.start,
                    end_word=span.end - 1,
                    topics=[wire.Topic(topic=t, confidence_score=c) for t, c in found.items()],
                )
            )
    return wire.Topics(segments=segments)
