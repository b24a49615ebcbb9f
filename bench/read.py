"""Text-intelligence benchmark: how long each /v1/read feature takes on texts of growing length.

    .venv/bin/python bench/read.py [--words 1000 10000] [--repeat 3] [--json out.json]

The text is made of the shared recordings' reference transcripts (real speech: a phone call, news,
lectures, the Preamble, Harvard sentences), shuffled and repeated to the asked length, so it has many
sentences, names and places. Each feature runs in this process exactly as the server runs it (the
server adds only HTTP and one database write). First the cold start: imports and the spaCy model load
that the first intelligence request of a server pays. Then, per length, the best and median of
--repeat runs of each feature and of all four together.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import AUDIO_DIR, machine  # noqa: E402

from opengram.text import entities, nlp  # noqa: E402
from opengram.text.analyze import Features, analyze  # noqa: E402
from opengram.text.document import Document  # noqa: E402


def corpus(words: int, seed: int = 7) -> str:
    refs = [f["transcript"] for f in json.loads((AUDIO_DIR / "manifest.json").read_text())["files"] if f.get("transcript")]
    sentences = [s.strip() for r in refs for s in r.replace("?", "?.").replace("!", "!.").split(".") if len(s.split()) > 3]
    rng = random.Random(seed)
    out: list[str] = []
    while sum(len(s.split()) for s in out) < words:
        out.append(rng.choice(sentences).rstrip("?!") + ".")
    return " ".join(out)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()

    cold = {
        "summarize+topics+sentiment imports": timed(lambda: analyze(Document.from_text("Warm up. " * 30), Features(summarize=True, topics=True, sentiment=True))),
        "spaCy import + model load": timed(nlp.pipeline),
    }
    rows = []
    for n in args.words:
        text = corpus(n)
        doc = Document.from_text(text)
        runs = {
            "document (sentences)": lambda: Document.from_text(text),
            "summarize": lambda: analyze(doc, Features(summarize=True)),
            "topics": lambda: analyze(doc, Features(topics=True)),
            "intents": lambda: analyze(doc, Features(intents=True)),
            "sentiment": lambda: analyze(doc, Features(sentiment=True)),
            "all four": lambda: analyze(doc, Features(summarize=True, topics=True, intents=True, sentiment=True)),
            "entities (listen)": lambda: entities.find(doc),
        }
        for name, fn in runs.items():
            times = [timed(fn) for _ in range(args.repeat)]
            rows.append({"words": len(doc), "sentences": len(doc.sentences), "feature": name,
                         "best_s": round(min(times), 3), "median_s": round(statistics.median(times), 3)})  # fmt: skip
    print("cold start:", {k: round(v, 2) for k, v in cold.items()})
    print("\n| words | sentences | feature | best s | median s | words/s (median) |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['words']} | {r['sentences']} | {r['feature']} | {r['best_s']} | {r['median_s']} | {round(r['words'] / max(r['median_s'], 1e-6))} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "cold": cold, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
