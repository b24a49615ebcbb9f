"""Who spoke when: speaker turns from speech activity, speaker embeddings and clustering.

    turns = diarize(samples)                   # 16 kHz float32 mono
    labels = assign_speakers(words, turns)     # [(speaker, confidence)] per word

1. Silero VAD (faster-whisper's bundled ONNX) finds speech.
2. Each speech region is covered by overlapping windows (1.5 s every 0.5 s), each embedded by a
   `SpeakerEmbedder` (Resemblyzer's encoder by default; any model with the same small protocol works).
3. Full-length windows are clustered by average-link agglomerative clustering on cosine distance,
   stopping at a distance threshold, so the number of speakers is found, not given. A few k-means-like
   passes then re-assign every window to its nearest speaker centroid, and speakers with too little
   speech are folded into their nearest neighbour. The threshold was tuned on two references (see
   bench/RESULTS.md): a phone call whose two voices sit close together in this encoder's space, and
   a broadcast whose single voices spread wider than that, so no one threshold serves both perfectly;
   the call's two speakers are kept apart, and the broadcast is over-split.
4. Every 10 ms speech frame takes the speaker that the windows covering it are most similar to
   (weighted toward each window's centre), and runs of frames become turns.

Speakers are numbered 0, 1, 2... in order of first appearance. Nothing here knows about Deepgram.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from opengram.engines.speaker import SpeakerEmbedder

SAMPLE_RATE = 16000
FRAME = 0.01  # seconds per labelling frame
_HOP = int(SAMPLE_RATE * FRAME)


@dataclass(frozen=True)
class Turn:
    start: float  # seconds
    end: float
    speaker: int
    confidence: float  # 0..1, how clearly this stretch belongs to `speaker` rather than another


@dataclass(frozen=True)
class DiarizeOptions:
    window: float = 1.5  # seconds per embedding window
    step: float = 0.5  # seconds between window starts
    min_window: float = 0.4  # speech shorter than this is labelled from its neighbours, not embedded
    threshold: float = 0.31  # average-link cosine distance at which clustering stops merging
    min_speaker_seconds: float = 2.0  # a speaker with less speech than this is folded into another
    min_speaker_share: float = 0.05  # ... or with less than this share of all the speech
    refine_iterations: int = 5
    temperature: float = 0.05  # softmax temperature over cosine similarities, for confidences
    # VAD: tight padding, because every padded 10 ms of silence is scored as false alarm.
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 300
    vad_speech_pad_ms: int = 100
    vad_min_speech_ms: int = 150
    max_cluster_windows: int = 1500  # beyond this, cluster a uniform subset and assign the rest


class _Timed(Protocol):
    start: float
    end: float


def speech_regions(samples: np.ndarray, options: DiarizeOptions = DiarizeOptions()) -> list[tuple[int, int]]:
    """(start, end) sample spans of speech according to Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        threshold=options.vad_threshold,
        min_silence_duration_ms=options.vad_min_silence_ms,
        speech_pad_ms=options.vad_speech_pad_ms,
        min_speech_duration_ms=options.vad_min_speech_ms,
    )
    return [(s["start"], s["end"]) for s in get_speech_timestamps(samples, vad, sampling_rate=SAMPLE_RATE)]


def _windows(regions: Sequence[tuple[int, int]], options: DiarizeOptions) -> list[tuple[int, int]]:
    win, step = int(options.window * SAMPLE_RATE), int(options.step * SAMPLE_RATE)
    min_win = int(options.min_window * SAMPLE_RATE)
    spans = []
    for a, b in regions:
        if b - a < min_win:
            continue
        if b - a <= win:
            spans.append((a, b))
            continue
        starts = list(range(a, b - win + 1, step))
        if starts[-1] + win < b:  # the region's tail gets a window of its own
            starts.append(b - win)
        spans.extend((s, s + win) for s in starts)
    return spans


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _average_link(x: np.ndarray, threshold: float, min_clusters: int, max_clusters: int) -> np.ndarray:
    """Average-link agglomerative clustering of unit vectors on cosine distance; cluster index per row.

    Merges while the closest pair is nearer than `threshold` (or while there are more than
    `max_clusters`), never below `min_clusters`. Row minima are cached, so a merge costs O(n) in the
    usual case and the whole clustering about O(n^2).
    """
    n = len(x)
    dist = (1.0 - x @ x.T).astype(np.float64)
    np.fill_diagonal(dist, np.inf)
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    parent = np.arange(n)
    row_arg = np.argmin(dist, axis=1)
    row_min = dist[np.arange(n), row_arg]
    clusters = n
    while clusters > max(min_clusters, 1):
        i = int(np.argmin(row_min))
        j = int(row_arg[i])
        if row_min[i] > threshold and clusters <= max_clusters:
            break
        # Merge j into i; the Lance-Williams update for average linkage is the size-weighted mean.
        new = (size[i] * dist[i] + size[j] * dist[j]) / (size[i] + size[j])
        size[i] += size[j]
        alive[j] = False
        parent[parent == j] = i
        new[i] = np.inf
        new[~alive] = np.inf
        dist[i], dist[:, i] = new, new
        dist[j], dist[:, j] = np.inf, np.inf
        row_min[j] = np.inf
        clusters -= 1
        row_arg[i] = int(np.argmin(dist[i]))
        row_min[i] = dist[i, row_arg[i]]
        # Rows whose nearest was i or j must look again; others only need to compare with the new i.
        stale = alive & ((row_arg == i) | (row_arg == j))
        stale[i] = False
        for k in np.flatnonzero(stale):
            row_arg[k] = int(np.argmin(dist[k]))
            row_min[k] = dist[k, row_arg[k]]
        closer = alive & (new < row_min)
        row_arg[closer] = i
        row_min[closer] = new[closer]
    _, labels = np.unique(parent, return_inverse=True)
    return labels


