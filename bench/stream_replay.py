"""Streamed WER without the clock: replay recordings through the live segmentation and decoder, in process.

    .venv/bin/python bench/stream_replay.py [--first 0 3 7] [--seconds 60] [--set POST_PAD_S=0.5] [--verbose]

`bench/streaming.py` measures the real thing (sockets, real-time pace, many streams); this replays the same
playlists through the same code path, the server's `Track` (VAD segmentation) and `LiveDecoder` (short
windows, guards), with no pacing and no interims, so one change to the decode schedule is
scored in a minute rather than ten. Prints streamed-final WER against batch WER of the same recordings
(words-only normaliser, as the test suite's).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from streaming import RATE, corpus, playlist, split_words  # noqa: E402  bench/streaming.py

from opengram.config import Settings  # noqa: E402
from opengram.speech.options import ListenOptions  # noqa: E402


class Replay:
    """What a stream's decodes need of it (`decodes.DecodingStream`), without a socket or an event loop:
    hypotheses run at once when due (no clock), so their commits are scored too."""

    def __init__(self, options: ListenOptions, spec, decoder, beam_size: int = 1):
        from dataclasses import replace

        from opengram.speech.decoding import decode_options
        from opengram.speech.live.results import ResultBuilder
        from opengram.speech.live.segments import StreamConfig, Track

        self.options = options
        self.config = StreamConfig.of(options)
        self.interim = self.config.interim
        self.tracks = [Track(0, self.config)]
        self.hypotheses: dict = {}
        self.commits: dict = {}
        self.events: list = []
        plain = options.model_copy(update={"filler_words": False, "detect_language": []})
        self.decode_options = replace(decode_options(plain, beam_size), initial_prompt=None)  # as LiveStream's
        self.builder = ResultBuilder(options, spec, "replay", lambda: 1)
        self.decoder = decoder
        self.stats: dict[str, int] = {}

    def speakers(self, channel: int):
        return None

    def track(self, channel: int):
        return self.tracks[channel]

    def emit(self, event) -> None:
        self.events.append(event)

    def hypothesis(self) -> None:
        """The open segment's decode, at once: it may commit words as a final (commit.py)."""
        from opengram.speech.live.decodes import InterimDecode

        job = InterimDecode(self, 0)
        window = job.prepare()
        if window is not None:
            job.finish(self.decoder.decode([window])[0])
            self.stats["hypotheses"] = self.stats.get("hypotheses", 0) + 1

    def decode_final(self, cut) -> dict:
        from opengram.speech.live.decodes import FinalDecode

        job = FinalDecode(self, cut)
        outcome = self.decoder.decode([job.prepare()])[0]
        why = outcome.fallback or ("short" if outcome.short else "long")
        self.stats[why] = self.stats.get(why, 0) + 1
        return job.finish(outcome)


def replay(stream: Replay, audio: np.ndarray) -> list[tuple[float, float, str]]:
    """Every final word of one stream, fed in 50 ms chunks; a hypothesis runs as soon as it is due."""
    from opengram.speech.live.segments import Cut, InterimDue

    track = stream.tracks[0]
    step = int(0.05 * RATE)
    for i in range(0, audio.size, step):
        track.append(audio[i : i + step], stream.emit)
        if any(isinstance(e, InterimDue) for e in stream.events):
            stream.events = [e for e in stream.events if not isinstance(e, InterimDue)]
            stream.hypothesis()
    tail = track.flush(from_finalize=False)
    if tail is not None:
        stream.events.append(tail)
    words = []
    for cut in stream.events:
        if not isinstance(cut, Cut) or (cut.audio is None and cut.message is None):
            continue
        stream.stats["commits"] = stream.stats.get("commits", 0) + int(cut.message is not None)
        message = cut.message or stream.decode_final(cut)
        words += [(w["start"], w["end"], w["punctuated_word"]) for w in message["channel"]["alternatives"][0]["words"]]
    return words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", type=int, nargs="+", default=[0, 3, 7, 11], help="playlists starting at these recordings")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--gap", type=float, default=1.5)
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="override a constant of opengram.speech.live.segments, .commit or engines.live_decode, e.g. POST_PAD_S=0.5")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    from opengram.engines import live_decode
    from opengram.speech.live import commit as live_commit
    from opengram.speech.live import segments as live_segments

    for item in args.set:
        name, _, value = item.partition("=")
        module = next(m for m in (live_segments, live_commit, live_decode) if hasattr(m, name))
        setattr(module, name, type(getattr(module, name))(value))

    import jiwer

    from opengram.app import build_registry
    from opengram.engines.live_decode import LiveDecoder
    from opengram.speech.postprocess import postprocess
    from opengram.speech.shape import text_of
    from opengram.speech.words import from_engine
    from tests.audio import normalize

    registry = build_registry(Settings())
    spec = registry.default
    engine = registry.engine(spec)
    decoder = LiveDecoder(engine)
    options = ListenOptions.model_validate({"punctuate": "true", "encoding": "linear16", "sample_rate": "16000"})
    clips = corpus()
    refs = {name: text for name, _, text in clips}
    batch_cache: dict[str, str] = {}
    streamed_all, batch_all, ref_all = [], [], []
    for first in args.first:
        play = playlist(clips, first, args.seconds, args.gap)
        stream = Replay(options, spec, decoder)
        words = replay(stream, play.audio.astype(np.float32) / 32768)
        texts = split_words(play, words)
        for name, a, b in play.spans:
            if name not in batch_cache:
                samples = play.audio[int(a * RATE) : int(b * RATE)].astype(np.float32) / 32768
                transcript = engine.transcribe(samples, stream.decode_options)
                words = postprocess(from_engine(transcript.words), options, transcript.language)
                batch_cache[name] = text_of(words, punctuated=True)  # as POST /v1/listen writes it
            ref_all.append(normalize(refs[name]))
            streamed_all.append(normalize(texts[name]) or "-")
            batch_all.append(normalize(batch_cache[name]) or "-")
            if args.verbose and streamed_all[-1] != batch_all[-1]:
                ws, wb = jiwer.wer(ref_all[-1], streamed_all[-1]), jiwer.wer(ref_all[-1], batch_all[-1])
                print(f"{name}: streamed {ws * 100:.1f}% batch {wb * 100:.1f}%\n  streamed: {texts[name]}\n  batch:    {batch_cache[name]}")
        print(f"playlist {first}: decodes {stream.stats}")
    s, b = jiwer.wer(ref_all, streamed_all), jiwer.wer(ref_all, batch_all)
    print(f"streamed {s * 100:.2f}%  batch {b * 100:.2f}%  gap {(s - b) * 100:+.2f} points  ({len(ref_all)} recordings)")


if __name__ == "__main__":
    main()
