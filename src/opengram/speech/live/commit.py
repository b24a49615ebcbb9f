"""Finals that don't wait for a pause: a hypothesis of the open segment commits its early words.

A segment of continuous speech is decoded again every second or so while it is open (the hypotheses that
interim results show; `segments.HYPOTHESIS_*`). Once the segment is `COMMIT_AFTER_S` long, a hypothesis
that carries the previous one on (the same words, but for the last few, which more audio may change)
commits its words that end `COMMIT_MARGIN_S` before the audio it heard: they go out at once as a final
(`is_final: true`, `speech_final: false`), the segment is cut in the gap after them, and the next decodes
start there, hearing `segments.COMMIT_CONTEXT_S` of the committed audio again so a clipped word is heard
whole (`unheard` drops what was already committed). So finals come every few seconds on continuous
speech, interims decode only what is new since the last final, and a final is never revised.

Shorter segments (most of a conversation) still end at their pause and are decoded once, as before: every
cut inside speech costs Whisper some context. The policy, its alternatives and what they measured are in
bench/RESULTS.md (local agreement of two hypotheses, committing one hypothesis's words, cutting at
punctuation, prompting with the committed text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opengram.speech.words import TimedWord

COMMIT_AFTER_S = 6.0  # a segment commits only once it is this long: shorter ones wait for their pause
COMMIT_MARGIN_S = 0.3  # committed words end at least this long before the audio the decode heard
MIN_COMMIT_WORDS = 2  # fewer new words wait for the next hypothesis (a lone word is often a fragment)
UNSTABLE_TAIL = 2  # the previous hypothesis's last words, which the next may change without distrust
HEARD_TAIL = 5  # committed words a later decode may hear again, matched by text

_NOT_WORD = re.compile(r"[^\w']+")


def _key(word: TimedWord) -> str:
    return _NOT_WORD.sub("", word.punctuated.lower())


@dataclass(frozen=True)
class Commit:
    words: list[TimedWord]  # the committed words, in stream time
    rest: list[TimedWord]  # the hypothesis after them, for the interim
    boundary: float  # seconds: where the segment is cut (between the last committed word and the next)


def committed(
    previous: list[TimedWord] | None, current: list[TimedWord], decoded_until: float, open_for: float
) -> Commit | None:
    """What `current` (a hypothesis of the audio up to `decoded_until`, seconds) commits, given the previous
    hypothesis of the same segment (None: there is none yet); `open_for`: the segment's length so far."""
    if open_for < COMMIT_AFTER_S or not previous:
        return None
    # A hypothesis that left out or changed the earlier words of the previous one is not trusted: Whisper
    # sometimes drops the first words of a window that begins mid-sentence.
    same = 0
    while same < min(len(previous), len(current)) and _key(previous[same]) == _key(current[same]):
        same += 1
    if same < max(1, len(previous) - UNSTABLE_TAIL):
        return None
    limit = decoded_until - COMMIT_MARGIN_S
    n = 0
    while n < len(current) and current[n].end <= limit:
        n += 1
    if n < MIN_COMMIT_WORDS:
        return None
    last, rest = current[n - 1], current[n:]
    boundary = (last.end + rest[0].start) / 2 if rest else min(last.end + 0.1, decoded_until)
    return Commit(current[:n], rest, max(boundary, last.end))


def unheard(words: list[TimedWord], boundary: float, committed: list[TimedWord]) -> list[TimedWord]:
    """The words of a decode that began before `boundary` (seconds; it hears the end of the committed audio
    again) that are not committed already: those that end before the boundary go, and then the longest run
    at the front that repeats the end of the committed words."""
    words = [w for w in words if w.end > boundary - 0.05]
    tail = [_key(w) for w in committed[-HEARD_TAIL:]]
    for n in range(min(len(tail), len(words)), 0, -1):
        if [_key(w) for w in words[:n]] == tail[-n:]:
            return words[n:]
    return words
