"""`search=`: find where terms were said, matching how they sound, not only how the model spelled them."""

from __future__ import annotations

from dataclasses import dataclass

import jellyfish

from opengram.speech.words import TimedWord, plain_word

MIN_CONFIDENCE = 0.6
MAX_HITS = 10


@dataclass(frozen=True)
class Hit:
    confidence: float
    start: float
    end: float
    snippet: str


def _similarity(said: str, query: str) -> float:
    """Spelling similarity, or sound similarity (Metaphone codes), whichever is higher."""
    spelled = jellyfish.jaro_winkler_similarity(said, query)
    a, b = jellyfish.metaphone(said), jellyfish.metaphone(query)
    sounded = 1.0 if a == b and a else jellyfish.jaro_winkler_similarity(a, b) if a and b else 0.0
    return max(spelled, 0.95 * sounded)


def search(words: list[TimedWord], query: str) -> list[Hit]:
    terms = [plain_word(t) for t in query.split() if plain_word(t)]
    if not terms or not words:
        return []
    target = "".join(terms)
    scored: list[tuple[float, int, int]] = []
    # Windows one word shorter and longer than the query catch words the model split or joined.
    for size in {max(1, len(terms) - 1), len(terms), len(terms) + 1}:
        for i in range(0, len(words) - size + 1):
            said = "".join(w.word for w in words[i : i + size])
            scored.append((_similarity(said, target), i, i + size))
    scored.sort(key=lambda s: (-s[0], s[2] - s[1]))
    hits: list[Hit] = []
    taken: set[int] = set()
    for score, i, j in scored:
        if score < MIN_CONFIDENCE or len(hits) >= MAX_HITS:
            break
        if taken.intersection(range(i, j)):
            continue
        taken.update(range(i, j))
        window = words[i:j]
        hits.append(Hit(round(score, 4), window[0].start, window[-1].end, " ".join(w.word for w in window)))
    return hits
