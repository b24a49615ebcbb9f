"""Speech recognition on faster-whisper (CTranslate2). Knows nothing of Deepgram or HTTP."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from opengram.engines.languages import ENGLISH, bcp47, whisper_language

# Weights come from installed packages only; never let a library reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from faster_whisper import WhisperModel  # noqa: E402
from faster_whisper.vad import get_speech_timestamps  # noqa: E402

SAMPLE_RATE = 16000
# Language detection listens to the first speech it finds: Silero VAD over the start of the recording, then
# Whisper's language token on up to two 30 s windows of that speech (the second only when the first is unsure).
DETECT_SCAN_S = 120
DETECT_WINDOW_S = 30
DETECT_MAX_WINDOWS = 2
DETECT_SURE = 0.5
# `switching` (language=multi) detects the language of each stretch of speech: VAD regions joined across
# pauses shorter than STRETCH_GAP_S, and across any pause while the stretch is shorter than STRETCH_MIN_S
# (a few words are too little to tell a language by), up to Whisper's 30 s window.
STRETCH_GAP_S = 1.0
STRETCH_MIN_S = 3.0
STRETCH_MAX_S = 30.0


@dataclass(frozen=True)
class Word:
    text: str  # as the model wrote it: punctuated, cased, maybe with a leading space
    start: float
    end: float
    probability: float
    language: str | None = None  # BCP-47, when a transcript holds more than one language (`switching`)


@dataclass(frozen=True)
class Transcript:
    words: list[Word]
    text: str
    language: str  # BCP-47 primary subtag: the language asked for, or the one detected
    language_probability: float  # 1.0 when the language was given


@dataclass(frozen=True)
class DecodeOptions:
    """What a caller may ask of one decode; everything else is the engine's configuration."""

    language: str | None = "en"  # BCP-47 (`pt-BR`) or Whisper code; None detects it (multilingual models)
    # With language=None: detect among these only (BCP-47 or Whisper codes); None means any language.
    language_candidates: tuple[str, ...] | None = None
    beam_size: int = 1
    initial_prompt: str | None = None
    hotwords: str | None = None
    vad_filter: bool = False
    # 0 is greedy/beam search; a positive temperature samples, which is how alternatives differ.
    temperature: float | None = None
    # With language=None on a multilingual model: detect per stretch of speech, not once per recording, and
    # decode each run of one language in that language (Deepgram's code-switching `language=multi`).
    switching: bool = False


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

    def detect_language(self, audio: np.ndarray, candidates: Sequence[str] | None = None) -> tuple[str, float]:
        """The spoken language of 16 kHz mono `audio`, as (BCP-47 code, probability).

        With `candidates` (BCP-47 or Whisper codes), only those compete and their probabilities are renormalised
        to sum to 1. An English-only model answers ("en", 1.0). Blocking, like `transcribe`.
        """
        if not self.multilingual:
            return ENGLISH, 1.0
        allowed = None
        if candidates:
            allowed = {code for code in (whisper_language(c) for c in candidates) if code is not None}
            if not allowed:
                raise ValueError(f"no language Whisper knows among {list(candidates)}")
            if len(allowed) == 1:
                return bcp47(next(iter(allowed))), 1.0
        totals: dict[str, float] = {}
        windows = _speech_windows(audio)
        for window in windows:
            _, _, probabilities = self.model.detect_language(audio=window)
            for code, p in probabilities:
                if allowed is None or code in allowed:
                    totals[code] = totals.get(code, 0.0) + p
            if max(totals.values(), default=0.0) / max(sum(totals.values()), 1e-9) >= DETECT_SURE:
                break
        mass = sum(totals.values())
        if mass <= 0:  # the model gave the candidates no probability at all
            code = sorted(allowed)[0] if allowed else ENGLISH
            return bcp47(code), 0.0
        code, p = max(totals.items(), key=lambda item: item[1])
        return bcp47(code), p / mass

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        """Words and text of 16 kHz mono `audio`. With `options.language=None` the language is detected first."""
        probability = 1.0
        if not self.multilingual:
            language = ENGLISH
        elif options.language is None and options.switching:
            return self._transcribe_switching(audio, options)
        elif options.language is None:
            detected, probability = self.detect_language(audio, options.language_candidates)
            language = whisper_language(detected)
        else:
            language = whisper_language(options.language)
            if language is None:
                raise ValueError(f"Whisper does not know the language {options.language!r}")
        segments, info = self.model.transcribe(
            audio,
            language=language,
            beam_size=options.beam_size,
            word_timestamps=True,
            initial_prompt=options.initial_prompt,
            hotwords=options.hotwords,
            vad_filter=options.vad_filter,
            **({} if options.temperature is None else {"temperature": options.temperature, "best_of": 1}),
        )
        words: list[Word] = []
        texts: list[str] = []
        for segment in segments:  # a lazy generator: the decode happens here
            texts.append(segment.text)
            for w in segment.words or []:
                words.append(Word(w.word, round(w.start, 3), round(w.end, 3), w.probability))
        return Transcript(words, "".join(texts).strip(), bcp47(language), probability)

    def _transcribe_switching(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        """Each run of stretches in one language is decoded in it, and its words say which it is."""
        runs: list[list] = []  # [language, start sample, end sample]
        for start, end in _speech_stretches(audio):
            language = bcp47(self.model.detect_language(audio=audio[start:end])[0])
            if runs and runs[-1][0] == language:
                runs[-1][2] = end
            else:
                runs.append([language, start, end])
        if len(runs) <= 1:  # one language throughout (or no speech): one decode of the whole, as usual
            language = runs[0][0] if runs else ENGLISH
            whole = self.transcribe(audio, replace(options, language=language, switching=False))
            return replace(whole, words=[replace(w, language=language) for w in whole.words])
        runs[0][1], runs[-1][2] = 0, audio.size  # the runs cover the recording: no word falls between them
        for this, after in zip(runs, runs[1:]):
            this[2] = after[1]
        words: list[Word] = []
        texts: list[str] = []
        for language, start, end in runs:
            part = self.transcribe(audio[start:end], replace(options, language=language, switching=False))
            offset = start / SAMPLE_RATE
            words += [
                replace(w, start=round(w.start + offset, 3), end=round(w.end + offset, 3), language=language)
                for w in part.words
            ]
            texts.append(part.text)
        counts: dict[str, int] = {}
        for w in words:
            counts[w.language] = counts.get(w.language, 0) + 1
        return Transcript(words, " ".join(t for t in texts if t), max(counts, key=counts.get, default=runs[0][0]), 1.0)


def _speech_stretches(audio: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) samples of the stretches of speech whose language `switching` detects one by one."""
    stretches: list[list[int]] = []
    for region in get_speech_timestamps(audio):
        start, end = region["start"], region["end"]
        if stretches:
            last = stretches[-1]
            gap, length = (start - last[1]) / SAMPLE_RATE, (last[1] - last[0]) / SAMPLE_RATE
            if (gap < STRETCH_GAP_S or length < STRETCH_MIN_S) and (end - last[0]) / SAMPLE_RATE <= STRETCH_MAX_S:
                last[1] = end
                continue
        stretches.append([start, end])
    if len(stretches) > 1 and (stretches[-1][1] - stretches[-1][0]) / SAMPLE_RATE < STRETCH_MIN_S:
        stretches[-2][1] = stretches.pop()[1]  # a short last stretch joins the one before
    return [(start, end) for start, end in stretches]


def _speech_windows(audio: np.ndarray) -> list[np.ndarray]:
    """Up to DETECT_MAX_WINDOWS windows of the first speech in `audio`; its start when the VAD finds none."""
    window = DETECT_WINDOW_S * SAMPLE_RATE
    head = audio[: DETECT_SCAN_S * SAMPLE_RATE]
    chunks = get_speech_timestamps(head) if head.size else []
    speech = np.concatenate([head[c["start"] : c["end"]] for c in chunks]) if chunks else head
    if speech.size < SAMPLE_RATE // 2:  # too little speech to judge: listen to everything there is
        speech = audio[: window * DETECT_MAX_WINDOWS]
    if speech.size == 0:
        return [np.zeros(SAMPLE_RATE, dtype=np.float32)]
    windows = [speech[i : i + window] for i in range(0, min(speech.size, window * DETECT_MAX_WINDOWS), window)]
    return windows[:1] + [w for w in windows[1:] if w.size >= 5 * SAMPLE_RATE]  # a short tail says little
