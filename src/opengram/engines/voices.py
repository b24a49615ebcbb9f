"""Deepgram's Aura voice names, and the installed voices that answer to them.

Deepgram's voices cannot be had offline; what installs from PyPI is one Piper voice (en_US-joe-medium).
So every Aura name of a language an installed voice speaks maps to the first such voice: all English
names (`aura-asteria-en`, `aura-2-thalia-en`, ...) are served by joe, and a name in a language no
installed voice speaks (`aura-2-celeste-es` without a Spanish voice) is 400, as an unknown model is.
A voice may also be asked for by its own key (`piper-en_US-joe-medium`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from opengram.engines.tts import Synthesizer, VoiceSpec
from opengram.errors import NoSuchVoice

DEFAULT_MODEL = "aura-asteria-en"  # Deepgram's default when `model` is absent

# Every Aura voice in deepgram-sdk 7.17.0's model enum, by architecture and language.
AURA_VOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("aura", "en"): tuple("angus arcas asteria athena helios hera luna orion orpheus perseus stella zeus".split()),
    ("aura-2", "en"): tuple(
        "amalthea andromeda apollo arcas aries asteria athena atlas aurora callista cora cordelia delia draco "
        "electra harmonia helena hera hermes hyperion iris janus juno jupiter luna mars minerva neptune odysseus "
        "ophelia orion orpheus pandora phoebe pluto saturn selene thalia theia vesta zeus".split()
    ),
    ("aura-2", "es"): tuple(
        "agustina alvaro antonia aquila carina celeste diana estrella gloria javier luciano nestor olivia selena "
        "silvia sirio valerio".split()
    ),
    ("aura-2", "de"): tuple("aurelia elara fabian julius kara lara viktoria".split()),
    ("aura-2", "nl"): tuple("beatrix cornelia daphne hestia lars leda rhea roman sander".split()),
    ("aura-2", "fr"): ("agathe", "hector"),
    ("aura-2", "it"): tuple("cesare cinzia demetra dionisio elio flavio livia maia melia".split()),
    ("aura-2", "ja"): tuple("ama ebisu fujin izanami uzume".split()),
}


@dataclass(frozen=True)
class Voice:
    """A Deepgram model name as served here: the name, and the installed voice that speaks it."""

    name: str  # canonical, e.g. "aura-2-thalia-en"
    short: str  # e.g. "thalia"
    architecture: str  # "aura", "aura-2", or "piper" for a voice asked for by its own key
    language: str  # e.g. "en"
    spec: VoiceSpec

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"opengram:tts:{self.name}:{self.spec.uuid}"))

    @property
    def version(self) -> str:
        return self.spec.version


def _aura_name(arch: str, short: str, language: str) -> str:
    return f"{arch}-{short}-{language}"


class VoiceRegistry:
    """Maps model names to installed voices and owns their loaded engines (loaded once, on first use)."""

    def __init__(self, specs: list[VoiceSpec], loader: Callable[[VoiceSpec], Synthesizer]):
        self.specs = specs
        self._loader = loader
        self._engines: dict[str, Synthesizer] = {}
        self._lock = threading.Lock()
        self.voices: dict[str, Voice] = {}
        for spec in specs:
            primary = spec.language.split("-")[0].lower()
            for (arch, language), shorts in AURA_VOICES.items():
                if language != primary:
                    continue
                for short in shorts:
                    name = _aura_name(arch, short, language)
                    self.voices.setdefault(name, Voice(name, short, arch, language, spec))
            self.voices.setdefault(spec.key.lower(), Voice(spec.key, spec.key, "piper", primary, spec))

    def resolve(self, model: str | None) -> Voice:
        """The voice for a Deepgram `model` name, or 400 NoSuchVoice."""
        name = (model or DEFAULT_MODEL).strip().lower()
        voice = self.voices.get(name)
        if voice is None:
            raise NoSuchVoice()
        return voice

    def by_id(self, model_id: str) -> Voice | None:
        """For /v1/models/{id}: a voice by its UUID or its name."""
        return next((v for v in self.voices.values() if model_id in (v.uuid, v.name)), None)

    def engine(self, spec: VoiceSpec) -> Synthesizer:
        """The loaded engine for `spec` (blocking: call it from a worker thread)."""
        with self._lock:
            if spec.key not in self._engines:
                self._engines[spec.key] = self._loader(spec)
            return self._engines[spec.key]