def _centroids(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    sums = np.zeros((k, x.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, x)
    return _normalize(sums).astype(np.float32)  # an empty cluster stays a zero row, which never wins


def _cluster(
    emb: np.ndarray,
    weight: np.ndarray,
    options: DiarizeOptions,
    min_speakers: int,
    max_speakers: int,
) -> np.ndarray:
    """Speaker centroids (k, dim) for window embeddings `emb`; `weight` is each window's seconds of speech.

    Average-link clustering stops at `threshold`; then a few k-means-like passes re-assign every window to
    its nearest centroid, folding away clusters with too little speech (windows straddling two voices,
    a cough, music) into their neighbours.
    """
    n = len(emb)
    pick = np.arange(n)
    if n > options.max_cluster_windows:
        pick = np.linspace(0, n - 1, options.max_cluster_windows).round().astype(int)
    labels = _average_link(emb[pick], options.threshold, min_speakers, max_speakers)
    k = int(labels.max()) + 1
    centroids = _centroids(emb[pick], labels, k)
    min_seconds = max(options.min_speaker_seconds, options.min_speaker_share * float(weight.sum()))
    for _ in range(options.refine_iterations):
        labels = np.argmax(emb @ centroids.T, axis=1)
        while k > min_speakers:
            seconds = np.bincount(labels, weights=weight, minlength=k)
            smallest = int(np.argmin(seconds))
            if seconds[smallest] >= min_seconds:
                break
            centroids = np.delete(centroids, smallest, axis=0)
            k -= 1
            labels = np.argmax(emb @ centroids.T, axis=1)
        updated = _centroids(emb, labels, k)
        if np.allclose(updated, centroids, atol=1e-6):
            break
        centroids = updated
    return centroids


def diarize(
    samples: np.ndarray,
    *,
    encoder: SpeakerEmbedder | None = None,
    options: DiarizeOptions | None = None,
    speech: Sequence[tuple[float, float]] | None = None,
    min_speakers: int = 1,
    max_speakers: int | None = None,
) -> list[Turn]:
    """Speaker turns of a 16 kHz mono recording, with the number of speakers found from the audio.

    `speech` may give (start, end) seconds of speech already found by the caller's VAD; otherwise Silero
    VAD runs here. `min_speakers`/`max_speakers` bound the count when the caller knows something.
    """
    options = options or DiarizeOptions()
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError("diarize() wants mono samples")
    if speech is None:
        regions = speech_regions(samples, options)
    else:
        regions = [(int(s * SAMPLE_RATE), int(e * SAMPLE_RATE)) for s, e in speech if e > s]
    regions = [(max(0, a), min(len(samples), b)) for a, b in regions if min(len(samples), b) > max(0, a)]
    if not regions:
        return []
    if encoder is None:
        from opengram.engines.speaker import get_encoder

        encoder = get_encoder()

    spans = _windows(regions, options)
    if not spans:  # only very short blips of speech: one speaker, little to go on
        return [Turn(a / SAMPLE_RATE, b / SAMPLE_RATE, 0, 0.5) for a, b in regions]
    emb = _normalize(np.asarray(encoder.embed_spans(samples, spans), dtype=np.float32))
    lengths = np.array([b - a for a, b in spans]) / SAMPLE_RATE
    full = lengths >= options.window - 1e-6
    # Short windows give noisy embeddings: they are scored against the speakers but do not define them.
    basis = full if full.sum() >= 2 else np.ones(len(spans), dtype=bool)
    weight = np.minimum(lengths, options.step)[basis]  # seconds each window stands for, roughly
    centroids = _cluster(emb[basis], weight, options, max(1, min_speakers), max_speakers or len(spans))
    sims = emb @ centroids.T  # (windows, speakers)

    # Per 10 ms frame: Hann-weighted mean of the covering windows' similarities to each speaker.
    n_frames = int(np.ceil(len(samples) / _HOP))
    score = np.zeros((n_frames, len(centroids)), dtype=np.float64)
    total = np.zeros(n_frames, dtype=np.float64)
    for (a, b), s in zip(spans, sims):
        fa, fb = a // _HOP, max(a // _HOP + 1, b // _HOP)
        w = np.hanning(fb - fa + 2)[1:-1]
        score[fa:fb] += w[:, None] * s[None, :]
        total[fa:fb] += w
    is_speech = np.zeros(n_frames, dtype=bool)
    for a, b in regions:
        is_speech[a // _HOP : max(a // _HOP + 1, b // _HOP)] = True
    covered = total > 0
    score[covered] /= total[covered, None]
    _fill_uncovered(score, covered, is_speech)

    label = np.argmax(score, axis=1)
    logits = (score - score.max(axis=1, keepdims=True)) / options.temperature
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    conf = prob[np.arange(n_frames), label]

    turns: list[Turn] = []
    boundaries = np.flatnonzero(np.diff(np.concatenate([[0], is_speech.astype(np.int8), [0]])))
    for fa, fb in zip(boundaries[::2], boundaries[1::2]):
        seg = label[fa:fb]
        cuts = np.flatnonzero(np.diff(seg)) + 1
        for ca, cb in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(seg)]])):
            turns.append(
                Turn(
                    start=round(float(fa + ca) * FRAME, 3),
                    end=round(min(float(fa + cb) * FRAME, len(samples) / SAMPLE_RATE), 3),
                    speaker=int(seg[ca]),
                    confidence=round(float(conf[fa + ca : fa + cb].mean()), 3),
                )
            )
    return _renumber(_merge_adjacent(turns))


