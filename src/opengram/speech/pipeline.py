"""Pre-recorded transcription: decode -> ASR (through the scheduler) -> Deepgram response."""

from __future__ import annotations

from dataclasses import dataclass

from opengram.engines.asr import DecodeOptions
from opengram.engines.registry import ModelRegistry, ModelSpec
from opengram.engines.scheduler import Scheduler
from opengram.speech import response as wire
from opengram.speech.audio import decode
from opengram.speech.options import ListenOptions
from opengram.speech.source import AudioSource


@dataclass(frozen=True)
class Transcription:
    response: wire.ListenResponse
    spec: ModelSpec
    duration: float
    channels: int


class ListenService:
    def __init__(self, registry: ModelRegistry, scheduler: Scheduler, *, beam_size: int, max_audio_seconds: float):
        self.registry = registry
        self.scheduler = scheduler
        self.beam_size = beam_size
        self.max_audio_seconds = max_audio_seconds

    async def transcribe(self, source: AudioSource, options: ListenOptions, request_id: str) -> Transcription:
        spec = self.registry.resolve(options.model, options.language)
        decode_options = DecodeOptions(language=options.language.split("-")[0], beam_size=self.beam_size)

        def job():
            # Decoding is CPU work too, so it runs inside the scheduler's bound, beside the model.
            audio = decode(
                source.file,
                encoding=options.encoding,
                sample_rate=options.sample_rate,
                channels=options.channels,
                max_seconds=self.max_audio_seconds,
            )
            engine = self.registry.engine(spec)  # loads on first use
            return audio, engine.transcribe(audio.mono(), decode_options)

        audio, transcript = await self.scheduler.run(job)
        alternative = wire.alternative(transcript, punctuated=options.punctuated)
        response = wire.ListenResponse(
            metadata=wire.metadata(
                request_id=request_id,
                sha256=source.sha256,
                duration=audio.duration,
                channels=1,
                spec=spec,
                tags=options.tag,
            ),
            results=wire.Results(channels=[wire.ResultChannel(alternatives=[alternative])]),
        )
        return Transcription(response, spec, audio.duration, audio.channels)
