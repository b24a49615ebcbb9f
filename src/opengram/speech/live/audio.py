"""Incremental decoding of a live stream's audio to 16 kHz float32, one array per channel.

Raw encodings (`linear16`, `linear32`, `mulaw`, `alaw`) are sample-wise codecs: each message is decoded as
it arrives. Everything else (no `encoding`, so a container: WAV, WebM, Ogg, MP3, FLAC...; or a coded
`encoding`: flac, opus, ogg-opus, speex, amr-nb, amr-wb, g729) goes through PyAV reading a blocking
file-like object that the socket feeds, on the stream's own thread. Both run on that thread, never on the
event loop. Anything PyAV cannot read is `UndecodableAudio` (the socket closes with 1008 DATA-0000).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import av
import numpy as np

TARGET_RATE = 16000

# Deepgram encoding -> (PyAV codec for sample-wise raw audio, bytes per sample)
RAW_CODECS = {
    "linear16": ("pcm_s16le", 2),
    "linear32": ("pcm_s32le", 4),
    "mulaw": ("pcm_mulaw", 1),
    "alaw": ("pcm_alaw", 1),
}
# Deepgram encoding -> FFmpeg demuxer for coded audio without a recognisable header
CODED_FORMATS = {
    "flac": "flac", "opus": "ogg", "ogg-opus": "ogg", "speex": "ogg", "amr-nb": "amrnb", "amr-wb": "amrwb",
    "g729": "g729",
}  # fmt: skip
_CONTAINER_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"fLaC", b"OggS", b"ID3", b"FORM", b"\x1aE\xdf\xa3", b"#!AMR", b"caff")

Sink = Callable[[list[np.ndarray]], None]  # one float32 array per channel, all the same length


class UndecodableAudio(Exception):
    pass


# Leading bytes -> FFmpeg demuxer, so the common containers start decoding without a probe (which, on
# a low-bitrate stream, would first wait for seconds of audio).
_MAGIC_FORMATS = (
    (b"fLaC", "flac"), (b"OggS", "ogg"), (b"ID3", "mp3"), (b"\x1aE\xdf\xa3", "matroska"), (b"#!AMR", "amr"),
    (b"FORM", "aiff"), (b"caff", "caf"),
)  # fmt: skip


def _format_by_magic(head: bytes) -> str | None:
    return next((fmt for magic, fmt in _MAGIC_FORMATS if head.startswith(magic)), None)


def _has_container(head: bytes) -> bool:
    return head.startswith(_CONTAINER_MAGIC) or head[4:8] == b"ftyp" or (head[:2] == b"\xff\xfb")


class _Resamplers:
    """One streaming resampler per channel, to 16 kHz float32."""

    def __init__(self):
        self._resamplers: list[av.AudioResampler] = []
        self._rate: int | None = None

    def __call__(self, planes: np.ndarray, rate: int) -> list[np.ndarray]:
        """`planes`: float32 (channels, samples) at `rate`."""
        if rate == TARGET_RATE:
            return [np.ascontiguousarray(p, dtype=np.float32) for p in planes]
        if not self._resamplers or rate != self._rate:
            self._resamplers = [av.AudioResampler(format="flt", layout="mono", rate=TARGET_RATE) for _ in planes]
            self._rate = rate
        out = []
        for plane, resampler in zip(planes, self._resamplers):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(plane[None], dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate = rate
            pieces = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            out.append(np.concatenate(pieces) if pieces else np.zeros(0, np.float32))
        n = min(len(o) for o in out)
        return [o[:n] for o in out]  # channels resample in lockstep; keep them the same length

    def flush(self) -> list[np.ndarray]:
        out = []
        for resampler in self._resamplers:
            pieces = [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
            out.append(np.concatenate(pieces) if pieces else np.zeros(0, np.float32))
        return out


class RawDecoder:
    """Headerless sample-wise audio (PCM or G.711), `channels` interleaved, at `sample_rate`."""

    def __init__(self, encoding: str, sample_rate: int, channels: int, *, codec: tuple[str, int] | None = None):
        name, self._width = codec or RAW_CODECS[encoding]
        self._ctx = av.CodecContext.create(name, "r")
        self._ctx.sample_rate = sample_rate
        self._ctx.layout = "mono"  # sample-wise codecs: decode the interleaved samples as one plane
        self._rate = sample_rate
        self._channels = channels
        self._frame_bytes = self._width * channels
        self._rest = b""
        self._resample = _Resamplers()

    def decode(self, data: bytes) -> list[np.ndarray]:
        data = self._rest + data
        usable = len(data) - len(data) % self._frame_bytes
        self._rest = data[usable:]
        if not usable:
            return [np.zeros(0, np.float32) for _ in range(self._channels)]
        frames = self._ctx.decode(av.Packet(data[:usable]))
        values = np.concatenate([f.to_ndarray().reshape(-1) for f in frames])
        samples = _to_float(values).reshape(-1, self._channels).T
        return self._resample(samples, self._rate)

    def flush(self) -> list[np.ndarray]:
        return self._resample.flush() if self._resample._resamplers else []


# WAVE format tag (and bits per sample) -> sample-wise PyAV codec and its width in bytes
_WAV_CODECS = {
    (1, 8): ("pcm_u8", 1), (1, 16): ("pcm_s16le", 2), (1, 24): ("pcm_s24le", 3), (1, 32): ("pcm_s32le", 4),
    (3, 32): ("pcm_f32le", 4), (3, 64): ("pcm_f64le", 8), (6, 8): ("pcm_alaw", 1), (7, 8): ("pcm_mulaw", 1),
}  # fmt: skip


def _wav_header(head: bytes) -> tuple[tuple[str, int], int, int, int] | None | bool:
    """(codec, rate, channels, where the samples start) of a WAV header; None when it is not a sample-wise
    WAV we can read directly; False when more bytes are needed."""
    pos, fmt = 12, None
    while True:
        if len(head) < pos + 8:
            return False
        chunk, size = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if chunk == b"fmt ":
            if len(head) < pos + 8 + min(size, 40):
                return False
            body = head[pos + 8 : pos + 8 + size]
            tag, channels, rate = (
                int.from_bytes(body[0:2], "little"),
                int.from_bytes(body[2:4], "little"),
                int.from_bytes(body[4:8], "little"),
            )
            bits = int.from_bytes(body[14:16], "little")
            if tag == 0xFFFE and len(body) >= 26:
                tag = int.from_bytes(body[24:26], "little")
            fmt = (_WAV_CODECS.get((tag, bits)), rate, channels)
        elif chunk == b"data":
            if fmt is None or fmt[0] is None or not fmt[1] or not fmt[2]:
                return None
            return fmt[0], fmt[1], fmt[2], pos + 8
        if size > 1 << 20:
            return None
        pos += 8 + size + (size & 1)


def decode_any(take: Callable[[], bytes | None], sink: Sink, *, encoding: str | None, multichannel: bool) -> None:
    """Decode a stream that is not raw PCM: WAV is read directly (no probing delay), the rest with PyAV."""
    head = b""
    while len(head) < 16:
        more = take()
        if more is None:
            break
        head += more
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        while (parsed := _wav_header(head)) is False:
            more = take()
            if more is None:
                raise UndecodableAudio("truncated WAV header")
            head += more
        if parsed is not None:
            codec, rate, channels, offset = parsed
            decoder = RawDecoder("", rate, channels, codec=codec)
            data: bytes | None = head[offset:]
            while data is not None:
                out = decoder.decode(data)
                if not multichannel and len(out) > 1:
                    out = [np.mean(out, axis=0, dtype=np.float32)]
                if out and out[0].size:
                    sink(out)
                data = take()
            tail = decoder.flush()
            if tail and tail[0].size:
                sink([np.mean(tail, axis=0, dtype=np.float32)] if not multichannel and len(tail) > 1 else tail)
            return
    if head:
        decode_container(take, sink, encoding=encoding, multichannel=multichannel, head=head)


class _SocketReader:
    """A blocking, read-only file for PyAV, fed with the socket's messages through a queue."""

    def __init__(self, take: Callable[[], bytes | None], head: bytes = b""):
        self._take = take
        self._buffer = bytearray(head)
        self._eof = False
        self.consumed = 0

    def read(self, n: int = -1) -> bytes:
        while not self._buffer and not self._eof:
            chunk = self._take()
            if chunk is None:
                self._eof = True
            else:
                self._buffer += chunk
        if n is None or n < 0:
            n = len(self._buffer)
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        self.consumed += len(out)
        return out

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def decode_container(
    take: Callable[[], bytes | None], sink: Sink, *, encoding: str | None, multichannel: bool, head: bytes = b""
) -> None:
    """Decode coded or containerised audio until `take()` returns None, calling `sink` as audio comes out.

    `take` blocks for the next message. Runs PyAV on the calling thread; raises UndecodableAudio.
    """
    head = bytearray(head)
    while len(head) < 16:  # enough to recognise a container
        more = take()
        if more is None:
            break
        head += more
    if not head:
        return
    fmt = _format_by_magic(bytes(head[:16]))
    if fmt is None and encoding is not None and not _has_container(bytes(head[:16])):
        fmt = CODED_FORMATS.get(encoding)
    if fmt is None:
        # Probe on what has arrived rather than on the live reader: FFmpeg would wait for more input
        # (forever, on a stream of junk) before it gives up.
        need, ended = PROBE_BYTES, False
        while True:
            while len(head) < need and (more := take()) is not None:
                head += more
            ended = len(head) < need
            try:
                fmt = _probe(bytes(head))
                break
            except _ProbeWantsMore:
                if ended or need >= PROBE_MAX_BYTES:
                    raise UndecodableAudio("no audio format recognised") from None
                need *= 2
    reader = _SocketReader(take, bytes(head))
    resample = _Resamplers()
    produced = False
    try:
        # Small probes: the default (5 MB, 5 s) would wait for seconds of live audio before the first frame.
        with av.open(
            reader, mode="r", format=fmt, options={"probesize": "8192", "analyzeduration": "100000"}
        ) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise UndecodableAudio("no audio stream")
            for frame in container.decode(stream):
                planes = frame.to_ndarray()
                if frame.format.is_planar:
                    planes = planes.reshape(len(frame.layout.channels), -1)
                else:
                    planes = planes.reshape(-1, len(frame.layout.channels)).T
                planes = _to_float(planes)
                if not multichannel and planes.shape[0] > 1:
                    planes = planes.mean(axis=0, keepdims=True, dtype=np.float32)
                out = resample(planes, frame.sample_rate)
                if out and out[0].size:
                    produced = True
                    sink(out)
    except UndecodableAudio:
        raise
    except (av.FFmpegError, ValueError, OSError, RuntimeError, StopIteration) as exc:
        if not produced:
            raise UndecodableAudio(str(exc)) from exc
        # A stream cut off mid-frame after good audio: keep what was heard.
    if resample._resamplers:
        tail = resample.flush()
        if tail and tail[0].size:
            sink(tail)
    if not produced and reader.consumed:
        raise UndecodableAudio("no audio decoded")


