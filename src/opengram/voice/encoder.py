"""Incremental encoding of synthesised audio into the requested output format, with PyAV.

Each call takes one sentence of float32 samples at the voice's rate and returns the bytes the muxer wrote
for it, so audio leaves as it is made. The codec context resamples to the output rate itself. The output
is not seekable, so headers that would hold a length (WAV) carry the streaming placeholder instead, as
Deepgram's streamed WAV does.
"""

from __future__ import annotations

import av
import numpy as np

from opengram.voice.formats import AudioFormat

# Opus' encoder accepts less than Deepgram's bit_rate range (spec: up to 650 kb/s).
_OPUS_BIT_RATES = (6000, 256000)


class _Sink:
    """A write-only file for the muxer; what it collects is drained after every sentence."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)

    def drain(self) -> bytes:
        out = bytes(self.buffer)
        self.buffer.clear()
        return out


class Encoder:
    """Not thread-safe: one caller at a time (the synthesis steps run one after another)."""

    def __init__(self, fmt: AudioFormat, input_rate: int):
        self.input_rate = input_rate
        self._sink = _Sink()
        muxer, codec = fmt.muxer
        options = {"flush_packets": "1"}  # hand each packet to the sink at once, not when a 32 KB buffer fills
        if muxer == "ogg":
            options["page_duration"] = "100000"  # µs: a page per 100 ms instead of per second, for latency
        self._container = av.open(self._sink, mode="w", format=muxer, options=options)
        self._stream = self._container.add_stream(codec, rate=fmt.sample_rate)
        self._stream.layout = "mono"
        if fmt.bit_rate is not None:
            bit_rate = fmt.bit_rate
            if codec == "libopus":
                bit_rate = min(max(bit_rate, _OPUS_BIT_RATES[0]), _OPUS_BIT_RATES[1])
            self._stream.bit_rate = bit_rate
        self._pts = 0
        self._closed = False

    def encode(self, samples: np.ndarray) -> bytes:
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32)[None, :], format="flt", layout="mono"
        )
        frame.sample_rate = self.input_rate
        frame.pts = self._pts
        self._pts += samples.shape[0]
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        return self._sink.drain()

    def finish(self) -> bytes:
        """The encoder's delayed samples and the muxer's trailer."""
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self.close()
        return self._sink.drain()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._container.close()
