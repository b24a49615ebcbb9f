"""Streaming benchmark, after Deepgram's self-hosted load test: N concurrent live streams of 16-bit PCM in
50 ms messages at real-time pace through the official SDK's `listen.v1.connect`.

    .venv/bin/python bench/streaming.py [--streams 1 2 4 8] [--seconds 60] [--gap 1.5] [--json out.json]

Each stream plays recordings from shared/audio that have a reference transcript, one after another with
`--gap` seconds of silence between them, for at least `--seconds`; stream i starts at a different
recording and a little later than stream i-1, so the streams are not in lockstep. Options:
`interim_results=true`, `punctuate=true`, default endpointing.

Printed per N:
- cursor latency: at each Results message, the audio the client had sent minus `start + duration`
  (how far behind the live edge the transcript is), p50 and p90 over every Results of every stream;
- endpoint latency: at each `speech_final` Results with words, the audio sent minus its last word's `end`;
- streamed WER: the finals' words, assigned to recordings by time, against the references, beside the
  batch WER of the same recordings sent to POST /v1/listen. Scored twice: with the test suite's
  normaliser (lower case, punctuation dropped, digits spelled out: words only), and with Whisper's English
  normaliser (which also rewrites number sequences, so "One. Two. 3." and "one two three" differ: it
  penalises how a segment boundary punctuates numbers as much as a wrong word).
Targets (Deepgram's pass marks), at N >= 4: cursor p50 < 750 ms and p90 < 1500 ms, endpoint p50 < 1000 ms
and p90 < 3000 ms; streamed WER within 1 point of batch.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from common import AUDIO_DIR, free_port, machine, wait_healthy  # bench/common.py: run as `python bench/<name>.py`

RATE = 16000
CHUNK_S = 0.05
# One of each recording: re-encodings of the same speech (jfk.mp3, preamble_8k_mulaw, the one_two_three
# variants) would count the same words several times.
SKIP = {"goforward.raw", "jfk.flac", "jfk.mp3", "preamble_8k_mulaw.wav", "one_two_three_24bit.flac",
        "one_two_three_8bit.wav", "one_two_three_stereo.aiff", "one_two_three_stereo_32bit.wav"}  # fmt: skip
TARGETS = {"cursor_p50": 0.75, "cursor_p90": 1.5, "endpoint_p50": 1.0, "endpoint_p90": 3.0, "wer_points": 1.0}


def pcm16(path: Path) -> np.ndarray:
    with av.open(str(path)) as src:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks = [f.to_ndarray() for frame in src.decode(audio=0) for f in resampler.resample(frame)]
    return np.concatenate(chunks, axis=1).reshape(-1).astype("<i2")


def corpus() -> list[tuple[str, np.ndarray, str]]:
    manifest = json.loads((AUDIO_DIR / "manifest.json").read_text())
    out = []
    for f in manifest["files"]:
        if f.get("transcript") and f["channels"] == 1 and f["name"] not in SKIP:
            out.append((f["name"], pcm16(AUDIO_DIR / f["name"]), f["transcript"]))
    return out


@dataclass
class Playlist:
    audio: np.ndarray
    spans: list[tuple[str, float, float]]  # recording, start, end (seconds in the stream)


def playlist(clips, first: int, seconds: float, gap: float) -> Playlist:
    parts, spans, at, i = [], [], 0.0, first
    silence = np.zeros(int(gap * RATE), "<i2")
    while at < seconds:
        name, samples, _ = clips[i % len(clips)]
        parts += [samples, silence]
        spans.append((name, at, at + samples.size / RATE))
        at += (samples.size + silence.size) / RATE
        i += 1
    return Playlist(np.concatenate(parts), spans)


@dataclass
class StreamResult:
    cursor: list[float] = field(default_factory=list)
    endpoint: list[float] = field(default_factory=list)
    words: list[tuple[float, float, str]] = field(default_factory=list)  # final words: start, end, punctuated
    results: int = 0
    finals: int = 0
    error: str | None = None


def run_stream(client, play: Playlist, delay: float, out: StreamResult) -> None:
    time.sleep(delay)
    data = play.audio.tobytes()
    size = int(RATE * 2 * CHUNK_S)
    sent = {"s": 0.0}
    try:
        with client.listen.v1.connect(
            model="nova-3", encoding="linear16", sample_rate=RATE, interim_results=True, punctuate=True
        ) as sock:

            def send():
                start = time.monotonic()
                for i in range(0, len(data), size):
                    sock.send_media(data[i : i + size])
                    sent["s"] = (i + size) / (RATE * 2)
                    pause = start + sent["s"] - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                sock.send_close_stream()

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            for message in sock:
                if getattr(message, "type", None) != "Results":
                    continue
                now = min(sent["s"], len(data) / (RATE * 2))
                out.results += 1
                end = message.start + message.duration
                out.cursor.append(now - end)
                words = message.channel.alternatives[0].words or []
                if message.is_final:
                    out.finals += 1
                    out.words += [(w.start, w.end, w.punctuated_word or w.word) for w in words]
                    if message.speech_final and words:
                        out.endpoint.append(now - words[-1].end)
            sender.join()
    except Exception as exc:  # noqa: BLE001 - reported in the table
        out.error = repr(exc)


def split_words(play: Playlist, words) -> dict[str, str]:
    """Each final word goes to the recording whose time it falls in (gaps split at their middle)."""
    texts: dict[str, list[str]] = {name: [] for name, _, _ in play.spans}
    bounds = [(name, (play.spans[i - 1][2] + a) / 2 if i else -1e9) for i, (name, a, _) in enumerate(play.spans)]
    for start, end, text in sorted(words):
        mid = (start + end) / 2
        owner = [name for name, lo in bounds if lo <= mid][-1]
        texts[owner].append(text)
    return {name: " ".join(t) for name, t in texts.items()}


def percentile(values, q) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def start_server(workdir: Path) -> tuple[subprocess.Popen, str, str]:
    key, port = secrets.token_hex(20), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGRAM_")}
    env.update(OPENGRAM_BOOTSTRAP_KEY=key)
    exe = Path(sys.executable).with_name("opengram")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "opengram"]
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", f"sqlite:///{workdir}/bench.db"]
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, workdir / "server.log")
    return proc, url, key


def wav_bytes(samples: np.ndarray) -> bytes:
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=60.0, help="audio per stream (whole recordings)")
    parser.add_argument("--gap", type=float, default=1.5, help="silence between recordings")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--verbose", action="store_true", help="print each recording where streamed and batch differ")
    args = parser.parse_args()

    import jiwer
    from deepgram import DeepgramClient, DeepgramClientEnvironment
    from whisper_normalizer.english import EnglishTextNormalizer

    whisper_normalise = EnglishTextNormalizer()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.audio import normalize as words_normalise
    clips = corpus()
    refs = {name: ref for name, _, ref in clips}
    info = machine()
    print(f"# {info['date']}  {info['nproc']} CPUs ({info['cpu']}), load {' '.join(info['loadavg_at_start'])}")
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, key = start_server(Path(tmp))
        try:
            env = DeepgramClientEnvironment(base=url, production=url.replace("http", "ws"), agent=url, agent_rest=url)
            client = DeepgramClient(api_key=key, environment=env)
            batch = {}
            for name, samples, _ in clips:  # the batch side: each recording once, through POST /v1/listen
                r = client.listen.v1.media.transcribe_file(request=wav_bytes(samples), model="nova-3", punctuate=True)
                batch[name] = r.results.channels[0].alternatives[0].transcript
            rows = []
            for n in args.streams:
                plays = [playlist(clips, i * 3, args.seconds, args.gap) for i in range(n)]
                results = [StreamResult() for _ in range(n)]
                threads = [
                    threading.Thread(target=run_stream, args=(client, plays[i], i * 0.37, results[i])) for i in range(n)
                ]
                loadavg = open("/proc/loadavg").read().split()[0]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                errors = [r.error for r in results if r.error]
                cursor = [c for r in results for c in r.cursor]
                endpoint = [e for r in results for e in r.endpoint]
                clips_out = []
                for play, result in zip(plays, results):
                    for name, text in split_words(play, result.words).items():
                        clips_out.append({"name": name, "streamed": text, "batch": batch[name]})
                        if args.verbose and words_normalise(text) != words_normalise(batch[name]):
                            print(f"  {name}\n    S: {text}\n    B: {batch[name]}")

                def wer(normalise, side: str) -> float:
                    refs_ = [normalise(refs[c["name"]]) for c in clips_out]
                    return jiwer.wer(refs_, [normalise(c[side]) or "-" for c in clips_out])
                row = {
                    "streams": n,
                    "audio_s": round(sum(p.audio.size for p in plays) / RATE, 1),
                    "results": sum(r.results for r in results),
                    "finals": sum(r.finals for r in results),
                    "cursor_p50": percentile(cursor, 50),
                    "cursor_p90": percentile(cursor, 90),
                    "endpoints": len(endpoint),
                    "endpoint_p50": percentile(endpoint, 50),
                    "endpoint_p90": percentile(endpoint, 90),
                    "streamed_wer": wer(words_normalise, "streamed"),
                    "batch_wer": wer(words_normalise, "batch"),
                    "streamed_wer_whisper_norm": wer(whisper_normalise, "streamed"),
                    "batch_wer_whisper_norm": wer(whisper_normalise, "batch"),
                    "loadavg_before": loadavg,
                    "errors": errors,
                    "clips": clips_out,
                }
                rows.append(row)
                print(
                    f"N={n}: {row['results']} Results ({row['finals']} final) over {row['audio_s']} s of audio; "
                    f"cursor p50 {row['cursor_p50']*1000:.0f} ms p90 {row['cursor_p90']*1000:.0f} ms; "
                    f"endpoint p50 {row['endpoint_p50']*1000:.0f} ms p90 {row['endpoint_p90']*1000:.0f} ms "
                    f"({row['endpoints']}); WER streamed {row['streamed_wer']*100:.1f}% batch {row['batch_wer']*100:.1f}% "
                    f"(Whisper normaliser {row['streamed_wer_whisper_norm']*100:.1f}% / {row['batch_wer_whisper_norm']*100:.1f}%)"
                    + (f"; ERRORS {errors}" if errors else ""),
                    flush=True,
                )
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            live_lines = [l for l in (Path(tmp) / "server.log").read_text().splitlines() if "live decode stats" in l]
            if live_lines:
                print(live_lines[-1])
    print()
    print("| N | audio s | Results | cursor p50 | cursor p90 | endpoints | endpoint p50 | endpoint p90 | WER streamed / batch | same, Whisper normaliser |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['streams']} | {r['audio_s']} | {r['results']} | {r['cursor_p50']*1000:.0f} ms | {r['cursor_p90']*1000:.0f} ms "
            f"| {r['endpoints']} | {r['endpoint_p50']*1000:.0f} ms | {r['endpoint_p90']*1000:.0f} ms "
            f"| {r['streamed_wer']*100:.1f}% / {r['batch_wer']*100:.1f}% "
            f"| {r['streamed_wer_whisper_norm']*100:.1f}% / {r['batch_wer_whisper_norm']*100:.1f}% |"
        )
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