PROBE_BYTES = 8192
PROBE_MAX_BYTES = 256 * 1024


class _ProbeWantsMore(Exception):
    pass


def _probe(head: bytes) -> str:
    """The FFmpeg demuxer for a stream that starts with `head`; _ProbeWantsMore when the demuxer ran out
    of input before it could tell (Ogg reads its header pages first); UndecodableAudio for anything else."""
    try:
        with av.open(io.BytesIO(head), mode="r", options={"probesize": str(len(head))}) as probe:
            if not any(s.type == "audio" for s in probe.streams):
                raise UndecodableAudio("no audio stream")
            return probe.format.name.split(",")[0]
    except av.error.EOFError:
        raise _ProbeWantsMore() from None
    except (av.FFmpegError, ValueError, OSError, RuntimeError) as exc:
        raise UndecodableAudio(str(exc)) from exc


def _to_float(planes: np.ndarray) -> np.ndarray:
    if planes.dtype == np.float32:
        return planes
    if planes.dtype == np.float64:
        return planes.astype(np.float32)
    if planes.dtype == np.int16:
        return planes.astype(np.float32) / 32768.0
    if planes.dtype == np.int32:
        return planes.astype(np.float32) / 2147483648.0
    if planes.dtype == np.uint8:
        return (planes.astype(np.float32) - 128.0) / 128.0
    return planes.astype(np.float32)