def _fill_uncovered(score: np.ndarray, covered: np.ndarray, is_speech: np.ndarray) -> None:
    """Speech frames no window reached (blips under min_window) copy the nearest covered frame."""
    missing = np.flatnonzero(is_speech & ~covered)
    have = np.flatnonzero(covered)
    if len(missing) == 0 or len(have) == 0:
        return
    pos = np.clip(np.searchsorted(have, missing), 0, len(have) - 1)
    left, right = have[np.maximum(pos - 1, 0)], have[pos]
    nearest = np.where(np.abs(missing - left) <= np.abs(right - missing), left, right)
    score[missing] = score[nearest]


def _merge_adjacent(turns: list[Turn]) -> list[Turn]:
    merged: list[Turn] = []
    for t in turns:
        prev = merged[-1] if merged else None
        if prev and prev.speaker == t.speaker and t.start - prev.end < 1e-6:
            a, b = prev.end - prev.start, t.end - t.start
            conf = (prev.confidence * a + t.confidence * b) / (a + b) if a + b > 0 else t.confidence
            merged[-1] = Turn(prev.start, t.end, t.speaker, round(conf, 3))
        else:
            merged.append(t)
    return merged


def _renumber(turns: list[Turn]) -> list[Turn]:
    order: dict[int, int] = {}
    for t in turns:
        order.setdefault(t.speaker, len(order))
    return [Turn(t.start, t.end, order[t.speaker], t.confidence) for t in turns]


def assign_speakers(words: Sequence[_Timed], turns: Sequence[Turn]) -> list[tuple[int, float]]:
    """(speaker, confidence) for each word: the speaker overlapping it longest, else the nearest turn.

    Confidence is the winning speaker's turn confidence, scaled by the share of the word's overlapped time
    that speaker holds; a word outside every turn takes the nearest turn's confidence, decaying with the
    distance (halved at 0.5 s).
    """
    if not turns:
        return [(0, 0.0) for _ in words]
    starts = np.array([t.start for t in turns])
    ends = np.array([t.end for t in turns])
    speakers = np.array([t.speaker for t in turns])
    confs = np.array([t.confidence for t in turns])
    out = []
    for w in words:
        ov = np.minimum(ends, w.end) - np.maximum(starts, w.start)
        hit = ov > 0
        if hit.any():
            per: dict[int, tuple[float, float]] = {}
            for k in np.flatnonzero(hit):
                s = int(speakers[k])
                time_, weighted = per.get(s, (0.0, 0.0))
                per[s] = (time_ + ov[k], weighted + ov[k] * confs[k])
            best = max(per, key=lambda s: per[s][0])
            share = per[best][0] / sum(v[0] for v in per.values())
            out.append((best, round(float(per[best][1] / per[best][0] * share), 3)))
        else:
            # A zero-length word inside a turn has no overlap but no distance either.
            gap = np.maximum(np.maximum(starts - w.end, w.start - ends), 0.0)
            k = int(np.argmin(gap))
            out.append((int(speakers[k]), round(float(confs[k] * 0.5 ** (gap[k] / 0.5)), 3)))
    return out
