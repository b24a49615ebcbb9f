"""Matching caller-given labels (`custom_topic`, `custom_intent`) to text.

A label matches a segment when the segment holds the label's content words, compared by stem ("cancel
my subscription" matches `custom_intent=Cancel subscriptions`). Its confidence is the share of the
label's content words found; a label matches at MIN_SHARE or more, so a two-word label needs both words.
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_SHARE = 0.6


@lru_cache(maxsize=1)
def _tools():
    from sumy.nlp.stemmers import Stemmer  # NLTK's Snowball stemmer: rules, no data files
    from sumy.utils import get_stop_words

    return Stemmer("english"), frozenset(get_stop_words("english"))


def stems(text: str) -> list[str]:
    stemmer, stop = _tools()
    return [stemmer(w) for w in re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower()) if w not in stop]


def share(label: str, segment_stems: set[str]) -> float:
    wanted = stems(label)
    if not wanted:
        return 0.0
    return sum(1 for s in wanted if s in segment_stems) / len(wanted)


def matches(labels: list[str], segment_text: str) -> list[tuple[str, float]]:
    """(label, confidence) for each label the segment holds, in the order given."""
    found = set(stems(segment_text))
    out = []
    for label in labels:
        value = share(label, found)
        if value >= MIN_SHARE:
            out.append((label, round(value, 4)))
    return out


def add_matches(found: dict[str, float], labels: list[str], segment_text: str) -> None:
    """Add the custom labels the segment holds to `found` (label -> confidence); one that is there already,
    in any case, keeps its spelling and the higher confidence."""
    for label, confidence in matches(labels, segment_text):
        key = next((k for k in found if k.lower() == label.lower()), label)
        found[key] = max(found.get(key, 0.0), confidence)
