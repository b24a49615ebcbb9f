"""Where a live server's CPU goes: N streams at real time (as bench/streaming.py plays them), the server's
threads' CPU time from /proc, and py-spy's samples of what they run.

    .venv/bin/python bench/live_profile.py [--streams 4] [--seconds 40] [--mode interim] [--top 15]

Needs py-spy (`pip install py-spy`, in the `bench` extra) and ptrace rights over the server (root, or
kernel.yama.ptrace_scope 0). Printed: CPU seconds and share of one core per thread kind (the event loop,
the model worker, the streams' ingest threads, ...) over the middle of the run, then the functions that
took the most samples, with the thread kind they ran on.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from common import machine  # bench/common.py: run as `python bench/<name>.py`
from streaming import UNGUARDED, corpus, layouts, read_corpus, run_once, start_server


PY_SPY = str(Path(sys.executable).with_name("py-spy")) if Path(sys.executable).with_name("py-spy").exists() else "py-spy"


def kind_of(name: str) -> str:
    if name.startswith(("stream-", "flux-")):
        return "stream ingest threads"
    if name.startswith("model"):
        return "model worker"
    if name.startswith("text"):
        return "text worker"
    if name == "MainThread":
        return "event loop (MainThread)"
    return name


def thread_names(pid: int) -> dict[int, str]:
    """Native thread id -> Python thread name, as py-spy reads them."""
    out = subprocess.run([PY_SPY, "dump", "--pid", str(pid)], capture_output=True, text=True).stdout
    return {int(m.group(1)): m.group(2) for m in re.finditer(r'^Thread (\d+) \(\w+\): "([^"]*)"', out, re.M)}


def cpu_by_thread(pid: int) -> dict[int, float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            out[int(tid)] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--mode", choices=["interim", "finals"], default="interim")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    for k in [k for k in os.environ if k.startswith("OPENGRAM_")]:
        del os.environ[k]
    from deepgram import DeepgramClient, DeepgramClientEnvironment

    info = machine()
    conv = corpus()
    sources = {"conv": conv, "read": read_corpus(conv)}
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, key = start_server(Path(tmp), UNGUARDED)
        try:
            env = DeepgramClientEnvironment(base=url, production=url.replace("http", "ws"), agent=url, agent_rest=url)
            client = DeepgramClient(api_key=key, environment=env)
            layout = layouts(args.streams, list(sources), separate=False)[0]
            done = threading.Thread(
                target=run_once, args=(client, args.mode, layout, sources, args.seconds), daemon=True
            )
            done.start()
            time.sleep(args.seconds * 0.25)  # past the start: every stream open and speaking
            window = args.seconds * 0.5
            before, load = cpu_by_thread(proc.pid), open("/proc/loadavg").read().split()[0]
            raw = Path(tmp) / "spy.txt"
            subprocess.run(
                [PY_SPY, "record", "--pid", str(proc.pid), "--duration", str(int(window)), "--rate", "50",
                 "--threads", "--format", "raw", "--output", str(raw), "--nonblocking"],
                capture_output=True,
            )  # fmt: skip
            after, names = cpu_by_thread(proc.pid), thread_names(proc.pid)
            done.join()
        finally:
            proc.terminate()
            proc.wait(15)
        spent: Counter[str] = Counter()
        for tid, t in after.items():
            spent[kind_of(names.get(tid, "native threads (CTranslate2, ONNX Runtime pools)"))] += t - before.get(tid, 0.0)
        samples: Counter[tuple[str, str]] = Counter()
        for line in raw.read_text().splitlines() if raw.exists() else []:
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            thread = re.sub(r"^thread \(\d+\): ", "", frames[0]).strip('"')
            samples[(kind_of(thread), frames[-1])] += int(count)
    print(f"# {info['date']}, {info['nproc']} CPUs ({info['cpu']}), load {load} when profiling")
    print(f"{args.streams} streams, {args.mode} mode, {args.seconds:g} s each; CPU over {window:g} s in the middle")
    print("| thread | CPU s | share of one core |\n|---|---|---|")
    for kind, seconds in spent.most_common():
        if seconds > 0.01:
            print(f"| {kind} | {seconds:.2f} | {seconds / window * 100:.0f}% |")
    total = sum(samples.values()) or 1
    print(f"\npy-spy, {total} samples (threads on CPU only); top functions:\n| share | thread | function |\n|---|---|---|")
    for (kind, frame), n in samples.most_common(args.top):
        print(f"| {n / total * 100:.1f}% | {kind} | `{frame}` |")


if __name__ == "__main__":
    sys.exit(main())
