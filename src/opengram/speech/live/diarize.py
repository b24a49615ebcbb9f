"""`diarize` on a live stream: speaker numbers for the words of each final, decided as the finals come.

Batch diarization clusters a whole recording at once; a stream cannot wait for that, and a final's
speakers may not change afterwards. So each channel keeps the speakers heard so far (a running mean of
unit-length Resemblyzer embeddings, `engines.speaker`); each final's speech is cut into 1.5 s windows,
every window goes to the nearest known speaker when it is similar enough, and the windows that match
nobody become one new speaker. A word takes the speaker of the window nearest to it. Speakers are
numbered from 0 in order of first appearance, per channel. Streaming words get `speaker` only (no
`speaker_confidence`), as Deepgram's do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from opengram.speech.words import TimedWord

RATE = 16000
WINDOW_S = 1.5
STEP_S = 0.75
MIN_REGION_S = 0.4  # shorter speech is labelled from its neighbours
# Cosine similarity at or above which a window joins a known speaker. Measured: distinct voices (JFK, an
# audiobook reader) stay apart and single speakers stay single at 0.72; the two callers of a telephone
# call (0.79-0.84 apart at utterance level) are only partly separated, and a higher threshold splits
# single speakers' 1.5 s windows instead.
SAME_SPEAKER = 0.72
MIN_NEW_SPEAKER_S = 1.0  # a window shorter than this never founds a new speaker


class OnlineSpeakers:
    """The speakers of one channel. Not thread-safe: one channel's finals are labelled in order."""

    def __init__(self, encoder=None):
        self._encoder = encoder
        self.centroids: list[np.ndarray] = []
        self.counts: list[int] = []
        self.last: int | None = None

    @property
    def encoder(self):
        if self._encoder is None:
            from opengram.engines.speaker import get_encoder

            self._encoder = get_encoder()
        return self._encoder

    def label(
        self,
        audio: np.ndarray,
        speech: Sequence[tuple[float, float]],
        words: list[TimedWord],
        offset: float,
        *,
        final: bool = True,
    ) -> list[TimedWord]:
        """`words` (absolute times) with `speaker` set; `audio` starts at `offset` seconds, `speech` is
        relative to it. Only a final changes what is known (an interim peeks)."""
        if not words:
            return words
        spans = _windows(speech, audio.size)
        if not spans:
            speaker = self.last if self.last is not None else (self._new(None) if final else 0)
            return [replace(w, speaker=speaker) for w in words]
        embeddings = self.encoder.embed_spans(audio, spans)
        sure = [(b - a) / RATE >= MIN_NEW_SPEAKER_S for a, b in spans]
        labels = [self._nearest(e, strict=ok) for e, ok in zip(embeddings, sure)]
        unknown = [i for i, label in enumerate(labels) if label is None]
        if unknown:
            new = self._new(_unit(embeddings[unknown].mean(axis=0))) if final else len(self.centroids)
            for i in unknown:
                labels[i] = new
        if final:
            for e, label in zip(embeddings, labels):
                self._update(label, e)
        centres = np.array([(a + b) / 2 / RATE + offset for a, b in spans])
        out = []
        for w in words:
            k = int(np.argmin(np.abs(centres - (w.start + w.end) / 2)))
            out.append(replace(w, speaker=labels[k]))
        if final:
            self.last = out[-1].speaker
        return out

    def _nearest(self, e: np.ndarray, *, strict: bool = True) -> int | None:
        """The known speaker nearest to `e`; None when none is near enough. A short window is too noisy
        to found a new speaker, so it takes the nearest one whatever the distance (`strict=False`)."""
        if not self.centroids:
            return None
        sims = [float(np.dot(_unit(c), e)) for c in self.centroids]
        best = int(np.argmax(sims))
        return best if sims[best] >= SAME_SPEAKER or not strict else None

    def _new(self, e: np.ndarray | None) -> int:
        self.centroids.append(np.zeros(256, np.float32) if e is None else e.astype(np.float32))
        self.counts.append(0 if e is None else 1)
        return len(self.centroids) - 1

    def _update(self, label: int, e: np.ndarray) -> None:
        n = self.counts[label]
        self.centroids[label] = (self.centroids[label] * n + e) / (n + 1)
        self.counts[label] = n + 1


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _windows(speech: Sequence[tuple[float, float]], length: int) -> list[tuple[int, int]]:
    spans = []
    for a, b in speech:
        if b - a < MIN_REGION_S:
            continue
        start = a
        while True:
            end = min(b, start + WINDOW_S)
            spans.append((int(start * RATE), min(length, int(end * RATE))))
            if end >= b:
                break
            start += STEP_S
    return [(a, b) for a, b in spans if b > a]
