"""Whisper on short windows, for live audio: cheap decodes of one speech segment each, batched across streams.

Whisper pads every call to a 30 s window, and on two CPU cores the encoder alone costs 0.4-0.8 s for it
whatever the length of the speech. CTranslate2's encoder accepts shorter inputs, and its cost falls
steeply with length (about 50-120 ms for a 10 s window). A bare truncation is not safe, though: without
the long tail of padding the decoder sometimes stops early, or repeats itself into the padding
(shared/models.md, "shorter encoder windows"). So every short decode here is checked before it is used:

- a token budget tied to the length of the audio (a decode that reaches it is a runaway),
- the compression ratio and a repeated n-gram at the end (repetition loops),
- Whisper's own average log-probability threshold,
- the words' aligned times against the speech the VAD heard: text that ends well before the speech ends
  was cut short, text that runs on past it was made up.

A final that fails a check is decoded again the way the batch path decodes it (the full 30 s window with
temperature fallback), so a guard costs time, never accuracy. An interim that fails is dropped: the next
one, or the final, replaces it.

Cross-stream batching: windows are bucketed to a few lengths; the items of one bucket are encoded one by
one (on CPU a batched encode costs more than the sum of single ones, measured) and their encoder outputs
stacked for one batched `generate`, which shares the decoder's per-step overhead. Knows nothing of Deepgram.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import ctranslate2
import numpy as np
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens, merge_punctuations

from opengram.engines.asr import SAMPLE_RATE, DecodeOptions, Transcript, WhisperEngine, Word
from opengram.engines.languages import ENGLISH, bcp47, whisper_language

FRAMES_PER_SECOND = 100
FULL_WINDOW = 3000
BUCKETS = (1000, 1500, 2000, 2500)  # short windows in mel frames (10, 15, 20, 25 s)
MIN_TAIL_S = 2.0  # padding a short window keeps after the audio
TOKENS_PER_SECOND = 5.0  # budget: fast English speech is about 4 tokens a second
TOKENS_SLACK = 10
COMPRESSION_RATIO = 2.4  # Whisper's own thresholds
LOG_PROB = -1.0
NO_SPEECH = 0.6
TRUNCATED_S = 0.8  # last word ends this long before the speech does: the decode stopped early
OVERRUN_S = 0.8  # last word ends this long after the speech does: words made up in the padding
SKIPPED_S = 1.0  # first word starts this long after the speech does: the decode left the first words out
SURE_SPEECH_S = 1.0  # VAD speech this long that Whisper hears as nothing is checked on the full window
PHRASE_WORDS = 4  # a phrase of this many words said twice in one segment is taken for a repetition loop
SHORT_SPEECH_S = 2.0
PREPEND = "\"'“¿([{-"
APPEND = "\"'.。,，!！?？:：”)]}、"


@dataclass
class Window:
    """One segment of one stream's audio to transcribe."""

    audio: np.ndarray  # 16 kHz mono float32
    speech: Sequence[tuple[float, float]]  # VAD speech regions, seconds from the start of `audio`
    options: DecodeOptions
    final: bool  # a final falls back to the full window when a check fails; an interim is dropped
    open_end: bool = False  # speech may go on past the end of `audio` (an interim of an open segment)
    encoded: np.ndarray | None = None  # the short window's encoder output, once computed


@dataclass
class WindowOutcome:
    transcript: Transcript | None  # None: an interim that failed its checks
    short: bool  # decoded on a short window
    fallback: str | None = None  # why a final fell back to the full window


def window_frames(seconds: float) -> int:
    """The bucket a segment of `seconds` decodes in; FULL_WINDOW when it needs the whole 30 s."""
    need = int(math.ceil((seconds + MIN_TAIL_S) * FRAMES_PER_SECOND))
    for frames in BUCKETS:
        if need <= frames:
            return frames
    return FULL_WINDOW


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def _repeats_at_end(tokens: Sequence[int], times: int = 4, longest: int = 6) -> bool:
    for n in range(1, longest + 1):
        if len(tokens) < times * n:
            break
        tail = list(tokens[-n:])
        if all(list(tokens[len(tokens) - (k + 1) * n : len(tokens) - k * n]) == tail for k in range(1, times)):
            return True
    return False


