"""The end-of-turn model: how likely the speaker is done, from the silence the VAD measures and what the
decoder says about the words (docs/flux-turns.md explains it in full).

At a pause, Bayes' rule combines two pieces of evidence:

- the *text prior* `prior(evidence)`: the probability that a pause after these words ends the turn,
  from a logistic model of the decoder's evidence: how much probability Whisper gives to closing the
  sentence right after the last word (`p_end`, a sentence-final mark), and whether the last word is one
  that leaves a phrase unfinished ("and", "so", "the", "um"...);
- the *silence likelihood* `within(silence)`: the fraction of pauses *inside* turns that last at least
  this long. Pauses inside turns are mostly short, so every further 100 ms of silence makes "the turn
  goes on" less likely; the silence after a turn's end has no such limit.

    confidence = prior / (prior + (1 - prior) * within(silence))

With no silence yet the confidence is the prior itself (low while speech is running, since the prior
is only consulted at pauses; see `SPEAKING`), and it rises towards 1 as the silence outlasts the
pauses speakers make inside their turns, faster after a finished sentence than after "and".

Every constant below was fitted on the tuning split of shared/audio by `bench/flux_tune.py`; the
held-out recordings score it in `bench/flux.py` (bench/RESULTS.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# --- fitted on the tuning split by bench/flux_tune.py (60 pauses of 19 turns; docs/flux-turns.md) ---
PRIOR_BIAS = -1.886  # log-odds that a pause ends the turn, with p_end = 0.5 and a neutral last word
PRIOR_P_END = 0.971  # weight of logit(p_end)
WITHIN_SCALE_S = 0.221  # within-turn pauses: survival exp(-(s - WITHIN_FROM_S) / scale) past WITHIN_FROM_S
WITHIN_FROM_S = 0.096  # the candidate delay: shorter pauses are never looked at
# Set by hand: the tuning data has one pause after such a word (an "uh"), too few to fit. -1.5 divides
# the prior odds by 4.5; a sure full stop against none (p_end 0.85 against 0.13) moves them by about 35.
PRIOR_CONTINUATION = -1.5
# ---

P_END_CLIP = 0.02  # p_end is clipped to [0.02, 0.98] (logit within about ±3.9)
SPEAKING = 0.01  # the confidence while speech is running, or in Idle

# Words after which a phrase is almost never finished: conjunctions, prepositions, articles and
# possessives, a subject with its verb contracted, and the fillers Whisper writes. Lower case, bare. Words
# that often end a short answer ("I do", "thank you", "I like that") are left out on purpose.
CONTINUATIONS = frozenset(
    """and but or so because if when while although though than whereas
    of to in on at for with from by about into onto under after before between through during without
    against among
    a an the my your his her our their its every each
    i i'm we're you're they're i've we've they've i'd i'll it's he's she's there's
    um uh er erm hmm mm""".split()
)


@dataclass(frozen=True)
class Evidence:
    """What the decoder says about the end of the words decoded at a pause."""

    p_end: float  # P(sentence-final mark right after the last word), from Whisper's own token probabilities
    mark: str  # the model's own punctuation after the last word: "final" (. ? !), "comma" (, ; : ...) or ""
    last_word: str  # bare, lower case
    words: int

    @property
    def continuation(self) -> bool:
        return self.last_word in CONTINUATIONS


def _logit(p: float) -> float:
    p = min(max(p, P_END_CLIP), 1 - P_END_CLIP)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@dataclass(frozen=True)
class TurnModel:
    bias: float = PRIOR_BIAS
    w_p_end: float = PRIOR_P_END
    w_continuation: float = PRIOR_CONTINUATION
    within_scale_s: float = WITHIN_SCALE_S
    within_from_s: float = WITHIN_FROM_S

    def prior(self, evidence: Evidence) -> float:
        """P(a pause after these words ends the turn), before any silence is measured."""
        z = self.bias + self.w_p_end * _logit(evidence.p_end) + self.w_continuation * evidence.continuation
        return _sigmoid(z)

    def within(self, silence_s: float) -> float:
        """The share of within-turn pauses that last at least `silence_s`."""
        if silence_s <= self.within_from_s:
            return 1.0
        return math.exp(-(silence_s - self.within_from_s) / self.within_scale_s)

    def confidence(self, silence_s: float, evidence: Evidence | None) -> float:
        """P(the turn is over), after `silence_s` of silence following words with this `evidence`."""
        if evidence is None or evidence.words == 0:
            return SPEAKING
        prior = self.prior(evidence)
        return prior / (prior + (1 - prior) * self.within(silence_s))

    def silence_for(self, confidence: float, evidence: Evidence) -> float:
        """The silence after which `confidence` is reached (inf if never): for docs and tests."""
        prior = self.prior(evidence)
        if confidence <= prior:
            return 0.0
        if confidence >= 1.0:
            return math.inf
        # prior / (prior + (1 - prior) w) = c  <=>  w = prior (1 - c) / (c (1 - prior))
        w = prior * (1 - confidence) / (confidence * (1 - prior))
        return self.within_from_s - self.within_scale_s * math.log(w)


DEFAULT = TurnModel()
