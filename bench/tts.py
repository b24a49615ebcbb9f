"""TTS benchmark: time to first audio byte and synthesis speed of /v1/speak, REST and WebSocket.

    .venv/bin/python bench/tts.py [--requests 16] [--concurrency 1 4] [--encodings linear16 mp3]
                                  [--no-ws] [--json out.json]

Starts `opengram serve` on a free loopback port with a fresh SQLite database, waits until the voice answers,
warms up, and then, for each encoding and concurrency, sends --requests texts (a voice agent's replies of
one to four sentences, 31 to 330 characters, cycled), `concurrency` at a time:

  REST  POST /v1/speak, streamed: first byte = from sending the request to the first audio byte of the body
  WS    one socket per worker, Speak + Flush per text: first byte = from sending Flush to the first binary
        frame; done = `Flushed`

Speed is audio seconds per wall second: per request (its audio over its own time), and in aggregate (all
audio over the wall time of the whole run at that concurrency). The client runs in this process on the same
machine, so on a small machine figures are a floor for the server. Target: REST first byte p50 < 200 ms.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import httpx
import websockets
from common import free_port, machine, wait_healthy  # bench/common.py: run as `python bench/<name>.py`

TARGET_FIRST_BYTE_MS = 200
TEXTS = [
    "Sure, I can help you with that.",
    "Your order has shipped and should arrive on Thursday. Is there anything else I can do for you today?",
    "I'm sorry, I didn't catch that. Could you repeat the account number, one digit at a time?",
    "The meeting is booked for ten thirty tomorrow morning in the small conference room on the second floor. "
    "I have sent an invitation to everyone on the list, and I will remind you fifteen minutes before it starts.",
    "Thanks for waiting. I checked with the billing team, and the charge you saw last week was a temporary hold. "
    "It will disappear from your statement within three business days. If it is still there on Monday, call us "
    "back and we will refund it straight away. Is there anything else?",
    "Good afternoon, this is the pharmacy calling to let you know that your prescription is ready for pickup.",
]
RATE = 24000  # linear16 output rate: audio seconds are bytes / 2 / RATE


def start_server(workdir: Path) -> tuple[subprocess.Popen, str, str]:
    port, key = free_port(), secrets.token_hex(20)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGRAM_")}
    env.update(
        OPENGRAM_PORT=str(port), OPENGRAM_DATABASE_URL=f"sqlite:///{workdir}/bench.db", OPENGRAM_BOOTSTRAP_KEY=key
    )
    env["OPENGRAM_DATA_DIR"] = str(workdir / "var")
    env["OPENGRAM_SPEAK_FLUSH_LIMIT"] = "0"  # a socket here flushes faster than Deepgram's 20 a minute
    log = open(workdir / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "opengram", "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, workdir / "server.log")
    return proc, url, key


def audio_seconds(data: bytes, encoding: str) -> float:
    if encoding == "linear16":
        return len(data) / 2 / RATE
    with av.open(io.BytesIO(data)) as c:
        stream = c.streams.audio[0]
        return sum(f.samples for f in c.decode(stream)) / stream.rate


def params(encoding: str) -> dict:
    return (
        {"encoding": "linear16", "container": "none", "sample_rate": RATE}
        if encoding == "linear16"
        else {"encoding": encoding}
    )


async def rest_one(client: httpx.AsyncClient, url: str, key: str, text: str, encoding: str) -> dict:
    started = time.perf_counter()
    first = None
    data = bytearray()
    async with client.stream(
        "POST",
        f"{url}/v1/speak",
        params=params(encoding),
        json={"text": text},
        headers={"Authorization": f"Token {key}"},
    ) as r:
        r.raise_for_status()
        async for chunk in r.aiter_raw():
            if chunk and first is None:
                first = time.perf_counter() - started
            data += chunk
    wall = time.perf_counter() - started
    return {"first_s": first, "wall_s": wall, "audio_s": audio_seconds(bytes(data), encoding)}


async def ws_worker(url: str, key: str, texts: list[str]) -> list[dict]:
    out = []
    ws_url = url.replace("http://", "ws://") + f"/v1/speak?encoding=linear16&sample_rate={RATE}"
    async with websockets.connect(ws_url, additional_headers={"Authorization": f"Token {key}"}, max_size=None) as ws:
        assert json.loads(await ws.recv())["type"] == "Metadata"
        for text in texts:
            await ws.send(json.dumps({"type": "Speak", "text": text}))
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "Flush"}))
            first, size = None, 0
            while True:
                message = await ws.recv()
                if isinstance(message, bytes):
                    first = first if first is not None else time.perf_counter() - started
                    size += len(message)
                elif (kind := json.loads(message)["type"]) == "Flushed":
                    break
                elif kind == "Warning":
                    raise RuntimeError(message)
            out.append({"first_s": first, "wall_s": time.perf_counter() - started, "audio_s": size / 2 / RATE})
        await ws.send(json.dumps({"type": "Close"}))
    return out


async def run_rest(url: str, key: str, encoding: str, concurrency: int, n: int) -> tuple[list[dict], float]:
    queue = [TEXTS[i % len(TEXTS)] for i in range(n)]
    results: list[dict] = []
    async with httpx.AsyncClient(timeout=120) as client:

        async def worker():
            while queue:
                results.append(await rest_one(client, url, key, queue.pop(0), encoding))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results, time.perf_counter() - started


async def run_ws(url: str, key: str, concurrency: int, n: int) -> tuple[list[dict], float]:
    shares = [[TEXTS[i % len(TEXTS)] for i in range(w, n, concurrency)] for w in range(concurrency)]
    started = time.perf_counter()
    results = await asyncio.gather(*(ws_worker(url, key, share) for share in shares if share))
    return [r for share in results for r in share], time.perf_counter() - started


def summarise(transport: str, encoding: str, concurrency: int, results: list[dict], wall: float) -> dict:
    firsts = sorted(r["first_s"] * 1000 for r in results)
    pick = lambda q: firsts[min(len(firsts) - 1, int(q * len(firsts)))]  # noqa: E731
    return {
        "transport": transport, "encoding": encoding, "concurrency": concurrency, "requests": len(results),
        "first_p50_ms": statistics.median(firsts), "first_p90_ms": pick(0.90),
        "speed_p50": statistics.median(r["audio_s"] / r["wall_s"] for r in results),
        "aggregate_speed": sum(r["audio_s"] for r in results) / wall, "audio_s": sum(r["audio_s"] for r in results),
    }  # fmt: skip


async def bench(url: str, key: str, args) -> list[dict]:
    # Warm-up: the voice loads beside start-up; wait for it, then let every code path run once.
    for encoding in args.encodings:
        await run_rest(url, key, encoding, 1, 1)
    await run_rest(url, key, "linear16", 2, len(TEXTS))
    rows = []
    for encoding in args.encodings:
        for concurrency in args.concurrency:
            results, wall = await run_rest(url, key, encoding, concurrency, args.requests)
            rows.append(summarise("REST", encoding, concurrency, results, wall))
            print(rows[-1], file=sys.stderr)
    if not args.no_ws:
        await run_ws(url, key, 1, 2)
        for concurrency in args.concurrency:
            results, wall = await run_ws(url, key, concurrency, args.requests)
            rows.append(summarise("WS", "linear16", concurrency, results, wall))
            print(rows[-1], file=sys.stderr)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=16, help="texts per encoding and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--encodings", nargs="+", default=["linear16", "mp3"])
    parser.add_argument("--no-ws", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    facts = machine()
    workdir = Path(tempfile.mkdtemp(prefix="opengram-bench-tts-"))
    proc, url, key = start_server(workdir)
    try:
        rows = asyncio.run(bench(url, key, args))
    finally:
        proc.terminate()
        proc.wait(10)
    load_end = open("/proc/loadavg").read().split()[:3]
    print(
        f"\n{facts['nproc']} x {facts['cpu']}, Python {facts['python']}, {facts['date']}, load average at start "
        f"{' '.join(facts['loadavg_at_start'])}, at end {' '.join(load_end)}\n"
    )
    print(
        "| transport | encoding | concurrency | texts | first byte p50 ms | first byte p90 ms | speed per text p50 | aggregate speed |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['transport']} | {r['encoding']} | {r['concurrency']} | {r['requests']} | {r['first_p50_ms']:.0f} | "
            f"{r['first_p90_ms']:.0f} | {r['speed_p50']:.1f}×RT | {r['aggregate_speed']:.1f}×RT |"
        )
    rest_c1 = [r for r in rows if r["transport"] == "REST" and r["concurrency"] == 1]
    if rest_c1:
        best = min(r["first_p50_ms"] for r in rest_c1)
        print(f"\nREST first byte p50 at concurrency 1: {best:.0f} ms (target < {TARGET_FIRST_BYTE_MS} ms)")
    if args.json:
        args.json.write_text(json.dumps({"meta": {**facts, "loadavg_at_end": load_end}, "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
