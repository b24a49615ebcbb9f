"""Diarization benchmark: diarization error rate (DER) and runtime of opengram.speech.diarize.

    .venv/bin/python bench/diarization.py [--files pyannote_sample.wav aepyx_8k.wav] [--collar 0.25]
                                          [--repeat 3] [--json out.json]

Every file of shared/audio whose manifest entry names an RTTM reference is scored (by default
pyannote_sample.wav, 2 speakers, and aepyx_8k.wav, 4 speakers), inside its `annotated_region` where
the manifest gives one. DER = (missed speech + false alarm + speaker confusion) / reference speech,
with the hypothesis speakers mapped one-to-one onto the reference ones to maximise agreement;
overlapped speech is scored. The primary figure uses a 0.25 s collar around every reference
boundary (md-eval's customary setting); the figure without a collar is printed beside it.

Runtime is diarize() alone (Silero VAD + embeddings + clustering) on decoded 16 kHz audio, after one
untimed warm-up run that loads the encoder; best and median of --repeat runs. Target: DER <= 20% on
pyannote_sample.wav.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from common import AUDIO_DIR, machine  # bench/common.py: run as `python bench/<name>.py`

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from opengram.speech.audio import decode  # noqa: E402
from opengram.speech.der import diarization_error_rate, read_rttm  # noqa: E402
from opengram.speech.diarize import diarize  # noqa: E402

TARGET = 0.20


def references() -> dict[str, dict]:
    manifest = json.loads((AUDIO_DIR / "manifest.json").read_text())
    out = {}
    for f in manifest["files"]:
        rttm = next((r["name"] for r in f.get("reference_files", []) if r.get("kind") == "rttm"), None)
        if rttm:
            out[f["name"]] = {"rttm": rttm, "region": f.get("annotated_region")}
    return out


def main() -> int:
    refs = references()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", nargs="+", default=sorted(refs))
    ap.add_argument("--collar", type=float, default=0.25)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    info = machine()
    print(f"machine: {info['nproc']} x {info['cpu']}, Python {info['python']}, load {info['loadavg_at_start']}")
    print(f"date: {info['date']}; collar {args.collar} s (and 0 s); {args.repeat} timed runs after 1 warm-up\n")
    rows = []
    for name in args.files:
        ref = read_rttm(AUDIO_DIR / refs[name]["rttm"])
        region = refs[name]["region"]
        with open(AUDIO_DIR / name, "rb") as f:
            samples = decode(f).mono()
        audio_s = len(samples) / 16000
        turns = diarize(samples)  # warm-up: loads the encoder and the VAD model
        walls = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            turns = diarize(samples)
            walls.append(time.perf_counter() - t0)
        hyp = [(t.start, t.end, t.speaker) for t in turns]
        scored = diarization_error_rate(ref, hyp, collar=args.collar, region=tuple(region) if region else None)
        strict = diarization_error_rate(ref, hyp, collar=0.0, region=tuple(region) if region else None)
        row = {
            "file": name,
            "audio_s": round(audio_s, 2),
            "speakers_found": len({t.speaker for t in turns}),
            "speakers_ref": len({s for _, _, s in ref}),
            "der": round(scored.der, 4),
            "missed": round(scored.missed / scored.total, 4),
            "false_alarm": round(scored.false_alarm / scored.total, 4),
            "confusion": round(scored.confusion / scored.total, 4),
            "scored_speech_s": round(scored.total, 2),
            "der_no_collar": round(strict.der, 4),
            "missed_no_collar": round(strict.missed / strict.total, 4),
            "false_alarm_no_collar": round(strict.false_alarm / strict.total, 4),
            "confusion_no_collar": round(strict.confusion / strict.total, 4),
            "wall_best_s": round(min(walls), 3),
            "wall_median_s": round(statistics.median(walls), 3),
        }
        rows.append(row)
        print(
            f"{name}: {row['speakers_found']} speakers found / {row['speakers_ref']} in reference; "
            f"DER {scored.der:.1%} (missed {row['missed']:.1%}, false alarm {row['false_alarm']:.1%}, "
            f"confusion {row['confusion']:.1%}; {scored.total:.1f} s scored)\n"
            f"    without collar: DER {strict.der:.1%} (missed {row['missed_no_collar']:.1%}, false alarm "
            f"{row['false_alarm_no_collar']:.1%}, confusion {row['confusion_no_collar']:.1%}; {strict.total:.1f} s)\n"
            f"    {audio_s:.1f} s of audio diarized in {row['wall_best_s']:.2f} s best / "
            f"{row['wall_median_s']:.2f} s median ({audio_s / row['wall_median_s']:.0f}xRT)"
        )
    target = next((r for r in rows if r["file"] == "pyannote_sample.wav"), None)
    if target:
        verdict = "meets" if target["der"] <= TARGET else "MISSES"
        print(f"\npyannote_sample.wav DER {target['der']:.1%} {verdict} the target of {TARGET:.0%}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "collar": args.collar, "files": rows}, indent=2))
    return 0 if not target or target["der"] <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
