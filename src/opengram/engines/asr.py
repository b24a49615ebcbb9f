"""Speech recognition on faster-whisper (CTranslate2). Knows nothing of Deepgram or HTTP."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Weights come from installed packages only; never let a library reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from faster_whisper import WhisperModel  # noqa: E402

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Word:
    text: str  # as the model wrote it: punctuated, cased, maybe with a leading space
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    words: list[Word]
    text: str
    language: str
    language_probability: float


@dataclass(frozen=True)
class DecodeOptions:
    """What a caller may ask of one decode; everything else is the engine's configuration."""

    language: str | None = "en"
    beam_size: int = 1
    initial_prompt: str | None = None
    hotwords: str | None = None
    vad_filter: bool = False


class WhisperEngine:
    """One loaded Whisper model. `transcribe` is blocking and thread-safe up to `num_workers` callers."""

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        num_workers: int = 1,
    ):
        self.model_dir = model_dir
        self.model = WhisperModel(
            str(model_dir),
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=num_workers,
            local_files_only=True,
        )

    @property
    def multilingual(self) -> bool:
        return self.model.model.is_multilingual

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        segments, info = self.model.transcribe(
            audio,
            language=options.language if self.multilingual else "en",
            beam_size=options.beam_size,
            word_timestamps=True,
            initial_prompt=options.initial_prompt,
            hotwords=options.hotwords,
            vad_filter=options.vad_filter,
        )
        words: list[Word] = []
        texts: list[str] = []
        for segment in segments:  # a lazy generator: the decode happens here
            texts.append(segment.text)
            for w in segment.words or []:
                words.append(Word(w.word, round(w.start, 3), round(w.end, 3), w.probability))
        return Transcript(words, "".join(texts).strip(), info.language, info.language_probability)