def _repeated_phrase(text: str, window: Window) -> bool:
    """The short-window failure that the other checks miss: the decoder runs on into the padding by saying
    a phrase again ("We're just saying some words. We're just saying some words."). People rarely repeat
    four words in one breath; a short segment rarely holds the same word twice in a row ("3 3")."""
    words = [w for w in (t.strip(".,?!;:\"'-").lower() for t in text.split()) if w]
    n = PHRASE_WORDS
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if len(grams) != len(set(grams)):
        return True
    speech = sum(b - a for a, b in window.speech)
    return speech < SHORT_SPEECH_S and any(a == b for a, b in zip(words, words[1:]))


class LiveDecoder:
    """Short-window decoding for one engine. Blocking; call from the scheduler's worker thread."""

    def __init__(self, engine: WhisperEngine):
        self.engine = engine
        self.model = engine.model  # faster_whisper.WhisperModel
        self._tokenizers: dict[str, Tokenizer] = {}

    def _language(self, options: DecodeOptions) -> str:
        """The language asked for (Whisper code); English on an English-only model."""
        if not self.engine.multilingual:
            return ENGLISH
        return whisper_language(options.language) or ENGLISH

    def _language_of(self, w: Window, frames: int) -> str:
        """The window's language: the one asked for, or with none given (`language=multi`) the one Whisper
        hears in this segment, so a stream may change language from one segment to the next."""
        if not self.engine.multilingual or w.options.language is not None:
            return self._language(w.options)
        # CTranslate2 detects from encoder output too: the window is encoded once, for this and the decode.
        found = self.model.model.detect_language(ctranslate2.StorageView.from_array(self._encode(w, frames)))
        return found[0][0][0].strip("<|>")  # the likeliest, as "<|es|>"

    def _encode(self, w: Window, frames: int) -> np.ndarray:
        """The window's encoder output on a `frames` window, computed once per window."""
        if w.encoded is None:
            features = self.model.feature_extractor(w.audio)[:, :frames]
            features = np.pad(features, ((0, 0), (0, frames - features.shape[1])))
            out = self.model.model.encode(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], np.float32))
            )
            w.encoded = np.array(out)
        return w.encoded

    def _tokenizer(self, language: str) -> Tokenizer:
        tok = self._tokenizers.get(language)
        if tok is None:
            tok = Tokenizer(
                self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language=language
            )
            self._tokenizers[language] = tok
        return tok

    def decode(self, windows: Sequence[Window]) -> list[WindowOutcome]:
        outcomes: list[WindowOutcome | None] = [None] * len(windows)
        groups: dict[tuple, list[int]] = {}
        for i, w in enumerate(windows):
            seconds = w.audio.size / SAMPLE_RATE
            frames = window_frames(seconds)
            if frames >= FULL_WINDOW or not w.speech:
                continue  # long segments take the batch path; silence needs no model
            key = (
                frames,
                self._language_of(w, frames),
                w.options.hotwords,
                w.options.initial_prompt,
                w.options.beam_size,
            )
            groups.setdefault(key, []).append(i)
        for (frames, language, hotwords, initial_prompt, beam_size), members in groups.items():
            results = self._decode_group(
                [windows[i] for i in members], frames, language, hotwords, initial_prompt, beam_size
            )
            for i, result in zip(members, results):
                outcomes[i] = result
        for i, w in enumerate(windows):
            if outcomes[i] is None and not w.speech:
                outcomes[i] = WindowOutcome(Transcript([], "", bcp47(self._language(w.options)), 1.0), short=True)
            elif outcomes[i] is None:
                outcomes[i] = WindowOutcome(self.engine.transcribe(w.audio, w.options), short=False, fallback="long")
            elif outcomes[i].transcript is None and w.final:
                why = outcomes[i].fallback
                outcomes[i] = WindowOutcome(self.engine.transcribe(w.audio, w.options), short=False, fallback=why)
        return outcomes  # type: ignore[return-value]

    def _decode_group(
        self,
        windows: list[Window],
        frames: int,
        language: str,
        hotwords: str | None,
        initial_prompt: str | None,
        beam_size: int,
    ) -> list[WindowOutcome]:
        model = self.model
        tokenizer = self._tokenizer(language)
        encoded = [self._encode(w, frames) for w in windows]
        batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.concatenate(encoded, axis=0)))
        previous = tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt else []
        prompt = model.get_prompt(tokenizer, previous, without_timestamps=True, hotwords=hotwords)
        budgets = [int(TOKENS_PER_SECOND * w.audio.size / SAMPLE_RATE) + TOKENS_SLACK for w in windows]
        results = model.model.generate(
            batch,
            [list(prompt) for _ in windows],
            beam_size=beam_size,
            max_length=min(len(prompt) + max(budgets) + 1, model.max_length),
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            return_scores=True,
            return_no_speech_prob=True,
        )
        outcomes = []
        for i, (w, result, budget) in enumerate(zip(windows, results, budgets)):
            tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
            avg_logprob = result.scores[0] * len(result.sequences_ids[0]) / (len(result.sequences_ids[0]) + 1)
            text = tokenizer.decode(tokens).strip()
            lang = bcp47(language)
            silent = not tokens or (result.no_speech_prob > NO_SPEECH and avg_logprob < LOG_PROB)
            if silent and sum(b - a for a, b in w.speech) < SURE_SPEECH_S:
                # Silence, as Whisper judges it.
                outcomes.append(WindowOutcome(Transcript([], "", lang, 1.0), short=True))
                continue
            why = None
            if silent:
                why = "no words for speech"  # the decoder stopped at once, though the VAD heard a second or more
            elif len(tokens) >= budget:
                why = "budget"
            elif _compression_ratio(text) > COMPRESSION_RATIO or _repeats_at_end(tokens) or _repeated_phrase(text, w):
                why = "repetition"
            elif avg_logprob < LOG_PROB:
                why = "log-probability"
            words: list[Word] = []
            if why is None and tokens:
                words = self._align(tokenizer, tokens, encoded[i], w.audio.size // (SAMPLE_RATE // FRAMES_PER_SECOND))
                why = self._check_timing(words, w)
            if why is not None:
                outcomes.append(WindowOutcome(None, short=True, fallback=why))
            else:
                outcomes.append(WindowOutcome(Transcript(words, text, lang, 1.0), short=True))
        return outcomes

    def _align(
        self, tokenizer: Tokenizer, tokens: list[int], encoder_output: np.ndarray, num_frames: int
    ) -> list[Word]:
        storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(encoder_output))
        alignment = self.model.find_alignment(tokenizer, [tokens], storage, num_frames)[0]
        merge_punctuations(alignment, PREPEND, APPEND)
        words = []
        for timing in alignment:
            if timing["word"]:
                words.append(
                    Word(
                        timing["word"],
                        round(float(timing["start"]), 3),
                        round(float(timing["end"]), 3),
                        float(timing["probability"]),
                    )
                )
        _clip_long_words(words)
        return words

    @staticmethod
    def _check_timing(words: list[Word], w: Window) -> str | None:
        if not words:
            return "no words"
        if words[0].start > w.speech[0][0] + SKIPPED_S:
            return "skipped"  # the decoder left out the window's first words (it began mid-sentence)
        speech_end = w.speech[-1][1]
        last = words[-1].end
        if not w.open_end and last < speech_end - TRUNCATED_S:
            return "truncated"
        if last > speech_end + OVERRUN_S:
            return "overrun"
        return None


def _clip_long_words(words: list[Word]) -> None:
    """Alignment stretches a word at a sentence boundary over the pause beside it; keep such words within
    twice the median word length, as faster-whisper does."""
    durations = [w.end - w.start for w in words if w.end > w.start]
    if not durations:
        return
    longest = 2 * min(0.7, float(np.median(durations)))
    for i, w in enumerate(words):
        if w.end - w.start <= longest:
            continue
        if w.text.strip()[-1:] in ".?!":
            words[i] = Word(w.text, w.start, round(w.start + longest, 3), w.probability)
        elif i > 0 and words[i - 1].text.strip()[-1:] in ".?!":
            words[i] = Word(w.text, round(w.end - longest, 3), w.end, w.probability)
