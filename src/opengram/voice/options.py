"""Query parameters of /v1/speak (spec 4.1 REST, 5.1 WebSocket), parsed once for both."""

from __future__ import annotations

from dataclasses import dataclass, field

from opengram.errors import InvalidQueryParameter
from opengram.voice import formats
from opengram.voice.formats import AudioFormat

SPEED_RANGE = (0.7, 1.5)  # Deepgram's Aura range
CALLBACK_METHODS = ("POST", "PUT")


@dataclass(frozen=True)
class SpeakOptions:
    model: str | None
    format: AudioFormat
    speed: float = 1.0
    callback: str | None = None
    callback_method: str = "POST"
    tag: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, items: list[tuple[str, str]], *, streaming: bool = False) -> SpeakOptions:
        """From the query's (key, value) pairs; the last value of a repeated key wins, except `tag`.
        Unknown parameters are tolerated, as SDKs pass extras through."""
        last: dict[str, str] = {}
        tags: list[str] = []
        for key, value in items:
            if key == "tag":
                tags.append(value)
            else:
                last[key] = value
        fmt = formats.parse(
            last.get("encoding"),
            last.get("container"),
            last.get("sample_rate"),
            last.get("bit_rate"),
            streaming=streaming,
        )
        speed = 1.0
        if last.get("speed"):
            try:
                speed = float(last["speed"])
            except ValueError:
                raise InvalidQueryParameter(f"invalid value for `speed`: {last['speed']!r} is not a number") from None
            if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
                raise InvalidQueryParameter(f"`speed` must be between {SPEED_RANGE[0]} and {SPEED_RANGE[1]}")
        method = (last.get("callback_method") or "POST").upper()
        if method not in CALLBACK_METHODS:
            raise InvalidQueryParameter(f"unknown variant `{last['callback_method']}`, expected `POST` or `PUT`")
        return cls(
            model=(last.get("model") or "").strip() or None,
            format=fmt,
            speed=speed,
            callback=None if streaming else (last.get("callback") or None),
            callback_method=method,
            tag=tags,
        )

    def config(self) -> dict[str, object]:
        """What the request log keeps of the settings."""
        out = self.format.config()
        if self.speed != 1.0:
            out["speed"] = self.speed
        return out
