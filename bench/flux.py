"""Flux benchmark: end-of-turn latency, false ends of turn, turn WER and concurrent sessions, through the
official SDK's `listen.v2.connect` against a real server.

    .venv/bin/python bench/flux.py [--streams 1 2 4] [--gap 2.0] [--eager 0.4] [--split held_out] [--json out.json]

Each session plays a conversation made of the split's reference turns (`bench/flux_corpus.py`: by default
the recordings held out from tuning the end-of-turn model), one after another with `--gap` seconds of
silence between them (where the other side would answer), as a microphone would: 80 ms messages of
16 kHz linear16, each sent when its last sample is due. Session i starts at turn 5i and 0.37 s after
session i-1, so sessions are not in lockstep. Options: `eager_eot_threshold=--eager`, everything else
Flux's defaults (`eot_threshold` 0.7, `eot_timeout_ms` 5000).

Measured, per N concurrent sessions:
- StartOfTurn latency: from the start of the turn's first word (as batch places it) to the StartOfTurn;
- end-of-turn latency: for each reference turn, from the end of its last word (where POST /v1/listen of
  the same audio places it, word times clipped to speech) to the arrival of the EndOfTurn that closes it,
  and to the last EagerEndOfTurn before that; p50 and p90, wall clock;
- false ends of turn: EndOfTurn messages whose audio window ends inside a reference turn (after its
  start, before its last word), per 100 reference turns; and missed ends: reference turns no EndOfTurn
  closed before the next one began;
- turn WER: the words of the EndOfTurn transcripts (and the last Update of a turn still open at the end),
  assigned to reference turns by time, against the references, beside the batch WER of POST /v1/listen on
  each turn's audio alone (the test suite's words-only normaliser);
- every message validated against the SDK's types and the turn state machine's rules (tests/flux.py).
Before the sessions, faster-whisper tiny.en's own speed on the same turns (RTF, in this process), so the
figures can be read against the machine's speed at the time.
Targets on this machine: EagerEndOfTurn p50 < 500 ms, EndOfTurn p50 < 900 ms, false ends < 5 per 100
turns, turn WER within 1 point of batch, at N >= 4.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from common import free_port, machine, wait_healthy  # bench/common.py: run as `python bench/<name>.py`

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import flux_corpus as corpus  # noqa: E402

RATE = corpus.RATE
CHUNK_S = 0.08
TARGETS = {"eager_p50": 0.5, "eot_p50": 0.9, "false_per_100": 5.0, "wer_points": 1.0}


def start_server(workdir: Path) -> tuple[subprocess.Popen, str, str]:
    key, port = secrets.token_hex(20), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGRAM_")}
    # Sessions are measured as the server runs them when it takes them all: its own admission is off here
    # (bench/streaming.py --admission measures that).
    env.update(OPENGRAM_BOOTSTRAP_KEY=key, OPENGRAM_LIVE_CAPACITY="1000", OPENGRAM_LIVE_BEHIND_S="100000")
    exe = Path(sys.executable).with_name("opengram")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "opengram"]
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", f"sqlite:///{workdir}/bench.db"]
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, workdir / "server.log")
    return proc, url, key


def wav_bytes(x: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm16(x))
    return buf.getvalue()


def pcm16(x: np.ndarray) -> bytes:
    return np.clip(x * 32768, -32768, 32767).astype("<i2").tobytes()


@dataclass
class SessionResult:
    arrivals: list[tuple[float, dict]] = field(default_factory=list)  # (wall seconds since open, message)
    error: str | None = None
    close_code: int | None = None


def run_session(client, conv: corpus.Conversation, delay: float, options: dict, out: SessionResult) -> None:
    time.sleep(delay)
    data = pcm16(conv.audio)
    size = int(CHUNK_S * RATE) * 2
    try:
        with client.listen.v2.connect(model="flux-general-en", encoding="linear16", sample_rate=RATE, **options) as sock:
            opened = time.monotonic()

            def send():
                for i in range(0, len(data), size):
                    chunk = data[i : i + size]
                    due = opened + (i + len(chunk)) / 2 / RATE
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    sock.send_media(chunk)
                time.sleep(0.5)
                sock.send_close_stream()

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            for message in sock:
                body = message.model_dump(exclude_unset=True, mode="json")
                out.arrivals.append((time.monotonic() - opened, body))
            sender.join()
            out.close_code = sock._websocket.close_code
    except Exception as exc:  # noqa: BLE001 - reported in the table
        out.error = repr(exc)


def score(conv: corpus.Conversation, word_ends: dict[str, float], word_starts: dict[str, float], result: SessionResult) -> dict:
    """Latencies, false and missed ends, and each reference turn's streamed words, for one session."""
    turn_infos = [(at, m) for at, m in result.arrivals if m.get("type") == "TurnInfo"]
    ends = [(at, m) for at, m in turn_infos if m["event"] == "EndOfTurn"]
    eagers = [(at, m) for at, m in turn_infos if m["event"] == "EagerEndOfTurn"]
    starts = [(at, m) for at, m in turn_infos if m["event"] == "StartOfTurn"]
    out = {"start": [], "eot": [], "eager": [], "false": 0, "missed": 0, "turns": len(conv.spans), "texts": {}, "notes": []}
    for i, (turn, start, _) in enumerate(conv.spans):
        word_end = start + word_ends[turn.name]
        first_word = start + word_starts[turn.name]
        opening = [at for at, m in starts if first_word <= m["audio_window_end"] <= word_end + 2.0]
        if opening:
            out["start"].append(opening[0] - first_word)
        following = conv.spans[i + 1][1] if i + 1 < len(conv.spans) else math.inf
        inside = [m for _, m in ends if start < m["audio_window_end"] < word_end - 0.05]
        out["false"] += len(inside)
        out.setdefault("by_source", {}).setdefault(turn.source, [0, 0])
        out["by_source"][turn.source][0] += 1
        out["by_source"][turn.source][1] += len(inside)
        out["notes"] += [f"false end in {turn.name} at {m['audio_window_end'] - start:.2f} s ({m['trigger']}, "
                         f"{m['end_of_turn_confidence']:.2f}): …{m['transcript'][-50:]!r}" for m in inside]  # fmt: skip
        closing = [(at, m) for at, m in ends if word_end - 0.05 <= m["audio_window_end"] < following]
        if not closing:
            out["missed"] += 1
            out["notes"].append(f"missed the end of {turn.name}")
            continue
        at, m = closing[0]
        out["eot"].append(at - word_end)
        before = [a for a, e in eagers if word_end - 0.05 <= e["audio_window_end"] <= m["audio_window_end"]]
        if before:
            out["eager"].append(before[-1] - word_end)
    # the words each reference turn got: every EndOfTurn's, and the open turn's last Update at the end
    words = [w for _, m in ends for w in m["words"]]
    if turn_infos and turn_infos[-1][1]["event"] != "EndOfTurn":
        words += turn_infos[-1][1]["words"]
    bounds = [(t.name, (conv.spans[i - 1][2] + a) / 2 if i else -1e9) for i, (t, a, _) in enumerate(conv.spans)]
    texts: dict[str, list[str]] = {t.name: [] for t, _, _ in conv.spans}
    for w in sorted(words, key=lambda w: w["start"]):
        mid = (w["start"] + w["end"]) / 2
        owner = [name for name, lo in bounds if lo <= mid][-1]
        texts[owner].append(w["word"])
    out["texts"] = {name: " ".join(ws) for name, ws in texts.items()}
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def engine_speed(turns: list[corpus.Turn]) -> float:
    """faster-whisper tiny.en on each turn alone (as batch transcription runs it): audio seconds per second."""
    from opengram.engines.asr import DecodeOptions, WhisperEngine
    from opengram.engines.registry import bundled_tiny_en

    engine = WhisperEngine(bundled_tiny_en().path, cpu_threads=2)
    engine.transcribe(turns[0].audio, DecodeOptions())  # warm-up
    started = time.perf_counter()
    for t in turns:
        engine.transcribe(t.audio, DecodeOptions())
    return sum(t.seconds for t in turns) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--gap", type=float, default=2.0, help="silence between turns")
    parser.add_argument("--eager", type=float, default=0.4, help="eager_eot_threshold (0: eager mode off)")
    parser.add_argument("--eot", type=float, default=None, help="eot_threshold (default: the server's, 0.7)")
    parser.add_argument("--split", default="held_out", choices=["held_out", "tuning"])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--log", type=Path, help="keep the server's log here")
    args = parser.parse_args()

    import jiwer
    from deepgram import DeepgramClient, DeepgramClientEnvironment

    from tests.audio import normalize
    from tests.flux import TYPES, check_turns
    from tests.wire import strictly

    turns = corpus.turns(corpus.HELD_OUT if args.split == "held_out" else corpus.TUNING)
    info = machine()
    print(f"# {info['date']}  {info['nproc']} CPUs ({info['cpu']}), load {' '.join(info['loadavg_at_start'])}", flush=True)
    speed = engine_speed(turns)
    print(f"faster-whisper tiny.en alone on the {len(turns)} turns: {speed:.1f}x real time (RTF {1 / speed:.3f})", flush=True)
    options = {"eager_eot_threshold": args.eager} if args.eager else {}
    if args.eot is not None:
        options["eot_threshold"] = args.eot
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, key = start_server(Path(tmp))
        try:
            env = DeepgramClientEnvironment(base=url, production=url.replace("http", "ws"), agent=url, agent_rest=url)
            client = DeepgramClient(api_key=key, environment=env)
            batch, word_ends, word_starts = {}, {}, {}
            for t in turns:  # the batch side: each turn alone through POST /v1/listen
                r = client.listen.v1.media.transcribe_file(request=wav_bytes(t.audio), model="nova-3", punctuate=True)
                alt = r.results.channels[0].alternatives[0]
                batch[t.name] = alt.transcript
                word_ends[t.name] = alt.words[-1].end if alt.words else t.seconds - corpus.PAD_S
                word_starts[t.name] = alt.words[0].start if alt.words else corpus.PAD_S
            for n in args.streams:
                convs = [corpus.conversation(turns[5 * i :] + turns[: 5 * i], args.gap) for i in range(n)]
                results = [SessionResult() for _ in range(n)]
                threads = [threading.Thread(target=run_session, args=(client, convs[i], i * 0.37, options, results[i]))
                           for i in range(n)]  # fmt: skip
                loadavg = open("/proc/loadavg").read().split()[0]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                errors = [r.error for r in results if r.error]
                invalid = []
                for r in results:
                    try:
                        for _, m in r.arrivals:
                            strictly(TYPES[m["type"]], m)
                        check_turns([m for _, m in r.arrivals], eager=bool(args.eager))
                    except (AssertionError, KeyError, ValueError) as exc:
                        invalid.append(repr(exc)[:300])
                scored = [score(c, word_ends, word_starts, r) for c, r in zip(convs, results)]
                start = [x for s in scored for x in s["start"]]
                eot = [x for s in scored for x in s["eot"]]
                eager = [x for s in scored for x in s["eager"]]
                n_turns = sum(s["turns"] for s in scored)
                false = sum(s["false"] for s in scored)
                missed = sum(s["missed"] for s in scored)
                pairs = [(t.text, s["texts"][t.name], batch[t.name]) for s in scored for t in turns if t.text]
                refs = [normalize(a) for a, _, _ in pairs]
                turn_wer = jiwer.wer(refs, [normalize(b) or "-" for _, b, _ in pairs])
                batch_wer = jiwer.wer(refs, [normalize(c) or "-" for _, _, c in pairs])
                by_source: dict[str, list[int]] = {}
                for sc in scored:
                    for source, (count, bad) in sc.get("by_source", {}).items():
                        by_source.setdefault(source, [0, 0])
                        by_source[source][0] += count
                        by_source[source][1] += bad
                print("  false ends by recording: " + ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in by_source.items()))
                if args.verbose:
                    for note in sorted({note for s in scored for note in s["notes"]}):
                        print("  " + note)
                    for ref, streamed, b in pairs[: len(pairs) // n]:
                        if normalize(streamed) != normalize(b):
                            print(f"  R: {ref}\n  S: {streamed}\n  B: {b}")
                row = {
                    "streams": n, "turns": n_turns, "audio_s": round(sum(c.audio.size for c in convs) / RATE, 1),
                    "start_p50": pct(start, 50), "start_p90": pct(start, 90),
                    "eager_p50": pct(eager, 50), "eager_p90": pct(eager, 90), "eagers": len(eager),
                    "eot_p50": pct(eot, 50), "eot_p90": pct(eot, 90), "eots": len(eot),
                    "false_ends": false, "false_per_100": 100 * false / n_turns, "missed": missed,
                    "turn_wer": turn_wer, "batch_wer": batch_wer, "loadavg_before": loadavg,
                    "messages": sum(len(r.arrivals) for r in results), "errors": errors, "invalid": invalid,
                    "false_by_recording": by_source,
                }  # fmt: skip
                rows.append(row)
                print(
                    f"N={n}: {n_turns} turns, {row['messages']} messages; StartOfTurn after the first word p50 "
                    f"{row['start_p50']*1000:.0f} ms p90 {row['start_p90']*1000:.0f} ms; Eager p50 {row['eager_p50']*1000:.0f} ms "
                    f"p90 {row['eager_p90']*1000:.0f} ms ({len(eager)}); EndOfTurn p50 {row['eot_p50']*1000:.0f} ms "
                    f"p90 {row['eot_p90']*1000:.0f} ms ({len(eot)}); false ends {false} ({row['false_per_100']:.1f}/100), "
                    f"missed {missed}; turn WER {turn_wer*100:.1f}% batch {batch_wer*100:.1f}%"
                    + (f"; ERRORS {errors}" if errors else "") + (f"; INVALID {invalid}" if invalid else ""),
                    flush=True,
                )
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            if args.log:
                args.log.write_text((Path(tmp) / "server.log").read_text())
            stats = [l for l in (Path(tmp) / "server.log").read_text().splitlines() if "live decode stats" in l]
            if stats:
                print(stats[-1])
    print()
    print("| N | turns | Eager p50 | Eager p90 | EndOfTurn p50 | EndOfTurn p90 | false ends /100 turns | missed ends | turn WER / batch | StartOfTurn p50 / p90 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['streams']} | {r['turns']} | {r['eager_p50']*1000:.0f} ms | {r['eager_p90']*1000:.0f} ms "
            f"| {r['eot_p50']*1000:.0f} ms | {r['eot_p90']*1000:.0f} ms | {r['false_per_100']:.1f} ({r['false_ends']}) "
            f"| {r['missed']} | {r['turn_wer']*100:.1f}% / {r['batch_wer']*100:.1f}% "
            f"| {r['start_p50']*1000:.0f} / {r['start_p90']*1000:.0f} ms |"
        )
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "engine_speed": speed, "args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
