"""The two decodes a live stream asks the schedule for: the final of a cut segment, and an interim of the
segment still open. Each reads what it needs of its stream through `DecodingStream`, so the stream (which
creates them) and the schedule (which runs them) never import each other."""

from __future__ import annotations

from typing import Any, Protocol

from opengram.engines.asr import DecodeOptions
from opengram.engines.live_decode import Window, WindowOutcome
from opengram.speech.live.commit import Commit, committed
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
    interim: bool  # whether the client asked for interim results
    # Per channel: the open segment's last hypothesis (generation, placed words), and the last commit
    # (boundary sample, its words). Read and written by decodes, on the model thread only.
    hypotheses: dict[int, tuple[int, list[TimedWord] | None]]
    commits: dict[int, tuple[int, list[TimedWord]]]

    def speakers(self, channel: int) -> OnlineSpeakers | None: ...

    def track(self, channel: int) -> Track | None: ...

    def emit(self, event: Any) -> None: ...


def committed_before(stream: DecodingStream, channel: int, start: int) -> list[TimedWord] | None:
    """The words of the commit that a span beginning at `start` follows, if one does (model thread)."""
    boundary, words = stream.commits.get(channel, (-1, []))
    return words if boundary == start else None


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
                outcome,
                cut.audio_start,
                cut.speech,
                (cut.start, cut.end),
                cut.keep_from,
                committed_before(self.stream, cut.channel, cut.start),
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

    def finish(self, outcome: WindowOutcome | None) -> tuple[int, dict[str, Any] | None] | None:
        """(the generation the interim belongs to, the interim message, or None when the client asked for
        none), after committing the words this hypothesis settles (commit.py); None: nothing to show."""
        if outcome is None or outcome.transcript is None or self.snapshot is None:
            return None
        window, start, end, audio_start, keep_from, generation = self.snapshot
        stream, builder, language = self.stream, self.stream.builder, outcome.transcript.language
        after = committed_before(stream, self.channel, start)
        placed = builder.placed(outcome, audio_start, list(window.speech), (start, end), keep_from, after)
        previous = stream.hypotheses.get(self.channel)
        prior = previous[1] if previous is not None and previous[0] == generation else None
        stream.hypotheses[self.channel] = (generation, placed)
        commit = committed(prior, placed, end / RATE, (end - start) / RATE)
        if commit is not None and self._commit(commit, window, start, end, audio_start, generation, language):
            generation, start, placed = generation + 1, self._boundary(commit, end), commit.rest
            stream.hypotheses[self.channel] = (generation, None)
        if not stream.interim:
            return generation, None
        words = builder.words_of(placed, language)
        speakers = stream.speakers(self.channel)
        if speakers is not None and words:
            words = speakers.label(window.audio, window.speech, words, audio_start / RATE, final=False)
        return generation, builder.results(self.channel, start, end, words, is_final=False, language=language)

    @staticmethod
    def _boundary(commit: Commit, end: int) -> int:
        return min(int(round(commit.boundary * RATE)), end)

    def _commit(
        self, commit: Commit, window: Window, start: int, end: int, audio_start: int, generation: int, language: str
    ) -> bool:
        """The committed words as a final, handed to the track, which cuts the segment after them (unless it
        was cut meanwhile)."""
        stream = self.stream
        boundary = self._boundary(commit, end)
        options = stream.options
        words = postprocess(commit.words, options, language)
        speakers = stream.speakers(self.channel)
        if speakers is not None and words:
            offset = audio_start / RATE
            speech = [(a, b) for a, b in window.speech if a < boundary / RATE - offset]
            words = speakers.label(window.audio[: boundary - audio_start], speech, words, offset)
        message = stream.builder.results(
            self.channel, start, boundary, words, is_final=True, language=language, options=options
        )
        cut = Cut(self.channel, start, boundary, None, message=message, placed=commit.words, language=language)
        track = stream.track(self.channel)
        if track is None or not track.commit(cut, generation, stream.emit):
            return False
        stream.commits[self.channel] = (boundary, commit.words)
        return True
