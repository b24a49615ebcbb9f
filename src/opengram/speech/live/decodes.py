"""The two decodes a live stream asks the schedule for: the final of a cut segment, and an interim of the
segment still open. Each reads what it needs of its stream through `DecodingStream`, so the stream (which
creates them) and the schedule (which runs them) never import each other."""

from __future__ import annotations

from typing import Any, Protocol

from opengram.engines.asr import DecodeOptions
from opengram.engines.live_decode import Window, WindowOutcome
from opengram.speech.live.diarize import OnlineSpeakers
from opengram.speech.live.results import ResultBuilder
from opengram.speech.live.schedule import DecodeJob, ScheduledStream
from opengram.speech.live.segments import RATE, Cut, Track
from opengram.speech.options import ListenOptions
from opengram.speech.postprocess import postprocess
from opengram.speech.words import TimedWord


class DecodingStream(ScheduledStream, Protocol):
    """What a decode reads of its stream (`LiveStream`; `bench/stream_replay.py` has its own)."""

    options: ListenOptions
    decode_options: DecodeOptions
    builder: ResultBuilder

    def speakers(self, channel: int) -> OnlineSpeakers | None: ...

    def track(self, channel: int) -> Track | None: ...


class FinalDecode(DecodeJob):
    stream: DecodingStream

    def __init__(self, stream: DecodingStream, cut: Cut):
        super().__init__(stream, cut.channel, final=True)
        self.cut = cut
        self.placed: list[TimedWord] = []  # the words before text features, for a later merge (no_delay)
        self.language = "en"
        self.options = stream.options  # as they were when the segment was cut (a Configure applies to later ones)
        assert cut.audio is not None
        self.window = Window(cut.audio, cut.speech, stream.decode_options, final=True)

    def finish(self, outcome: WindowOutcome | None) -> dict[str, Any]:
        cut = self.cut
        words: list[TimedWord] = []
        if outcome is not None:
            self.placed = self.stream.builder.placed(
                outcome, cut.audio_start, cut.speech, (cut.start, cut.end), cut.keep_from
            )
            self.language = outcome.transcript.language if outcome.transcript else "en"
            words = postprocess(self.placed, self.options, self.language) if self.placed else []
        speakers = self.stream.speakers(cut.channel)
        if speakers is not None and words:
            words = speakers.label(cut.audio, cut.speech, words, cut.audio_start / RATE)
        return self.stream.builder.results(
            cut.channel,
            cut.start,
            cut.end,
            words,
            is_final=True,
            speech_final=cut.speech_final,
            from_finalize=cut.from_finalize,
            language=self.language,
            options=self.options,
        )


class InterimDecode(DecodeJob):
    stream: DecodingStream

    def __init__(self, stream: DecodingStream, channel: int):
        super().__init__(stream, channel, final=False)
        self.snapshot: tuple | None = None

    def prepare(self) -> Window | None:
        track = self.stream.track(self.channel)
        self.snapshot = track.interim_window(self.stream.decode_options) if track is not None else None
        return self.snapshot[0] if self.snapshot else None

    def finish(self, outcome: WindowOutcome | None) -> tuple[int, dict[str, Any]] | None:
        if outcome is None or outcome.transcript is None or self.snapshot is None:
            return None
        window, start, end, audio_start, keep_from, generation = self.snapshot
        words = self.stream.builder.words(outcome, audio_start, list(window.speech), (start, end), keep_from)
        speakers = self.stream.speakers(self.channel)
        if speakers is not None and words:
            words = speakers.label(window.audio, window.speech, words, audio_start / RATE, final=False)
        message = self.stream.builder.results(
            self.channel, start, end, words, is_final=False, language=outcome.transcript.language
        )
        return generation, message
