"""Speaker embeddings: Resemblyzer's GE2E voice encoder evaluated in NumPy, without torch.

The weights are `resemblyzer/pretrained.pt` from the `resemblyzer==0.1.4` wheel (installed with
`--no-deps`, so neither torch nor its other dependencies come along). That file is a legacy (pre-zip)
torch pickle; `load_state_dict` rebuilds its tensors as numpy arrays with a restricted unpickler that
accepts only the handful of globals a state dict needs.

The network, as Resemblyzer defines it: 40-band mel power spectrogram (25 ms Hann windows every 10 ms,
16 kHz, Slaney mel scale, no log), a 3-layer LSTM of 256 units, the last layer's final hidden state
through Linear(256, 256) -> ReLU -> L2 normalisation. It was trained on 1.6 s (160 frame) partial
utterances of audio whose level was raised to -30 dBFS.

Nothing here knows about diarization or Deepgram; `speech/diarize.py` uses it through `SpeakerEmbedder`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s, the length the encoder was trained on
HIDDEN = 256
LAYERS = 3
TARGET_DBFS = -30.0

PRETRAINED_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
_INT16_MAX = 2**15 - 1


class SpeakerEmbedder(Protocol):
    """What diarization needs from a speaker model: fixed-size, L2-normalised embeddings of spans."""

    sample_rate: int
    window_seconds: float  # the span length the model works best on

    def embed_spans(self, samples: np.ndarray, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """One unit-length embedding row per (start, end) sample span of `samples`."""
        ...


# --------------------------------------------------------------------------------------------------
# Reading a torch state dict without torch

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _Storage:
    def __init__(self, dtype: type, numel: int):
        self.dtype = np.dtype(dtype)
        self.numel = numel
        self.data: np.ndarray | None = None  # filled after the pickle, where the legacy format keeps it


class _Tensor:
    """A tensor whose storage bytes come after the pickle; materialised once they have been read."""

    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def numpy(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise ValueError("tensor storage was never read")
        item = data.itemsize
        return np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=[s * item for s in self.stride]
        ).copy()


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    return _Tensor(storage, storage_offset, size, stride)


class _StorageType:
    def __init__(self, name: str):
        self.name = name


class _StateDictUnpickler(pickle.Unpickler):
    """Only what a plain state dict holds; any other global is refused, so no code can run."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")

    def __init__(self, file):
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def persistent_load(self, pid):
        # Legacy format: ('storage', storage_type, key, location, numel, view_metadata)
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1:5]
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        if key not in self.storages:
            self.storages[key] = _Storage(_STORAGE_DTYPES[storage_type.name], numel)
        return self.storages[key]


def _walk_tensors(obj):
    if isinstance(obj, _Tensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return type(obj)((k, _walk_tensors(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_walk_tensors(v) for v in obj)
    return obj


def load_torch_legacy(path: Path) -> dict:
    """Load a legacy-format torch.save() file (the one Resemblyzer ships) with tensors as numpy arrays."""
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            raise ValueError(f"{path} is a zip-format torch file; only the legacy format is supported")
        f.seek(0)
        magic = pickle.load(f)
        if magic != 0x1950A86A20F9469CFC6C:
            raise ValueError(f"{path} is not a legacy torch file")
        protocol = pickle.load(f)
        sys_info = pickle.load(f)
        if protocol != 1001 or not sys_info.get("little_endian", False):
            raise ValueError(f"{path}: unsupported torch file (protocol {protocol}, {sys_info})")
        unpickler = _StateDictUnpickler(f)
        result = unpickler.load()
        keys = pickle.load(f)  # storages follow in this order: int64 element count, then raw bytes
        for key in keys:
            storage = unpickler.storages[key]
            (numel,) = struct.unpack("<q", f.read(8))
            nbytes = numel * storage.dtype.itemsize
            raw = f.read(nbytes)
            if numel != storage.numel or len(raw) != nbytes:
                raise ValueError(f"{path}: storage {key} is truncated or inconsistent")
            storage.data = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    return _walk_tensors(result)


def pretrained_path() -> Path | None:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "pretrained.pt"
    return path if path.is_file() else None


# --------------------------------------------------------------------------------------------------
# Features


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    # Slaney's scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above.
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Triangular Slaney-normalised filters, shape (n_mels, n_fft // 2 + 1), as librosa.filters.mel."""
    fft_freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_freqs = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_freqs)
    ramps = mel_freqs[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_freqs[2:] - mel_freqs[:-2]))[:, None]  # equal area per band
    return weights.astype(np.float32)


_MEL = mel_filterbank()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann


def mel_spectrogram(samples: np.ndarray, block_frames: int = 6000) -> np.ndarray:
    """Mel power spectrogram, shape (1 + len // HOP, 40); frame i is centred on sample i * HOP.

    Frames are centred with zero padding (librosa's `center=True`). Computed in blocks so an hour of audio
    never holds its whole complex STFT in memory.
    """
    x = np.pad(np.asarray(samples, dtype=np.float32), N_FFT // 2)
    n_frames = 1 + (len(x) - N_FFT) // HOP
    out = np.empty((n_frames, N_MELS), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    for a in range(0, n_frames, block_frames):
        spec = np.fft.rfft(frames[a : a + block_frames] * _WINDOW, axis=1)
        power = (spec.real**2 + spec.imag**2).astype(np.float32)
        out[a : a + block_frames] = power @ _MEL.T
    return out


def volume_gain(samples: np.ndarray, target_dbfs: float = TARGET_DBFS) -> float:
    """The gain that brings a recording's RMS level to -30 dBFS, where Resemblyzer's training audio sat.

    The mel input is not logarithmic, so the encoder is level-sensitive; one gain per recording keeps
    every window on the same footing. Resemblyzer only ever raises the level; lowering loud audio too
    makes the embeddings independent of recording level (a 2x louder copy of a call otherwise gained a
    third speaker in our diarization).
    """
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    if rms <= 1e-9:
        return 1.0
    return float(10 ** ((target_dbfs - 20 * np.log10(rms)) / 20))


# --------------------------------------------------------------------------------------------------
# The encoder


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
