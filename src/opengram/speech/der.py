"""Diarization error rate, for the benchmark and the tests.

DER = (missed speech + false alarm + speaker confusion) / total reference speech, all in seconds, with
hypothesis speakers mapped one-to-one onto reference speakers so as to maximise the time they agree
(the NIST definition; the mapping is searched exhaustively, greedily beyond about 8 speakers). Overlapped
speech is scored, each speaker counting once. Computed on a 10 ms grid. With `collar` > 0, that much
time either side of every reference turn boundary is left out of scoring, as md-eval and
pyannote.metrics do (0.25 s is customary).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

STEP = 0.01  # seconds per scoring frame

Segment = tuple[float, float, Hashable]  # (start, end, speaker)


@dataclass(frozen=True)
class DERResult:
    total: float  # reference speech scored, seconds (an overlap of two speakers counts twice)
    missed: float
    false_alarm: float
    confusion: float
    mapping: dict  # hypothesis label -> reference label

    @property
    def der(self) -> float:
        return (self.missed + self.false_alarm + self.confusion) / self.total if self.total else 0.0


def read_rttm(path) -> list[Segment]:
    segments = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 8 and parts[0] == "SPEAKER":
                start, duration = float(parts[3]), float(parts[4])
                segments.append((start, start + duration, parts[7]))
    return segments


def _activity(segments: Iterable[Segment], labels: Sequence, n: int) -> np.ndarray:
    index = {label: k for k, label in enumerate(labels)}
    act = np.zeros((n, len(labels)), dtype=bool)
    for start, end, label in segments:
        a, b = int(round(start / STEP)), int(round(end / STEP))
        act[max(a, 0) : min(b, n), index[label]] = True
    return act


def _best_mapping(overlap: np.ndarray) -> list[tuple[int, int]]:
    """(hyp, ref) pairs maximising total overlap; exhaustive, which is instant for a handful of speakers."""
    n_hyp, n_ref = overlap.shape
    if n_hyp == 0 or n_ref == 0:
        return []
    if math.perm(max(n_hyp, n_ref), min(n_hyp, n_ref)) > 200_000:
        return _greedy_mapping(overlap)
    best, best_pairs = -1.0, []
    if n_hyp <= n_ref:
        for perm in itertools.permutations(range(n_ref), n_hyp):
            score = overlap[range(n_hyp), perm].sum()
            if score > best:
                best, best_pairs = score, list(zip(range(n_hyp), perm))
    else:
        for perm in itertools.permutations(range(n_hyp), n_ref):
            score = overlap[perm, range(n_ref)].sum()
            if score > best:
                best, best_pairs = score, list(zip(perm, range(n_ref)))
    return best_pairs


def _greedy_mapping(overlap: np.ndarray) -> list[tuple[int, int]]:
    # Only for speaker counts too large to search exhaustively; may then overstate confusion slightly.
    pairs, o = [], overlap.astype(np.float64).copy()
    for _ in range(min(o.shape)):
        h, r = np.unravel_index(np.argmax(o), o.shape)
        pairs.append((int(h), int(r)))
        o[h, :] = o[:, r] = -1.0
    return pairs


def diarization_error_rate(
    reference: Sequence[Segment],
    hypothesis: Sequence[Segment],
    *,
    collar: float = 0.25,
    region: tuple[float, float] | None = None,
) -> DERResult:
    """Score `hypothesis` against `reference`, inside `region` (the annotated span) if given."""
    end = max([e for _, e, _ in [*reference, *hypothesis]] + [region[1] if region else 0.0])
    n = int(np.ceil(end / STEP)) + 1
    ref_labels = sorted({s for _, _, s in reference}, key=str)
    hyp_labels = sorted({s for _, _, s in hypothesis}, key=str)
    ref = _activity(reference, ref_labels, n)
    hyp = _activity(hypothesis, hyp_labels, n)

    scored = np.ones(n, dtype=bool)
    if region is not None:
        scored[:] = False
        scored[int(round(region[0] / STEP)) : int(round(region[1] / STEP))] = True
    if collar > 0:
        c = int(round(collar / STEP))
        for start, stop, _ in reference:
            for t in (int(round(start / STEP)), int(round(stop / STEP))):
                scored[max(t - c, 0) : t + c] = False
    ref, hyp = ref[scored], hyp[scored]

    overlap = hyp.T.astype(np.float64) @ ref.astype(np.float64)  # (n_hyp, n_ref) frames together
    pairs = _best_mapping(overlap)
    n_ref, n_hyp = ref.sum(axis=1), hyp.sum(axis=1)
    correct = np.zeros(len(ref))
    for h, r in pairs:
        correct += hyp[:, h] & ref[:, r]
    return DERResult(
        total=float(n_ref.sum() * STEP),
        missed=float(np.maximum(n_ref - n_hyp, 0).sum() * STEP),
        false_alarm=float(np.maximum(n_hyp - n_ref, 0).sum() * STEP),
        confusion=float((np.minimum(n_ref, n_hyp) - correct).sum() * STEP),
        mapping={hyp_labels[h]: ref_labels[r] for h, r in pairs},
    )
