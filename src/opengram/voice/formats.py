"""TTS output formats (spec 4.1, 4.2, 5.1): which encoding/container/sample_rate/bit_rate combinations
Deepgram allows, their defaults, the Content-Type each one is served with, and how PyAV writes it.

Errors use Deepgram's words: a bad value is "Failed to deserialize query parameters: ...", a value that
does not go with the encoding is "Unsupported audio format: ...".
"""

from __future__ import annotations

from dataclasses import dataclass

from opengram.errors import InvalidQueryParameter, UnsupportedAudioFormat


@dataclass(frozen=True)
class EncodingRule:
    containers: tuple[str, ...]  # allowed values, the first is the default; () = `container` not applicable
    sample_rates: tuple[int, ...]  # allowed values; one value = fixed (`sample_rate` not applicable)
    default_rate: int
    bit_rates: tuple[int, int] | tuple[int, ...] | None  # (lo, hi) range, or allowed values, or not applicable
    default_bit_rate: int | None
    bit_rate_range: bool = False


PCM_RATES = (8000, 16000, 24000, 32000, 48000)
TELEPHONY_RATES = (8000, 16000)

RULES: dict[str, EncodingRule] = {
    "linear16": EncodingRule(("wav", "none"), PCM_RATES, 24000, None, None),
    "mulaw": EncodingRule(("wav", "none"), TELEPHONY_RATES, 8000, None, None),
    "alaw": EncodingRule(("wav", "none"), TELEPHONY_RATES, 8000, None, None),
    "mp3": EncodingRule((), (22050,), 22050, (32000, 48000), 48000),
    "opus": EncodingRule(("ogg",), (48000,), 48000, (4000, 650000), 12000, bit_rate_range=True),
    "flac": EncodingRule((), (8000, 16000, 22050, 32000, 48000), 48000, None, None),
    "aac": EncodingRule((), (22050,), 22050, (4000, 192000), 48000, bit_rate_range=True),
}
STREAMING_ENCODINGS = ("linear16", "mulaw", "alaw")  # the WebSocket sends raw samples only

# (encoding, container) -> (FFmpeg muxer, FFmpeg encoder)
_MUXERS = {
    ("linear16", "wav"): ("wav", "pcm_s16le"),
    ("linear16", "none"): ("s16le", "pcm_s16le"),
    ("mulaw", "wav"): ("wav", "pcm_mulaw"),
    ("mulaw", "none"): ("mulaw", "pcm_mulaw"),
    ("alaw", "wav"): ("wav", "pcm_alaw"),
    ("alaw", "none"): ("alaw", "pcm_alaw"),
    ("mp3", ""): ("mp3", "libmp3lame"),
    ("opus", "ogg"): ("ogg", "libopus"),
    ("flac", ""): ("flac", "flac"),
    ("aac", ""): ("adts", "aac"),
}


@dataclass(frozen=True)
class AudioFormat:
    encoding: str
    container: str  # "" where Deepgram has no container for the encoding
    sample_rate: int
    bit_rate: int | None

    @property
    def content_type(self) -> str:
        if self.encoding in ("linear16", "mulaw", "alaw"):
            if self.container == "wav":
                return "audio/wav"
            kind = "l16" if self.encoding == "linear16" else self.encoding
            return f"audio/{kind};rate={self.sample_rate}"
        return {"mp3": "audio/mpeg", "opus": "audio/ogg;codecs=opus", "flac": "audio/flac", "aac": "audio/aac"}[
            self.encoding
        ]

    @property
    def muxer(self) -> tuple[str, str]:
        """(FFmpeg format, FFmpeg codec) that write this format."""
        return _MUXERS[(self.encoding, self.container)]

    def config(self) -> dict[str, object]:
        """For the request log."""
        out: dict[str, object] = {"encoding": self.encoding, "sample_rate": self.sample_rate}
        if self.container:
            out["container"] = self.container
        if self.bit_rate is not None:
            out["bit_rate"] = self.bit_rate
        return out


def integer(name: str, value: str | None) -> int | None:
    """An integer query value; SDKs send Python floats as `24000.0`, which count when integral."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidQueryParameter(f"invalid value for `{name}`: {value!r} is not a number") from None
    if not number.is_integer():
        raise InvalidQueryParameter(f"invalid value for `{name}`: {value!r} is not an integer")
    return int(number)


def parse(
    encoding: str | None,
    container: str | None,
    sample_rate: str | None,
    bit_rate: str | None,
    *,
    streaming: bool = False,
) -> AudioFormat:
    """Validate and complete the requested format. `streaming` applies the WebSocket's rules (raw linear16,
    mulaw or alaw; no container, no bit rate)."""
    default = "linear16" if streaming else "mp3"
    name = (encoding or default).strip().lower()
    allowed = STREAMING_ENCODINGS if streaming else tuple(RULES)
    if name not in allowed:
        expected = ", ".join(f"`{e}`" for e in allowed)
        raise InvalidQueryParameter(f"unknown variant `{encoding}`, expected one of {expected}")
    rule = RULES[name]
    rate = integer("sample_rate", sample_rate)
    bits = integer("bit_rate", bit_rate)
    box = (container or "").strip().lower() or None

    if streaming:
        # Raw samples only; an explicit `container=none` (sent by older SDKs) is what we do anyway.
        if box not in (None, "none"):
            raise UnsupportedAudioFormat(f"`container={box}` is invalid when `encoding={name}`")
        box = "none"
        bits = None  # a legacy parameter of older SDKs' WebSocket options; meaningless for raw samples
    elif not rule.containers:
        if box is not None:
            raise UnsupportedAudioFormat(f"`container` is not applicable when `encoding={name}`")
        box = ""
    elif box is None:
        box = rule.containers[0]
    elif box not in rule.containers:
        raise UnsupportedAudioFormat(f"`container={box}` is invalid when `encoding={name}`")

    if rate is None:
        rate = rule.default_rate
    elif len(rule.sample_rates) == 1:
        raise UnsupportedAudioFormat(f"`sample_rate` is not applicable when `encoding={name}`")
    elif rate not in rule.sample_rates:
        listed = ", ".join(str(r) for r in rule.sample_rates)
        raise UnsupportedAudioFormat(f"`sample_rate` must be [{listed}] when `encoding={name}`")

    if rule.bit_rates is None:
        if bits is not None:
            raise UnsupportedAudioFormat(f"`bit_rate` is not applicable when `encoding={name}`")
    elif bits is None:
        bits = rule.default_bit_rate
    elif rule.bit_rate_range:
        lo, hi = rule.bit_rates
        if not lo <= bits <= hi:
            raise UnsupportedAudioFormat(f"`bit_rate` must be between {lo} and {hi} when `encoding={name}`")
    elif bits not in rule.bit_rates:
        listed = ", ".join(str(b) for b in rule.bit_rates)
        raise UnsupportedAudioFormat(f"`bit_rate` must be [{listed}] when `encoding={name}`")
    return AudioFormat(name, box, rate, bits)
