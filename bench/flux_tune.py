"""Fit Flux's end-of-turn model on the tuning split of shared/audio, and replay recordings through the turn
machine without a clock.

    .venv/bin/python bench/flux_tune.py fit [--json /tmp/flux_pauses.json]
    .venv/bin/python bench/flux_tune.py replay [--split tuning|held_out] [--gap 2.0] [--eager 0.4] [--delay 0.25]

`fit` replays each tuning turn alone (0.3 s of silence, the turn, 3 s of silence) through the server's own
code (`FluxAudio` VAD, `TurnMachine`, `TurnDecode` on the `LiveDecoder`) with turn ends switched off, and
records every pause the machine decoded as a candidate end: the decoder's `Evidence` (p_end, its
punctuation, the last word), how long the pause really lasted, and whether it was the turn's end. Then:

- the text prior: a logistic regression of "this pause ends the turn" on logit(p_end) and the
  continuation-word flag, one sample per pause (Newton's method, a little L2);
- the within-turn silence: the pauses that did not end their turn, fitted as an exponential tail past
  the candidate delay (maximum likelihood: the mean excess length).

It prints the constants to paste into `speech/live/turns/model.py`. `replay` plays a split's turns as one
conversation (`--gap` seconds between turns) through the machine at the model's defaults, decodes
delivered `--delay` seconds of audio after they are asked for (a stand-in for decode time), and counts
false ends (an EndOfTurn inside a reference turn), missed ends (a reference turn end with no EndOfTurn
before the next turn) and the audio-time latency from the turn's last word to Eager/EndOfTurn.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flux_corpus as corpus  # noqa: E402

from opengram.engines.asr import WhisperEngine  # noqa: E402
from opengram.engines.live_decode import LiveDecoder  # noqa: E402
from opengram.engines.registry import bundled_tiny_en  # noqa: E402
from opengram.engines.vad import FRAME  # noqa: E402
from opengram.speech.live import results as live_results  # noqa: E402
from opengram.speech.decoding import decode_options  # noqa: E402
from opengram.speech.live.turns import machine as machine_  # noqa: E402
from opengram.speech.live.turns.audio import FluxAudio  # noqa: E402
from opengram.speech.live.turns.machine import Thresholds, TurnMachine  # noqa: E402
from opengram.speech.live.turns.model import DEFAULT, Evidence, TurnModel, _logit  # noqa: E402
from opengram.speech.live.turns.options import FluxOptions  # noqa: E402
from opengram.speech.live.turns.session import TurnDecode  # noqa: E402
from opengram.speech.words import from_engine, tighten  # noqa: E402

RATE = corpus.RATE
CHUNK = int(0.08 * RATE)


class Replay:
    """A FluxSession without threads, sockets or clock: frames and decodes in audio order."""

    def __init__(self, engine, decoder, thresholds: Thresholds, model: TurnModel = DEFAULT, *, delay_s: float = 0.0,
                 interims: bool = True):  # fmt: skip
        self.options = FluxOptions(model="flux-general-en", thresholds=thresholds)
        self.listen = self.options.listen_options()
        self.decode_options = replace(decode_options(self.listen, 1), initial_prompt=None)
        self.spec = bundled_tiny_en()
        self.builder = live_results.ResultBuilder(self.listen, self.spec, "replay", lambda: 1)
        self.audio = FluxAudio()
        self.machine = TurnMachine(thresholds, model)
        self._engine, self.decoder = engine, decoder
        self.delay = int(delay_s * RATE)
        self.interims = interims
        self.pending: list[tuple[int, object, object]] = []  # (due sample, request, result)
        self.candidates: list[tuple[object, object]] = []  # (request, Decoded)
        self.messages: list[dict] = []
        self.stats: Counter[str] = Counter()  # TurnDecode's bookkeeping, as on a FluxSession
        self.timings: list[tuple[float, float]] = []

    def engine(self):
        return self._engine

    def feed(self, x: np.ndarray) -> None:
        for i in range(0, x.size, CHUNK):
            flags = self.audio.append(x[i : i + CHUNK])
            for flag in flags:
                self.machine.frames([flag])
                self._pump()

    def _pump(self) -> None:
        m = self.machine
        while m.requests:
            request = m.requests.pop(0)
            if request.kind == "interim" and not self.interims:
                m.decoded(request, None)
                continue
            job = TurnDecode(self, request)  # type: ignore[arg-type]
            window = job.prepare()
            outcome = self.decoder.decode([window])[0] if window is not None else None
            result = job.finish(outcome)
            if request.kind != "interim":
                self.candidates.append((request, result))
            self.pending.append((m.now + self.delay, request, result))
        due = [p for p in self.pending if p[0] <= m.now]
        self.pending = [p for p in self.pending if p[0] > m.now]
        for _, request, result in due:
            m.decoded(request, result)
        self.messages += m.out
        m.out = []
        if m.requests:
            self._pump()

    def close(self) -> None:
        while self.pending:
            self.machine.frames([False])
            self._pump()


def load():
    engine = WhisperEngine(bundled_tiny_en().path, cpu_threads=2)
    return engine, LiveDecoder(engine)


def last_word_end(engine, x: np.ndarray) -> float:
    """Where the turn's last word ends, as batch transcription places it (clipped to the VAD's speech)."""
    from opengram.engines.asr import DecodeOptions

    flags = FluxAudio().append(x)
    regions, k = [], 0
    while k < flags.size:
        if flags[k]:
            j = k
            while j < flags.size and flags[j]:
                j += 1
            regions.append((k * FRAME / RATE, j * FRAME / RATE))
            k = j
        else:
            k += 1
    words = tighten(from_engine(engine.transcribe(x, DecodeOptions()).words), regions)
    return words[-1].end if words else (regions[-1][1] if regions else 0.0)


# --- fit ---


def pauses(engine, decoder, turns) -> list[dict]:
    rows = []
    never = Thresholds(eot=1.0, eager=None, timeout_ms=60000)
    for turn in turns:
        lead = np.zeros(int(0.3 * RATE), np.float32)
        replay = Replay(engine, decoder, never, interims=False)
        replay.feed(np.concatenate([lead, turn.audio, np.zeros(3 * RATE, np.float32)]))
        replay.close()
        flags = replay.audio.speech.get(0, replay.audio.frames)
        onsets = [k * FRAME for k in range(1, flags.size) if flags[k] and not flags[k - 1]]
        last = max(k for k in range(flags.size) if flags[k]) * FRAME + FRAME
        for request, result in replay.candidates:
            ev = result.evidence if result is not None else None
            if ev is None:
                continue
            nxt = next((o for o in onsets if o > request.speech_end), None)
            rows.append({
                "turn": turn.name, "at": request.speech_end / RATE, "end": request.speech_end >= last,
                "pause": (nxt - request.speech_end) / RATE if nxt is not None else None,
                "p_end": ev.p_end, "mark": ev.mark, "last_word": ev.last_word, "words": ev.words,
                "continuation": ev.continuation, "text": " ".join(w.punctuated for w in result.words)[-60:],
            })  # fmt: skip
        print(f"{turn.name}: {sum(1 for r in rows if r['turn'] == turn.name)} pauses", file=sys.stderr)
    return rows


def logistic(X: np.ndarray, y: np.ndarray, l2: float = 0.1) -> np.ndarray:
    w = np.zeros(X.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (p - y) + l2 * np.r_[0, w[1:]]
        hess = X.T @ (X * (p * (1 - p))[:, None]) + l2 * np.diag(np.r_[0, np.ones(X.shape[1] - 1)])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit(rows: list[dict]) -> TurnModel:
    X = np.array([[1.0, _logit(r["p_end"]), float(r["continuation"])] for r in rows])
    y = np.array([float(r["end"]) for r in rows])
    w = logistic(X, y)
    inner = [r["pause"] for r in rows if not r["end"] and r["pause"] is not None]
    start = machine_.CANDIDATE_S
    scale = float(np.mean([max(p - start, 0.0) for p in inner])) if inner else 0.35
    model = TurnModel(bias=float(w[0]), w_p_end=float(w[1]), w_continuation=float(w[2]), within_scale_s=scale,
                      within_from_s=start)  # fmt: skip
    ends, pauses_ = int(y.sum()), len(rows) - int(y.sum())
    print(f"{len(rows)} pauses: {ends} turn ends, {pauses_} inside turns; within-turn pause lengths (s): "
          f"median {np.median(inner):.2f}, p90 {np.percentile(inner, 90):.2f}, max {max(inner):.2f}")  # fmt: skip
    print(f"PRIOR_BIAS = {w[0]:.3f}\nPRIOR_P_END = {w[1]:.3f}\nPRIOR_CONTINUATION = {w[2]:.3f}\n"
          f"WITHIN_SCALE_S = {scale:.3f}\nWITHIN_FROM_S = {start}")  # fmt: skip
    for mark in ("final", "comma", ""):
        sel = [r for r in rows if r["mark"] == mark]
        if sel:
            print(f"  mark {mark or 'none'!r}: {len(sel)} pauses, {sum(r['end'] for r in sel)} ends, "
                  f"median p_end {np.median([r['p_end'] for r in sel]):.2f}")  # fmt: skip
    return model


# --- replay ---


def replay_conversation(engine, decoder, turns, gap_s: float, thresholds: Thresholds, model: TurnModel, delay_s: float):
    conv = corpus.conversation(turns, gap_s)
    replay = Replay(engine, decoder, thresholds, model, delay_s=delay_s)
    replay.feed(conv.audio)
    replay.close()
    return conv, replay.messages


def score(engine, conv, messages) -> dict:
    ends = [m for m in messages if m.get("event") == "EndOfTurn"]
    eagers = [m for m in messages if m.get("event") == "EagerEndOfTurn"]
    false_ends, missed, lat_eot, lat_eager = 0, 0, [], []
    for i, (turn, start, end) in enumerate(conv.spans):
        word_end = start + last_word_end(engine, turn.audio)
        following = conv.spans[i + 1][1] if i + 1 < len(conv.spans) else math.inf
        inside = [m for m in ends if start < m["audio_window_end"] < word_end - 0.05]
        false_ends += len(inside)
        closing = [m for m in ends if word_end - 0.05 <= m["audio_window_end"] < following]
        if closing:
            lat_eot.append(closing[0]["audio_window_end"] - word_end)
            eager = [m for m in eagers if word_end - 0.05 <= m["audio_window_end"] <= closing[0]["audio_window_end"]]
            if eager:
                lat_eager.append(eager[-1]["audio_window_end"] - word_end)
        else:
            missed += 1
    return {"turns": len(conv.spans), "false_ends": false_ends, "missed": missed, "eot": lat_eot, "eager": lat_eager}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fit", "replay"])
    parser.add_argument("--json", type=Path, help="fit: cache of the pauses (read if it exists)")
    parser.add_argument("--split", default="tuning", choices=["tuning", "held_out"])
    parser.add_argument("--gap", type=float, default=2.0)
    parser.add_argument("--eot", type=float, default=0.7)
    parser.add_argument("--eager", type=float, default=None)
    parser.add_argument("--delay", type=float, default=0.25)
    args = parser.parse_args()
    engine, decoder = load()
    if args.command == "fit":
        if args.json and args.json.exists():
            rows = json.loads(args.json.read_text())
        else:
            rows = pauses(engine, decoder, corpus.turns(corpus.TUNING))
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1))
        for r in rows:
            print(f"  {r['turn']:32} {r['at']:6.2f} end={int(r['end'])} pause={r['pause'] if r['pause'] is None else round(r['pause'], 2)!s:5} "
                  f"p_end={r['p_end']:.2f} {r['mark'] or '-':5} {r['last_word']:10} …{r['text'][-40:]}")  # fmt: skip
        fit(rows)
        return
    split = corpus.TUNING if args.split == "tuning" else corpus.HELD_OUT
    turns = corpus.turns(split)
    th = Thresholds(eot=args.eot, eager=args.eager)
    conv, messages = replay_conversation(engine, decoder, turns, args.gap, th, DEFAULT, args.delay)
    result = score(engine, conv, messages)
    pct = lambda v, q: f"{np.percentile(v, q) * 1000:.0f} ms" if v else "-"  # noqa: E731
    print(f"{args.split}: {result['turns']} turns, false ends {result['false_ends']}, missed {result['missed']}; "
          f"EndOfTurn after the last word p50 {pct(result['eot'], 50)} p90 {pct(result['eot'], 90)}; "
          f"Eager p50 {pct(result['eager'], 50)} p90 {pct(result['eager'], 90)} (audio time, decode delay {args.delay} s)")  # fmt: skip
    for m in messages:
        if m.get("event") in ("EndOfTurn", "EagerEndOfTurn", "TurnResumed", "StartOfTurn"):
            print(f"  {m['audio_window_end']:7.2f} {m['event']:15} {m['end_of_turn_confidence']:.2f} {m.get('trigger') or ''} {m['transcript'][-70:]}")


if __name__ == "__main__":
    main()
