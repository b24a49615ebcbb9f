"""The speaker encoder's input features: a 40-band mel power spectrogram (25 ms Hann windows every 10 ms at
16 kHz, Slaney mel scale, no log), as Resemblyzer computes it with librosa, here in NumPy; and the level
normalisation it expects (-30 dBFS)."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
TARGET_DBFS = -30.0


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
