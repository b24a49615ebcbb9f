"""Decode any common audio format (or headerless PCM) to 16 kHz float32, one row per channel, with PyAV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np

from opengram.errors import CorruptAudio, InvalidQueryParameter, PayloadTooLarge

TARGET_RATE = 16000

# Deepgram `encoding` values that mean headerless samples, as FFmpeg demuxer names.
RAW_FORMATS = {"linear16": "s16le", "linear32": "s32le", "mulaw": "mulaw", "alaw": "alaw"}

# Magic numbers of containers that carry their own header; with these, `encoding` is only a hint.
_CONTAINER_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"fLaC", b"OggS", b"ID3", b"FORM", b"\x1aE\xdf\xa3", b"#!AMR", b"caff")


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, shape (channels, frames), at TARGET_RATE

    @property
    def channels(self) -> int:
        return self.samples.shape[0]

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / TARGET_RATE

    def mono(self) -> np.ndarray:
        """Downmix by averaging channels, as a single-channel transcription hears them."""
        if self.channels == 1:
            return self.samples[0]
        return self.samples.mean(axis=0, dtype=np.float32)


def _has_container(head: bytes) -> bool:
    return head.startswith(_CONTAINER_MAGIC) or head[4:8] == b"ftyp"


def _open(source: BinaryIO, encoding: str | None, sample_rate: int | None, channels: int | None):
    head = source.read(16)
    source.seek(0)
    raw = RAW_FORMATS.get((encoding or "").lower())
    if raw is None or _has_container(head):
        return av.open(source, mode="r")
    if not sample_rate:
        raise InvalidQueryParameter("sample_rate is required when encoding is set")
    layout = "mono" if (channels or 1) == 1 else "stereo" if channels == 2 else f"{channels}c"
    return av.open(source, mode="r", format=raw, options={"sample_rate": str(sample_rate), "ch_layout": layout})


def decode(
    source: BinaryIO,
    *,
    encoding: str | None = None,
    sample_rate: int | None = None,
    channels: int | None = None,
    max_seconds: float = 4 * 3600,
) -> Audio:
    """Decode every audio frame of the first audio stream. Anything undecodable is `CorruptAudio`."""
    max_frames = int(max_seconds * TARGET_RATE)
    try:
        with _open(source, encoding, sample_rate, channels) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise CorruptAudio()
            resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=TARGET_RATE)
            chunks: list[np.ndarray] = []
            total = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
                    total += chunks[-1].shape[1]
                if total > max_frames:
                    raise PayloadTooLarge(f"Audio is longer than the maximum of {max_seconds:.0f} seconds.")
            chunks.extend(out.to_ndarray() for out in resampler.resample(None))
    except (CorruptAudio, PayloadTooLarge, InvalidQueryParameter):
        raise
    except (av.FFmpegError, ValueError, OSError, RuntimeError) as exc:
        raise CorruptAudio() from exc
    if not chunks:
        raise CorruptAudio()
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if samples.shape[1] == 0:
        raise CorruptAudio()
    return Audio(samples)
