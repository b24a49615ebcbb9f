"""Pre-recorded transcription: decode -> ASR per channel (through the scheduler) -> text features ->
Deepgram response. Every text feature is model-agnostic and works on `TimedWord`s."""

from __future__ import annotations

from dataclasses import dataclass, replace

from faster_whisper.vad import VadOptions, get_speech_timestamps

from opengram.engines.asr import SAMPLE_RATE, DecodeOptions, Transcript
from opengram.engines.registry import MULTI, ModelRegistry, ModelSpec, detection_candidates
from opengram.engines.scheduler import Scheduler
from opengram.speech import intelligence
from opengram.speech import response as wire
from opengram.speech.audio import decode
from opengram.speech.decoding import decode_options
from opengram.speech.diarize import Turn, assign_speakers, diarize
from opengram.speech.options import ListenOptions
from opengram.speech.postprocess import postprocess_runs
from opengram.speech.search import search
from opengram.speech.shape import alternative, tag_language, utterances_of, warnings_for
from opengram.speech.source import AudioSource
from opengram.speech.words import TimedWord, from_engine, tighten

# Speech regions for word timing: short silences count, little padding (faster-whisper's defaults are
# tuned for cutting long files into chunks, not for word boundaries).
WORD_VAD = VadOptions(threshold=0.5, min_silence_duration_ms=200, speech_pad_ms=60)

# Temperatures for alternatives after the first; a repeat of an earlier hypothesis is sampled again hotter.
ALTERNATIVE_TEMPERATURES = (0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class ListenResult:
    response: wire.ListenResponse
    specs: list[ModelSpec]
    duration: float
    channels: int
    tokens_in: int = 0  # words read by text intelligence
    tokens_out: int = 0


class ListenService:
    def __init__(
        self,
        registry: ModelRegistry,
        scheduler: Scheduler,
        *,
        beam_size: int,
        max_audio_seconds: float,
        text: Scheduler | None = None,
    ):
        self.registry = registry
        self.scheduler = scheduler
        self.text = text  # where post-processing that needs the text models runs
        self.beam_size = beam_size
        self.max_audio_seconds = max_audio_seconds

    def resolve(self, options: ListenOptions) -> list[ModelSpec]:
        """The model for each channel (`model=a:b` gives channel 0 `a`, channel 1 `b`, the rest the last)."""
        names = (options.model or "").split(":") if options.model else [None]
        return [self.registry.resolve(name, options.language, options.detect_language) for name in names]

    async def transcribe(
        self, source: AudioSource, options: ListenOptions, request_id: str, *, background: bool = False
    ) -> ListenResult:
        intelligence.check(options)
        specs = self.resolve(options)
        base = decode_options(options, self.beam_size)
        n_alternatives = options.alternatives
        diarizing = options.diarize or options.diarize_model is not None

        def job() -> tuple:
            # Decoding is CPU work too, so it runs inside the scheduler's bound, beside the model.
            audio = decode(
                source.file,
                encoding=options.encoding,
                sample_rate=options.sample_rate,
                channels=options.channels,
                max_seconds=self.max_audio_seconds,
            )
            tracks = list(audio.samples) if options.multichannel else [audio.mono()]
            results: list[tuple[ModelSpec, list[Transcript], list[tuple[float, float]], list[Turn] | None]] = []
            for index, samples in enumerate(tracks):
                spec = specs[min(index, len(specs) - 1)]
                engine = self.registry.engine(spec)  # loads on first use
                hypotheses = [engine.transcribe(samples, base)]
                for temperature in ALTERNATIVE_TEMPERATURES:
                    if len(hypotheses) >= n_alternatives:
                        break
                    # The language, detected or given, is settled by the first hypothesis (with `multi`,
                    # detected again stretch by stretch, so no part is decoded in another part's language).
                    settled = None if base.switching else hypotheses[0].language
                    candidate = engine.transcribe(samples, _with(base, temperature=temperature, language=settled))
                    if candidate.text not in {h.text for h in hypotheses}:
                        hypotheses.append(candidate)
                regions = [
                    (r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in get_speech_timestamps(samples, WORD_VAD)
                ]
                turns = diarize(samples) if diarizing else None
                results.append((spec, hypotheses, regions, turns))
            return audio, results

        audio, results = await self.scheduler.run(job, admit=not background)
        if self.text is not None and intelligence.needs_text(options):
            # Entity models and summaries are CPU work too: off the event loop, on the text worker.
            return await self.text.run(self._respond, source, options, request_id, audio, results, admit=False)
        return self._respond(source, options, request_id, audio, results)

    def _respond(self, source: AudioSource, options: ListenOptions, request_id: str, audio, results) -> ListenResult:
        channels: list[wire.ResultChannel] = []
        best_words: list[list[TimedWord]] = []
        all_words: list[list[list[TimedWord]]] = []
        languages: list[str] = []
        for _spec, hypotheses, regions, turns in results:
            processed = [
                postprocess_runs(tighten(from_engine(h.words), regions), options, h.language) for h in hypotheses
            ]
            if options.language == MULTI:  # words of a switching transcript already say their language
                processed = [tag_language(words, h.language) for words, h in zip(processed, hypotheses)]
            if turns is not None:
                for words in processed:
                    for w, (speaker, confidence) in zip(words, assign_speakers(words, turns)):
                        w.speaker, w.speaker_confidence = speaker, round(min(max(confidence, 0.0), 1.0), 4)
            detected = detection_candidates(options.detect_language)[0]
            best_words.append(processed[0])
            all_words.append(processed)
            languages.append(hypotheses[0].language or options.language)
            channels.append(
                wire.ResultChannel(
                    search=[
                        wire.SearchResult(query=q, hits=[wire.SearchHit(**vars(h)) for h in search(processed[0], q)])
                        for q in options.search
                    ]
                    or None,
                    alternatives=[alternative(words, options) for words in processed],
                    detected_language=hypotheses[0].language if detected else None,
                    language_confidence=round(hypotheses[0].language_probability, 4) if detected else None,
                )
            )
        used = list({spec.key: spec for spec, *_ in results}.values())
        extra = dict(e.partition(":")[::2] for e in options.extra) or None
        response = wire.ListenResponse(
            metadata=wire.ListenMetadata(
                request_id=request_id,
                sha256=source.sha256,
                created=wire.iso_now(),
                duration=round(audio.duration, 6),
                channels=len(channels),
                models=[s.uuid for s in used],
                model_info=wire.model_info(used),
                tags=options.tag or None,
                extra=extra,
                warnings=warnings_for(options) or None,
            ),
            results=wire.Results(
                channels=channels,
                utterances=utterances_of(best_words, options) if options.utterances else None,
            ),
        )
        tokens = (0, 0)
        if intelligence.needs_text(options):
            tokens = intelligence.attach(response, all_words, languages, options)
        return ListenResult(response, used, audio.duration, len(channels), *tokens)


def _with(options: DecodeOptions, **changes) -> DecodeOptions:
    return replace(options, **changes)
