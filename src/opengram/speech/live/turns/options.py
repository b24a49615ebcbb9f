"""Flux's query parameters and its mid-stream `Configure` (spec §1.1, §1.7): parsed and validated once, with
the same rules at the handshake (a 400 before the upgrade) and in a Configure (a ConfigureFailure).

Values arrive as strings; the SDK writes floats as Python prints them and may send ints for floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from opengram.engines.registry import MULTI
from opengram.speech.live.turns.machine import Thresholds
from opengram.speech.options import MAX_KEYTERM_TOKENS, ListenOptions

MODELS = ("flux-general-en", "flux-general-multi")
ENCODINGS = ("linear16", "linear32", "mulaw", "alaw", "opus", "ogg-opus")
RAW = ("linear16", "linear32", "mulaw", "alaw")
HINTS = ("en", "es", "fr", "de", "hi", "ru", "pt", "ja", "it", "nl")  # Flux's documented hint languages
EOT_RANGE = (0.5, 1.0)
EAGER_RANGE = (0.3, 0.9)
TIMEOUT_RANGE = (500, 60000)
MAX_KEYTERMS = 100
# Parameters the SDK's `listen.v2.connect` sends, besides the ones parsed here; anything else is ignored.
KNOWN = {"model", "encoding", "sample_rate", "eot_threshold", "eager_eot_threshold", "eot_timeout_ms", "keyterm",
         "language_hint", "profanity_filter", "numerals", "redact", "mip_opt_out", "tag"}  # fmt: skip


class Invalid(ValueError):
    """A parameter or Configure field out of Flux's rules: the description Deepgram would give, and the code
    a ConfigureFailure carries."""

    def __init__(self, description: str, code: str = "INVALID_PARAMETER"):
        super().__init__(description)
        self.description, self.code = description, code


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise Invalid(f"{name} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise Invalid(f"{name} must be a finite number")
    return number


def _in_range(name: str, number: float, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    if not lo <= number <= hi:
        raise Invalid(f"{name} must be between {lo:g} and {hi:g}, not {number:g}")
    return number


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise Invalid(f"{name} must be true or false, not {value!r}")


def _keyterms(values: list[Any]) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise Invalid("keyterms must be strings")
    terms = [v.strip() for v in values if v.strip()]
    if len(terms) > MAX_KEYTERMS:
        raise Invalid(f"at most {MAX_KEYTERMS} keyterms")
    if sum(len(t.split()) for t in terms) > MAX_KEYTERM_TOKENS:
        raise Invalid(
            f"Keyterm limit exceeded. The maximum number of tokens across all keyterms is {MAX_KEYTERM_TOKENS}."
        )
    return terms


def _hints(model: str, values: list[Any]) -> list[str]:
    if values and model != "flux-general-multi":
        raise Invalid(f"language_hint is not supported for model {model}")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise Invalid("language_hint values must be non-empty")
        code = value.strip().lower().replace("_", "-").split("-")[0]  # en-GB -> en
        if code not in HINTS:
            raise Invalid(f"unsupported language_hint {value!r}; supported: {', '.join(HINTS)}")
        if code not in out:
            out.append(code)
    return out


def thresholds(
    eot: Any = None, eager: Any = None, timeout: Any = None, *, base: Thresholds | None = None
) -> Thresholds:
    """`base` with the given members replaced (strings or numbers), validated as a whole."""
    t = replace(base) if base is not None else Thresholds()
    if eot is not None:
        t.eot = _in_range("eot_threshold", _number("eot_threshold", eot), EOT_RANGE)
    if eager is not None:
        t.eager = _in_range("eager_eot_threshold", _number("eager_eot_threshold", eager), EAGER_RANGE)
    if timeout is not None:
        ms = _number("eot_timeout_ms", timeout)
        if not ms.is_integer():
            raise Invalid(f"eot_timeout_ms must be a whole number of milliseconds, not {timeout!r}")
        t.timeout_ms = int(_in_range("eot_timeout_ms", ms, TIMEOUT_RANGE))
    if t.eager is not None and t.eager > t.eot:
        raise Invalid("eager_eot_threshold must be less than or equal to eot_threshold")
    return t


@dataclass
class FluxOptions:
    model: str
    encoding: str | None = None
    sample_rate: int | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    keyterms: list[str] = field(default_factory=list)
    language_hints: list[str] = field(default_factory=list)
    profanity_filter: bool = False
    numerals: bool = False
    redact: list[str] = field(default_factory=list)
    mip_opt_out: bool = False
    tags: list[str] = field(default_factory=list)

    @property
    def multi(self) -> bool:
        return self.model == "flux-general-multi"

    @classmethod
    def parse(cls, items: list[tuple[str, str]]) -> FluxOptions:
        """The handshake's query; raises `Invalid` with the description of the first bad parameter."""
        last: dict[str, str] = {}
        lists: dict[str, list[str]] = {"keyterm": [], "language_hint": [], "tag": [], "redact": []}
        for key, value in items:
            if key in lists:
                lists[key].append(value)
            elif key in KNOWN:
                last[key] = value
        model = last.get("model", "").strip().lower()
        if not model:
            raise Invalid("model is required: flux-general-en or flux-general-multi")
        if model not in MODELS:
            raise Invalid(
                f"unsupported model {last['model']!r} on /v2/listen: use flux-general-en or flux-general-multi"
            )
        encoding = last.get("encoding")
        if encoding is not None:
            encoding = encoding.strip().lower()
            if encoding not in ENCODINGS:
                raise Invalid(f"unsupported encoding {last['encoding']!r}; supported: {', '.join(ENCODINGS)}")
        rate = None
        if "sample_rate" in last:
            number = _number("sample_rate", last["sample_rate"])
            if not number.is_integer() or not 1000 <= number <= 192000:
                raise Invalid(f"invalid sample_rate {last['sample_rate']!r}")
            rate = int(number)
        if encoding in RAW and rate is None:
            raise Invalid(f"sample_rate is required with encoding={encoding}")
        redact = []
        for value in lists["redact"]:
            if value.lower() not in ("numbers", "aggressive_numbers", "true", "false"):
                raise Invalid(f"unsupported redact {value!r}: Flux redacts numbers or aggressive_numbers")
            if value.lower() not in ("false",):
                redact.append("numbers" if value.lower() == "true" else value.lower())
        if any(len(t) > 128 for t in lists["tag"]):
            raise Invalid("tag values are at most 128 characters")
        return cls(
            model=model,
            encoding=encoding,
            sample_rate=rate,
            thresholds=thresholds(
                last.get("eot_threshold"), last.get("eager_eot_threshold"), last.get("eot_timeout_ms")
            ),
            keyterms=_keyterms(lists["keyterm"]),
            language_hints=_hints(model, lists["language_hint"]),
            profanity_filter=_bool("profanity_filter", last.get("profanity_filter", "false")),
            numerals=_bool("numerals", last.get("numerals", "false")),
            redact=redact,
            mip_opt_out=_bool("mip_opt_out", last.get("mip_opt_out", "false")),
            tags=lists["tag"],
        )

    def configured(self, message: dict[str, Any]) -> FluxOptions:
        """These options after a Configure message (omitted fields keep their values); raises `Invalid`."""
        out = replace(self, keyterms=list(self.keyterms), language_hints=list(self.language_hints))
        th = message.get("thresholds")
        if th is not None:
            if not isinstance(th, dict):
                raise Invalid("thresholds must be an object", "INVALID_THRESHOLD")
            try:
                out.thresholds = thresholds(
                    th.get("eot_threshold"),
                    th.get("eager_eot_threshold"),
                    th.get("eot_timeout_ms"),
                    base=self.thresholds,
                )
            except Invalid as exc:
                raise Invalid(exc.description, "INVALID_THRESHOLD") from None
        if "keyterms" in message and message["keyterms"] is not None:
            terms = message["keyterms"]
            out.keyterms = _keyterms(
                [terms] if isinstance(terms, str) else terms if isinstance(terms, list) else [terms]
            )
        hints = message.get("language_hints")
        if hints is not None:
            if not isinstance(hints, list):
                raise Invalid("language_hints must be a list")
            out.language_hints = _hints(self.model, hints)
        if message.get("numerals") is not None:
            out.numerals = _bool("numerals", message["numerals"])
        return out

    def report(self) -> dict[str, Any]:
        """What a ConfigureSuccess echoes: the configuration now in force."""
        t = self.thresholds
        body: dict[str, Any] = {
            "thresholds": {
                **({"eager_eot_threshold": t.eager} if t.eager is not None else {}),
                "eot_threshold": t.eot,
                "eot_timeout_ms": t.timeout_ms,
            },
            "keyterms": list(self.keyterms),
        }
        if self.multi:
            body["language_hints"] = list(self.language_hints)
        body["numerals"] = self.numerals
        return body

    def listen_options(self) -> ListenOptions:
        """The v1 options the decode and the text features read: Flux is always punctuated and cased."""
        language = (self.language_hints[0] if len(self.language_hints) == 1 else MULTI) if self.multi else "en"
        return ListenOptions(
            model=self.model, language=language, punctuate=True, numerals=self.numerals,
            profanity_filter=self.profanity_filter, redact=self.redact, keyterm=self.keyterms,
            tag=self.tags, mip_opt_out=self.mip_opt_out, encoding=self.encoding, sample_rate=self.sample_rate,
        )  # fmt: skip

    def log_fields(self) -> dict[str, Any]:
        listen = self.listen_options()
        config = {"eot_threshold": self.thresholds.eot, "eot_timeout_ms": self.thresholds.timeout_ms}
        if self.thresholds.eager is not None:
            config["eager_eot_threshold"] = self.thresholds.eager
        if self.language_hints:
            config["language_hint"] = list(self.language_hints)
        return {
            "model": self.model,
            "features": listen.features(),
            "tags": self.tags,
            "config": {**listen.config(), **config},
        }
