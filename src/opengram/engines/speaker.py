"""Speaker embeddings: Resemblyzer's GE2E voice encoder evaluated in NumPy, without torch.

The weights are `resemblyzer/pretrained.pt` from the `resemblyzer==0.1.4` wheel (installed with
`--no-deps`, so neither torch nor its other dependencies come along), read by `torch_pickle`; the input
features are `mel`'s.

The network, as Resemblyzer defines it: 40-band mel power spectrogram (25 ms Hann windows every 10 ms,
16 kHz, Slaney mel scale, no log), a 3-layer LSTM of 256 units, the last layer's final hidden state
through Linear(256, 256) -> ReLU -> L2 normalisation. It was trained on 1.6 s (160 frame) partial
utterances of audio whose level was raised to -30 dBFS.

Nothing here knows about diarization or Deepgram; `speech/diarize.py` uses it through `SpeakerEmbedder`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from opengram.engines.mel import HOP, N_MELS, SAMPLE_RATE, mel_spectrogram, volume_gain
from opengram.engines.torch_pickle import load_torch_legacy

PARTIAL_FRAMES = 160  # 1.6 s, the length the encoder was trained on
HIDDEN = 256
LAYERS = 3

PRETRAINED_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"


class SpeakerEmbedder(Protocol):
    """What diarization needs from a speaker model: fixed-size, L2-normalised embeddings of spans."""

    sample_rate: int
    window_seconds: float  # the span length the model works best on

    def embed_spans(self, samples: np.ndarray, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """One unit-length embedding row per (start, end) sample span of `samples`."""
        ...


def pretrained_path() -> Path | None:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "pretrained.pt"
    return path if path.is_file() else None


class VoiceEncoder:
    """Resemblyzer's GE2E encoder on numpy arrays. Immutable after construction, so thread-safe."""

    sample_rate = SAMPLE_RATE
    window_seconds = PARTIAL_FRAMES * HOP / SAMPLE_RATE

    def __init__(self, weights: Path | None = None, *, verify: bool = True):
        path = weights or pretrained_path()
        if path is None:
            raise FileNotFoundError("resemblyzer is not installed: pip install --no-deps resemblyzer==0.1.4")
        if verify and weights is None:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            if digest != PRETRAINED_SHA256:
                raise ValueError(f"{path}: checksum {digest} is not the pinned Resemblyzer 0.1.4 weights")
        state = load_torch_legacy(Path(path))["model_state"]
        self.layers = []
        for k in range(LAYERS):
            w_ih = state[f"lstm.weight_ih_l{k}"].astype(np.float32)
            w_hh = state[f"lstm.weight_hh_l{k}"].astype(np.float32)
            bias = (state[f"lstm.bias_ih_l{k}"] + state[f"lstm.bias_hh_l{k}"]).astype(np.float32)
            # Gate rows are [input, forget, cell, output]. sigmoid(x) = (1 + tanh(x / 2)) / 2, so halving
            # the sigmoid gates' rows lets one tanh over all 1024 pre-activations serve every gate.
            scale = np.full(4 * HIDDEN, 0.5, dtype=np.float32)
            scale[2 * HIDDEN : 3 * HIDDEN] = 1.0
            # [x_t, h_{t-1}] @ w gives all pre-activations of a step in one matrix product.
            w = np.concatenate([w_ih, w_hh], axis=1) * scale[:, None]
            self.layers.append((np.ascontiguousarray(w.T), bias * scale, w_ih.shape[1]))
        self.linear_w = np.ascontiguousarray(state["linear.weight"].astype(np.float32).T)
        self.linear_b = state["linear.bias"].astype(np.float32)

    def embed_mels(self, mels: np.ndarray) -> np.ndarray:
        """(batch, frames, 40) mel frames -> (batch, 256) unit-length embeddings."""
        x = np.asarray(mels, dtype=np.float32)
        batch, steps, _ = x.shape
        # One BLAS thread: these products are small and sequential, and a second thread only adds
        # synchronisation, which turns into long stalls when the cores are busy with other work.
        with threadpool_limits(1, user_api="blas"):
            for w, bias, n_in in self.layers:
                inp = np.empty((batch, n_in + HIDDEN), dtype=np.float32)
                inp[:, n_in:] = 0.0
                c = np.zeros((batch, HIDDEN), dtype=np.float32)
                seq = np.empty((batch, steps, HIDDEN), dtype=np.float32)
                for t in range(steps):
                    inp[:, :n_in] = x[:, t]
                    z = np.tanh(inp @ w + bias)
                    i = 0.5 * z[:, :HIDDEN] + 0.5
                    f = 0.5 * z[:, HIDDEN : 2 * HIDDEN] + 0.5
                    o = 0.5 * z[:, 3 * HIDDEN :] + 0.5
                    c = f * c + i * z[:, 2 * HIDDEN : 3 * HIDDEN]
                    h = o * np.tanh(c)
                    inp[:, n_in:] = h
                    seq[:, t] = h
                x = seq
            e = np.maximum(x[:, -1] @ self.linear_w + self.linear_b, 0.0)
        return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)

    def embed_spans(
        self, samples: np.ndarray, spans: Sequence[tuple[int, int]], *, batch_size: int = 128
    ) -> np.ndarray:
        """Embed (start, end) sample spans of one recording; spans of equal length are batched together.

        The recording's level is normalised once, as a whole, and its mel spectrogram computed once.
        """
        if not len(spans):
            return np.zeros((0, HIDDEN), dtype=np.float32)
        mel = mel_spectrogram(samples) * np.float32(volume_gain(samples) ** 2)  # power scales as gain^2
        bounds = []
        for start, end in spans:
            a = max(0, int(round(start / HOP)))
            bounds.append((a, max(a + 1, int(round(end / HOP)))))
        out = np.zeros((len(spans), HIDDEN), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for idx, (a, b) in enumerate(bounds):
            by_length.setdefault(b - a, []).append(idx)
        for length, idxs in by_length.items():
            for k in range(0, len(idxs), batch_size):
                chunk = idxs[k : k + batch_size]
                batch = np.zeros((len(chunk), length, N_MELS), dtype=np.float32)
                for row, idx in enumerate(chunk):
                    a, b = bounds[idx]
                    part = mel[a : a + length]
                    batch[row, : len(part)] = part  # a span past the end is zero-padded, as Resemblyzer does
                out[chunk] = self.embed_mels(batch)
        return out

    def embed_utterance(self, samples: np.ndarray, rate: float = 1.3) -> np.ndarray:
        """One embedding for a whole single-speaker recording: the normalised mean of 1.6 s partials.

        Like Resemblyzer's `embed_utterance` (partials at `rate` per second), minus its webrtcvad silence
        trimming; trim silence beforehand if it matters.
        """
        n = len(samples)
        frame_step = max(1, int(round(SAMPLE_RATE / rate / HOP)))
        n_frames = int(np.ceil((n + 1) / HOP))
        starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + frame_step + 1), frame_step))
        # Resemblyzer keeps a final, zero-padded partial only if at least 75% of it is audio.
        if len(starts) > 1 and (n - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP) < 0.75:
            starts.pop()
        partials = self.embed_spans(samples, [(s * HOP, (s + PARTIAL_FRAMES) * HOP) for s in starts])
        mean = partials.mean(axis=0)
        return mean / np.linalg.norm(mean)


_lock = threading.Lock()
_encoder: VoiceEncoder | None = None


def get_encoder() -> VoiceEncoder:
    """The process-wide encoder, loaded on first use (about 30 ms)."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                _encoder = VoiceEncoder()
    return _encoder


def available() -> bool:
    return pretrained_path() is not None
