"""API benchmark: the request log and key authentication under load, on SQLite and PostgreSQL.

    .venv/bin/python bench/api.py [--rows 100000] [--seconds 5] [--concurrency 1 32]
                                  [--postgres postgresql://postgres@127.0.0.1:5432/postgres | --no-postgres]
                                  [--json out.json]

For each database it starts `opengram serve` on a free loopback port with a fresh database (SQLite in a
temporary directory; a new database on the PostgreSQL server, dropped afterwards), writes --rows request
log rows for the server's project (spread over 30 days, several keys, methods and status codes), and then
measures, for --seconds after a one-second warm-up, at each concurrency:

  requests  GET /v1/projects/{id}/requests          (the newest page of 10, the SDK's default)
  filtered  GET /v1/projects/{id}/requests?...      (one key, failed only, a 7-day window, limit 100)
  auth      GET /v1/auth/token                       (key authentication and nothing else)

Load comes from a minimal asyncio HTTP/1.1 client in this process (keep-alive connections, one request in
flight on each), on the same machine as the server: on a small machine the client takes a share of the
CPU, so figures are a floor for the server. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url
from common import free_port, machine, wait_healthy  # bench/common.py: run as `python bench/<name>.py`

from opengram.accounts.models import RequestLog
from opengram.store.db import sync_url


class Database:
    def __init__(self, kind: str, tmp: Path, postgres: str | None):
        self.kind, self._admin, self._name = kind, None, None
        if kind == "sqlite":
            self.url = f"sqlite:///{tmp / 'bench.db'}"
        else:
            self._name = f"opengram_bench_{uuid.uuid4().hex[:10]}"
            self._admin = make_url(postgres).set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(self._admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self._name}"')
            self.url = make_url(self._admin).set(database=self._name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self._admin:
            with psycopg.connect(self._admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')


def start_server(db: Database, tmp: Path) -> tuple[subprocess.Popen, str, str]:
    port, key = free_port(), secrets.token_hex(20)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGRAM_")}
    env.update(OPENGRAM_PORT=str(port), OPENGRAM_DATABASE_URL=db.url, OPENGRAM_BOOTSTRAP_KEY=key)
    log = open(tmp / f"server-{db.kind}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "opengram", "serve", "--host", "127.0.0.1"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, tmp / f"server-{db.kind}.log")
    return proc, url, key


def fill_log(db: Database, project_id: str, key_ids: list[str], rows: int) -> float:
    """Write `rows` request-log rows in bulk; returns the seconds it took."""
    started = time.perf_counter()
    engine = create_engine(sync_url(db.url))
    now = datetime.now(timezone.utc)
    span = timedelta(days=30).total_seconds()
    chunk = 10_000
    with engine.begin() as conn:
        for offset in range(0, rows, chunk):
            batch = []
            for i in range(offset, min(rows, offset + chunk)):
                failed = i % 17 == 0
                batch.append({
                    "request_id": str(uuid.UUID(int=i + 1)), "project_id": project_id,
                    "api_key_id": key_ids[i % len(key_ids)], "path": "/v1/listen", "endpoint": "listen",
                    "method": ("sync", "async", "streaming")[i % 3], "deployment": "self-hosted",
                    "created": now - timedelta(seconds=span * i / rows), "completed": now, "code": 400 if failed else 200,
                    "duration": 30.0 + i % 60, "channels": 1, "streams": 1, "model": "nova-3", "models": ["m"],
                    "features": ["punctuate"] if i % 2 else [], "tags": ["bench"], "config": {}, "usd": 0.0,
                    "characters": 0, "tokens_in": 0, "tokens_out": 0, "message": "bad audio" if failed else None,
                })  # fmt: skip
            conn.execute(insert(RequestLog), batch)
    engine.dispose()
    return time.perf_counter() - started


async def _one_connection(host: str, port: int, request: bytes, until: float, latencies: list[float] | None) -> int:
    """Send `request` over one keep-alive connection until `until`; returns how many answers were not 200."""
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            elapsed = time.perf_counter() - t0
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
            elif latencies is not None:
                latencies.append(elapsed)
    finally:
        writer.close()
    return errors


async def load(url: str, headers: dict, concurrency: int, seconds: float) -> dict:
    """`concurrency` keep-alive connections, each sending its next request when the last is answered. A
    minimal HTTP/1.1 client, so that on a small machine the client takes as little CPU as it can."""
    target = httpx.URL(url)
    lines = [f"GET {target.raw_path.decode()} HTTP/1.1", f"Host: {target.host}:{target.port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    host, port = target.host, target.port
    await asyncio.gather(*(_one_connection(host, port, request, time.perf_counter() + 1.0, None) for _ in range(concurrency)))
    latencies: list[float] = []
    started = time.perf_counter()
    errors = sum(await asyncio.gather(
        *(_one_connection(host, port, request, started + seconds, latencies) for _ in range(concurrency))
    ))  # fmt: skip
    wall = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "requests": len(latencies), "errors": errors, "rps": len(latencies) / wall,
        "p50_ms": pick(0.50), "p99_ms": pick(0.99), "mean_ms": statistics.fmean(latencies) * 1000,
    }  # fmt: skip


def bench_database(kind: str, args) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix=f"opengram-bench-{kind}-"))
    db = Database(kind, tmp, args.postgres)
    proc = None
    try:
        proc, url, key = start_server(db, tmp)
        auth = {"Authorization": f"Token {key}"}
        project_id = httpx.get(f"{url}/v1/projects", headers=auth).json()["projects"][0]["project_id"]
        me = httpx.get(f"{url}/v1/auth/token", headers=auth).json()["api_key_id"]
        keys = [me] + [
            httpx.post(f"{url}/v1/projects/{project_id}/keys", headers=auth,
                       json={"comment": f"bench {i}", "scopes": ["member"]}).json()["api_key_id"]
            for i in range(3)
        ]  # fmt: skip
        fill_s = fill_log(db, project_id, keys, args.rows)
        print(f"{kind}: {args.rows} rows written in {fill_s:.1f} s", file=sys.stderr)
        week_ago = (datetime.now(timezone.utc) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")
        base = f"{url}/v1/projects/{project_id}/requests"
        workloads = {
            "requests": base,
            "filtered": f"{base}?accessor={keys[1]}&status=failed&start={week_ago}&limit=100",
            "auth": f"{url}/v1/auth/token",
        }
        check = httpx.get(workloads["filtered"], headers=auth).json()
        assert check["requests"] and all(r["code"] == 400 for r in check["requests"]), "filtered query found nothing"
        results = []
        for name, target in workloads.items():
            for concurrency in args.concurrency:
                figures = asyncio.run(load(target, auth, concurrency, args.seconds))
                results.append({"database": kind, "workload": name, "concurrency": concurrency, **figures})
                print(f"  {name:9s} c={concurrency:<3d} {figures['rps']:7.0f} req/s  p50 {figures['p50_ms']:6.1f} ms  "
                      f"p99 {figures['p99_ms']:6.1f} ms  errors {figures['errors']}", file=sys.stderr)  # fmt: skip
        return results
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        db.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    facts = machine()
    load_at_start = facts["loadavg_at_start"]
    kinds = ["sqlite"] if args.no_postgres else ["sqlite", "postgresql"]
    results = [r for kind in kinds for r in bench_database(kind, args)]
    cpu = facts["cpu"]
    meta = {"date": facts["date"], "cpus": facts["nproc"], "cpu": cpu,
            "python": facts["python"], "rows": args.rows, "seconds": args.seconds,
            "loadavg_at_start": load_at_start}  # fmt: skip
    print(f"\n{meta['cpus']} x {cpu}, Python {meta['python']}, {args.rows} rows, {args.seconds:g} s per cell, "
          f"load average at start {' '.join(load_at_start)}\n")
    print("| database | workload | concurrency | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['database']} | {r['workload']} | {r['concurrency']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['errors']} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
